"""Magpie 5.1.0 parity: what a user or a group can reach (services and resource trees)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.support.catalog import add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.service import Service
from tests.support.world import PASSWORD


@dataclass
class World:
    """Ids of the scenario: alice reads ``europe`` and ``atlas``; editors deny write on catalog."""

    catalog: int
    maps: int
    europe: int
    atlas: int
    alice: httpx.Client


def _grant(admin: httpx.Client, path: str, permission: str) -> None:
    response = admin.post(path, json={"permission": permission})
    assert response.status_code == 201, response.text


@pytest.fixture
def world(service: Service) -> World:
    """Two users, a group holding alice, three services and a few permissions."""
    admin = service.admin
    for name in ("alice", "bob"):
        created = admin.post(
            "/users",
            json={"user_name": name, "email": f"{name}@example.org", "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
    assert admin.post("/groups", json={"group_name": "editors"}).status_code == 201
    assert admin.post("/users/alice/groups", json={"group_name": "editors"}).status_code == 201
    catalog = add_service(admin, "catalog")["resource_id"]
    maps = add_resource(admin, catalog, "maps")
    europe = add_resource(admin, maps, "europe")
    add_resource(admin, catalog, "charts")
    atlas = add_service(admin, "atlas")["resource_id"]
    add_service(admin, "data", "thredds")
    _grant(admin, f"/users/alice/resources/{europe}/permissions", "read-allow-recursive")
    _grant(admin, "/users/alice/services/atlas/permissions", "read-allow-match")
    _grant(admin, "/groups/editors/services/catalog/permissions", "write-deny-recursive")
    return World(catalog, maps, europe, atlas, service.client("alice", PASSWORD))


def test_user_services_direct_inherited_cascade(world: World) -> None:
    """Own service permissions by default; groups' with ``inherited``; below with ``cascade``."""
    alice = world.alice
    direct = alice.get("/users/alice/services").json()["services"]
    assert list(direct) == ["api"]
    assert list(direct["api"]) == ["atlas"]
    (perm,) = direct["api"]["atlas"]["permissions"]
    assert perm["type"] == "direct"
    assert perm["reason"].startswith("user:")
    assert direct["api"]["atlas"]["permission_names"] == ["read-match", "read-allow-match"]
    assert "service_url" not in direct["api"]["atlas"]
    inherited = alice.get("/users/current/services", params={"inherited": "true"}).json()
    catalog = inherited["services"]["api"]["catalog"]
    assert catalog["permission_names"] == ["write-deny-recursive"]
    assert catalog["permissions"][0]["type"] == "inherited"
    assert catalog["permissions"][0]["reason"].endswith(":editors")
    cascade = alice.get("/users/alice/services", params={"cascade": "1"}).json()["services"]
    assert cascade["api"]["catalog"]["permissions"] == []
    listed = alice.get("/users/alice/services", params={"flatten": "true"}).json()["services"]
    assert [s["service_name"] for s in listed] == ["atlas"]
    alias = alice.get("/users/alice/inherited_services").json()["services"]
    assert set(alias["api"]) == {"atlas", "catalog"}


def test_user_resources_tree_is_cropped(world: World, service: Service) -> None:
    """Trees show only resources holding permissions and their ancestors, for every type."""
    alice = world.alice
    everything = alice.get("/users/alice/resources").json()["resources"]
    assert everything["thredds"] == {}
    tree = everything["api"]["catalog"]
    assert tree["permissions"] == []
    maps = tree["resources"][str(world.maps)]
    assert list(tree["resources"]) == [str(world.maps)]
    assert maps["permissions"] == []
    europe = maps["children"][str(world.europe)]
    assert europe["permission_names"] == ["read", "read-allow-recursive"]
    assert everything["api"]["atlas"]["resources"] == {}
    by_admin = service.admin.get("/users/alice/resources").json()["resources"]
    assert "data" in by_admin["thredds"]
    filtered = service.admin.get("/users/alice/resources", params={"filtered": "true"}).json()
    assert filtered["resources"]["thredds"] == {}
    only = alice.get("/users/alice/resources", params={"type": "api"}).json()["resources"]
    assert list(only) == ["api"]
    assert_error(alice.get("/users/alice/resources", params={"type": "nope"}), 400, "type")


def test_user_service_resources_and_inherited_alias(world: World) -> None:
    """One service's cropped tree; the ``inherited_resources`` alias adds group permissions."""
    alice = world.alice
    one = alice.get("/users/alice/services/catalog/resources").json()["service"]
    assert one["service_name"] == "catalog"
    assert list(one["resources"]) == [str(world.maps)]
    inherited = alice.get("/users/alice/inherited_resources").json()["resources"]
    catalog = inherited["api"]["catalog"]
    assert catalog["permission_names"] == ["write-deny-recursive"]
    europe = catalog["resources"][str(world.maps)]["children"][str(world.europe)]
    assert europe["permissions"][0]["type"] == "direct"  # alice's own, even in an inherited listing
    assert_error(alice.get("/users/alice/services/nope/resources"), 404, "service_name")


