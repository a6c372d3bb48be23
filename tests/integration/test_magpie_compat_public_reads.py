"""Magpie 5.1.0 parity for callers without a session: ``current`` reads as the anonymous user
(no 401), and ``GET /providers`` lists the sign-in providers."""

from __future__ import annotations

from tests.support.catalog import add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.service import Service


def test_current_routes_read_the_anonymous_user_without_a_session(service: Service) -> None:
    """Groups, services, resources, a service's tree and permissions of ```current``` are the
    anonymous user's for a caller who is not signed in."""
    admin = service.admin
    svc = add_service(admin, "public")
    route = add_resource(admin, svc["resource_id"], "open")
    granted = admin.post(
        f"/groups/anonymous/resources/{route}/permissions", json={"permission": "read"}
    )
    assert granted.status_code == 201, granted.text
    add_service(admin, "private")
    nobody = service.client()

    groups = nobody.get("/users/current/groups")
    assert groups.status_code == 200, groups.text
    assert "anonymous" in groups.json()["group_names"]

    services = nobody.get("/users/current/inherited_services?cascade=true")
    assert services.status_code == 200, services.text
    listed = {name for by_type in services.json()["services"].values() for name in by_type}
    assert "public" in listed
    assert "private" not in listed
    seen_by_admin = admin.get("/users/anonymous/inherited_services?cascade=true").json()
    assert services.json()["services"] == seen_by_admin["services"]

    assert nobody.get("/users/current/resources").status_code == 200
    assert nobody.get("/users/current/services").status_code == 200
    tree = nobody.get("/users/current/services/public/resources?inherited=true")
    assert tree.status_code == 200, tree.text
    assert str(route) in str(tree.json()["service"])

    perms = nobody.get(f"/users/current/resources/{route}/permissions?inherited=true")
    assert perms.status_code == 200, perms.text
    assert "read" in perms.json()["permission_names"]
    same = nobody.get(f"/users/anonymous/resources/{route}/inherited_permissions")
    assert same.json()["permission_names"] == perms.json()["permission_names"]


def test_the_fallback_is_for_reading_current_only(service: Service) -> None:
    """Other users stay 401 without a session, changes to ```current``` too, and a signed-in
    user's ```current``` is still themself."""
    admin = service.admin
    user = {"user_name": "carol", "email": "carol@example.org", "password": "long-enough-pw-1"}
    assert admin.post("/users", json=user).status_code == 201
    nobody = service.client()
    assert_error(nobody.get("/users/carol/groups"), 401)
    assert_error(nobody.get("/users/carol/services"), 401)
    assert_error(nobody.patch("/users/current", json={"email": "x@example.org"}), 401)
    carol = service.client("carol", "long-enough-pw-1")
    assert carol.get("/users/current").json()["user"]["user_name"] == "carol"
    assert carol.get("/users/current/groups").status_code == 200
    assert_error(carol.get("/users/anonymous/groups"), 403)


def test_providers_lists_the_internal_sign_in_only(service: Service) -> None:
    """```GET /providers``` answers anyone with Magpie's internal provider and no external one."""
    response = service.client().get("/providers")
    assert response.status_code == 200
    assert response.json()["providers"] == {"internal": ["Ziggurat"], "external": []}
