"""Magpie 5.1.0 parity: sign-in forms, the anonymous caller, reserved users, the users group."""

from __future__ import annotations

from tests.conftest import ServiceFactory
from tests.support.catalog import add_service
from tests.support.envelope import assert_error
from tests.support.service import Service
from tests.support.world import PASSWORD


def _add_alice(service: Service) -> None:
    created = service.admin.post(
        "/users", json={"user_name": "alice", "email": "alice@example.org", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text


def test_users_group_is_created_at_start(start_service: ServiceFactory) -> None:
    """The ``users`` group exists from the start; ``users_group`` names another one."""
    default = start_service()
    assert "users" in default.admin.get("/groups").json()["group_names"]
    created = default.admin.post(
        "/users",
        json={
            "user_name": "ann",
            "email": "ann@example.org",
            "password": PASSWORD,
            "group_name": "users",
        },
    )
    assert created.status_code == 201, created.text
    assert "users" in created.json()["user"]["group_names"]
    other = start_service(users_group="members")
    assert "members" in other.admin.get("/groups").json()["group_names"]


def test_signin_without_credentials_is_422(service: Service) -> None:
    """A sign-in missing the user name or the password is 422 naming the missing field."""
    client = service.client()
    assert_error(client.post("/signin", json={}), 422, "user_name")
    assert_error(client.post("/signin", json={"user_name": "alice"}), 422, "password")
    assert_error(client.get("/signin"), 422, "user_name")


def test_signin_with_query_credentials(service: Service) -> None:
    """``GET /signin?user_name=&password=`` signs in like the POST; wrong ones are 401."""
    _add_alice(service)
    client = service.client()
    refused = client.get("/signin", params={"user_name": "alice", "password": "wrong-password"})
    assert_error(refused, 401)
    response = client.get("/signin", params={"user_name": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.headers["set-cookie"].startswith("auth_tkt=")
    assert client.get("/session").json()["user"]["user_name"] == "alice"


def test_anonymous_caller_reads_itself(service: Service) -> None:
    """Without a session ``/users/current`` and ``/users/anonymous`` are the anonymous user."""
    _add_alice(service)
    nobody = service.client()
    for path in ("/users/current", "/users/anonymous"):
        response = nobody.get(path)
        assert response.status_code == 200, response.text
        assert response.json()["user"]["user_name"] == "anonymous"
    assert_error(nobody.get("/users/alice"), 401)


def test_user_deletes_itself(service: Service) -> None:
    """A user may delete itself (by name or ``current``) but not another user."""
    _add_alice(service)
    created = service.admin.post(
        "/users", json={"user_name": "bob", "email": "bob@example.org", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    alice = service.client("alice", PASSWORD)
    assert_error(alice.delete("/users/bob"), 403)
    assert alice.delete("/users/current").status_code == 200
    assert_error(service.admin.get("/users/alice"), 404, "user_name")
    bob = service.client("bob", PASSWORD)
    assert bob.delete("/users/bob").status_code == 200
    assert_error(service.admin.delete("/users/admin"), 403, "user_name")


def test_reserved_user_codes(service: Service) -> None:
    """Anonymous joining a group, losing a permission, and a rename to ``current`` are 403."""
    admin = service.admin
    _add_alice(service)
    assert admin.post("/groups", json={"group_name": "editors"}).status_code == 201
    joined = admin.post("/users/anonymous/groups", json={"group_name": "editors"})
    assert_error(joined, 403, "user_name")
    add_service(admin, "catalog")
    dropped = admin.delete("/users/anonymous/services/catalog/permissions/read")
    assert_error(dropped, 403, "user_name")
    renamed = admin.patch("/users/alice", json={"user_name": "current"})
    assert_error(renamed, 403, "user_name")
    assert admin.get("/users/alice").status_code == 200