def test_resolve_keeps_one_permission_per_name(world: World, service: Service) -> None:
    """With ``resolve`` the user's own permission wins over a group's on the same resource."""
    admin = service.admin
    path = f"/groups/editors/resources/{world.europe}/permissions"
    _grant(admin, path, "read-deny-match")
    plain = world.alice.get(
        "/users/alice/services/catalog/resources", params={"inherited": "true"}
    ).json()["service"]
    europe = plain["resources"][str(world.maps)]["children"][str(world.europe)]
    assert len(europe["permissions"]) == 2
    resolved = world.alice.get(
        "/users/alice/services/catalog/resources", params={"resolve": "true"}
    ).json()["service"]
    europe = resolved["resources"][str(world.maps)]["children"][str(world.europe)]
    assert [(p["name"], p["access"]) for p in europe["permissions"]] == [("read", "allow")]


def test_other_users_listings_are_refused(world: World, service: Service) -> None:
    """Another non-admin user's listings are 403; without a session 401; unknown user 404."""
    bob = service.client("bob", PASSWORD)
    for path in (
        "/users/alice/services",
        "/users/alice/resources",
        "/users/alice/services/catalog/resources",
        "/users/alice/inherited_resources",
    ):
        assert_error(bob.get(path), 403)
    assert bob.get("/users/current/resources").status_code == 200
    assert_error(service.client().get("/users/alice/services"), 401)
    assert_error(service.admin.get("/users/nobody/services"), 404, "user_name")


def test_group_listings(world: World, service: Service) -> None:
    """A group's services and trees carry its permissions typed ``applied``; admins only."""
    admin = service.admin
    services = admin.get("/groups/editors/services").json()["services"]
    assert list(services["api"]) == ["catalog"]
    assert services["api"]["catalog"]["permissions"][0]["type"] == "applied"
    trees = admin.get("/groups/editors/resources").json()["resources"]
    assert trees["api"]["catalog"]["resources"] == {}
    assert "atlas" in trees["api"]  # an administrator caller sees every service
    assert (
        "atlas"
        not in admin.get("/groups/editors/resources", params={"filtered": "true"}).json()[
            "resources"
        ]["api"]
    )
    one = admin.get("/groups/editors/services/catalog/resources").json()["service"]
    assert one["permission_names"] == ["write-deny-recursive"]
    assert_error(world.alice.get("/groups/editors/services"), 403)
    assert_error(admin.get("/groups/nope/resources"), 404, "group_name")


def test_permission_types_and_duplicates(world: World, service: Service) -> None:
    """Own permissions are ``direct``; two groups' equal permissions both show until resolved."""
    admin = service.admin
    assert admin.post("/groups", json={"group_name": "readers"}).status_code == 201
    assert admin.post("/users/alice/groups", json={"group_name": "readers"}).status_code == 201
    for group in ("editors", "readers"):
        _grant(admin, f"/groups/{group}/resources/{world.maps}/permissions", "read-allow-match")
    own = admin.get(f"/users/alice/resources/{world.europe}/permissions").json()
    assert [p["type"] for p in own["permissions"]] == ["direct"]
    path = f"/users/alice/resources/{world.maps}/permissions"
    inherited = admin.get(path, params={"inherit": "true"}).json()
    assert [p["type"] for p in inherited["permissions"]] == ["inherited", "inherited"]
    assert inherited["permission_names"] == ["read-match", "read-allow-match"]
    tree = admin.get(
        "/users/alice/services/catalog/resources", params={"inherited": "true"}
    ).json()["service"]
    assert len(tree["resources"][str(world.maps)]["permissions"]) == 2
    resolved = admin.get(
        "/users/alice/services/catalog/resources", params={"resolved": "true"}
    ).json()["service"]
    assert len(resolved["resources"][str(world.maps)]["permissions"]) == 1


def test_older_inherited_aliases(world: World, service: Service) -> None:
    """``inherited_permissions`` and ``services/{s}/inherited_resources`` add group permissions."""
    alice = world.alice
    service_perms = alice.get("/users/alice/services/catalog/inherited_permissions").json()
    assert service_perms["permission_names"] == ["write-deny-recursive"]
    assert alice.get("/users/alice/services/catalog/permissions").json()["permissions"] == []
    own = alice.get(f"/users/current/resources/{world.europe}/inherited_permissions").json()
    assert [p["type"] for p in own["permissions"]] == ["direct"]
    tree = alice.get("/users/alice/services/catalog/inherited_resources").json()["service"]
    assert tree["permission_names"] == ["write-deny-recursive"]
    bob = service.client("bob", PASSWORD)
    assert_error(bob.get("/users/alice/services/catalog/inherited_resources"), 403)
