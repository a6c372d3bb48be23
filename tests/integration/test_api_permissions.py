"""Permission routes over HTTP: POST/PUT/DELETE/GET for users and groups on services and
resources, and effective permissions resolved end to end on a three-level tree."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.envelope import assert_error
from tests.support.service import Service

PASSWORD = "a-long-enough-password"


def create_user(admin: httpx.Client, name: str, group: str | None = None) -> int:
    """Create a user (optionally in ``group``) and return its id."""
    body = {"user_name": name, "email": f"{name}@example.org", "password": PASSWORD}
    if group:
        body["group_name"] = group
    response = admin.post("/users", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["user"]["user_id"])


def create_group(admin: httpx.Client, name: str) -> int:
    """Create a group and return its id."""
    response = admin.post("/groups", json={"group_name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["group"]["group_id"])


def build_tree(admin: httpx.Client) -> tuple[int, int, int]:
    """An ``api`` service ``catalog`` with route ``maps`` and, below it, route ``europe``."""
    response = admin.post(
        "/services",
        json={
            "service_name": "catalog",
            "service_type": "api",
            "service_url": "http://catalog.internal/",
        },
    )
    assert response.status_code == 201, response.text
    service = int(response.json()["service"]["resource_id"])
    ids = [service]
    for name in ("maps", "europe"):
        created = admin.post(
            "/resources",
            json={"resource_name": name, "resource_type": "route", "parent_id": ids[-1]},
        )
        assert created.status_code == 201, created.text
        ids.append(int(created.json()["resource"]["resource_id"]))
    return ids[0], ids[1], ids[2]


def grant(admin: httpx.Client, holder: str, resource_id: int, permission: Any) -> None:
    """Apply ``permission`` to ``holder`` (``users/x`` or ``groups/y``) on a resource."""
    response = admin.post(
        f"/{holder}/resources/{resource_id}/permissions", json={"permission": permission}
    )
    assert response.status_code == 201, response.text


def effective(client: httpx.Client, user: str, resource_id: int) -> dict[str, dict[str, Any]]:
    """The user's effective permissions on a resource, by name."""
    response = client.get(
        f"/users/{user}/resources/{resource_id}/permissions", params={"effective": "true"}
    )
    assert response.status_code == 200, response.text
    return {p["name"]: p for p in response.json()["permissions"]}


def test_user_permission_on_service(service: Service) -> None:
    """POST creates (201, user shape), again is 409, GET lists it, DELETE by body removes it."""
    admin = service.admin
    alice = create_user(admin, "alice")
    svc, _, _ = build_tree(admin)
    path = "/users/alice/services/catalog/permissions"
    created = admin.post(path, json={"permission": "read-match"})
    assert created.status_code == 201
    body = created.json()
    assert body["code"] == 201
    assert body["type"] == "application/json"
    assert body["detail"]
    assert {k: body[k] for k in ("resource_id", "user_id", "permission_name", "permission")} == {
        "resource_id": svc,
        "user_id": alice,
        "permission_name": "read-allow-match",
        "permission": {"name": "read", "access": "allow", "scope": "match", "type": "applied"},
    }
    assert_error(admin.post(path, json={"permission": "read"}), 409, "permission")

    listed = admin.get(path).json()
    assert listed["permissions"] == [
        {
            "name": "read",
            "access": "allow",
            "scope": "match",
            "type": "direct",
            "reason": f"user:{alice}:alice",
        }
    ]
    assert "read-allow-match" in listed["permission_names"]

    assert admin.request("DELETE", path, json={"permission": "read"}).status_code == 200
    assert admin.get(path).json()["permissions"] == []
    assert_error(admin.request("DELETE", path, json={"permission": "read"}), 404, "permission")


def test_group_permission_on_resource(service: Service) -> None:
    """A group's POST answers {permission_name, permission, resource, group}; DELETE by path."""
    admin = service.admin
    editors = create_group(admin, "editors")
    _, maps, _ = build_tree(admin)
    path = f"/groups/editors/resources/{maps}/permissions"
    created = admin.post(path, json={"permission": {"name": "write", "access": "deny"}})
    assert created.status_code == 201
    body = created.json()
    assert body["permission_name"] == "write-deny-recursive"
    assert body["permission"] == {
        "name": "write",
        "access": "deny",
        "scope": "recursive",
        "type": "applied",
    }
    assert body["group"] == {"group_name": "editors", "group_id": editors}
    assert body["resource"]["resource_id"] == maps
    assert body["resource"]["resource_name"] == "maps"
    assert body["resource"]["resource_type"] == "route"
    assert_error(admin.post(path, json={"permission_name": "write-allow"}), 409)

    names = admin.get(path).json()["permission_names"]
    assert "write-deny-recursive" in names
    assert admin.delete(f"{path}/write").status_code == 200
    assert admin.get(path).json()["permissions"] == []
    assert_error(admin.delete(f"{path}/write"), 404, "permission")
    service_path = "/groups/editors/services/catalog/permissions"
    assert admin.post(service_path, json={"permission": "read"}).status_code == 201
    assert admin.delete(f"{service_path}/read-allow-recursive").status_code == 200


def test_put_creates_replaces_and_refuses_identical(service: Service) -> None:
    """PUT answers 201 for a new permission, 200 when replacing, 409 when identical."""
    admin = service.admin
    create_user(admin, "alice")
    create_group(admin, "editors")
    _, maps, _ = build_tree(admin)
    for path in (
        f"/users/alice/resources/{maps}/permissions",
        "/groups/editors/services/catalog/permissions",
    ):
        new = admin.put(path, json={"permission": "read-allow-match"})
        assert new.status_code == 201, new.text
        assert_error(admin.put(path, json={"permission": "read-allow-match"}), 409, "permission")
        assert_error(admin.put(path, json={"permission": {"name": "read", "scope": "match"}}), 409)
        replaced = admin.put(path, json={"permission": "read-deny-recursive"})
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["permission_name"] == "read-deny-recursive"
        stored = admin.get(path).json()["permissions"]
        assert [(p["name"], p["access"], p["scope"]) for p in stored] == [
            ("read", "deny", "recursive")
        ]


def test_permission_errors(service: Service) -> None:
    """Unknown names are 422, names not allowed on the type 400, unknown holders/targets 404."""
    admin = service.admin
    create_user(admin, "alice")
    _, maps, _ = build_tree(admin)
    path = "/users/alice/services/catalog/permissions"
    assert_error(admin.post(path, json={"permission": "fly"}), 422, "permission")
    assert_error(admin.post(path, json={"permission": "execute"}), 400, "permission")
    assert_error(admin.post(path, json={"permission": "read-maybe"}), 400, "permission")
    assert_error(admin.post(path, json={}), 400, "permission")
    assert_error(
        admin.post("/users/nobody/services/catalog/permissions", json={"permission": "read"}),
        404,
        "user_name",
    )
    assert_error(
        admin.post("/groups/nobody/services/catalog/permissions", json={"permission": "read"}),
        404,
        "group_name",
    )
    assert_error(
        admin.post("/users/alice/services/nope/permissions", json={"permission": "read"}),
        404,
        "service_name",
    )
    assert_error(
        admin.post("/users/alice/resources/999999/permissions", json={"permission": "read"}),
        404,
        "resource_id",
    )
    assert_error(
        admin.post("/users/anonymous/services/catalog/permissions", json={"permission": "read"}),
        403,
    )
    assert_error(admin.delete(f"/users/alice/resources/{maps}/permissions/fly"), 422)


def test_permission_changes_are_admin_only(service: Service) -> None:
    """A user may read their own permissions but not change them; admins may use ``current``."""
    admin = service.admin
    create_user(admin, "alice")
    create_user(admin, "bob")
    build_tree(admin)
    alice = service.client("alice", PASSWORD)
    path = "/users/alice/services/catalog/permissions"
    assert_error(alice.post(path, json={"permission": "read"}), 403)
    assert_error(alice.put(path, json={"permission": "read"}), 403)
    assert admin.post(path, json={"permission": "read"}).status_code == 201
    assert_error(alice.delete(f"{path}/read"), 403)
    mine = alice.get("/users/current/services/catalog/permissions").json()["permissions"]
    assert [p["name"] for p in mine] == ["read"]
    assert_error(alice.get("/users/bob/services/catalog/permissions"), 403)
    own = admin.post("/users/current/services/catalog/permissions", json={"permission": "write"})
    assert own.status_code == 201, own.text
    assert admin.delete("/users/current/services/catalog/permissions/write").status_code == 200


def test_inherited_and_resolved_listings(service: Service) -> None:
    """``?inherited`` adds the user's groups' permissions, ``?resolve`` keeps one per name."""
    admin = service.admin
    editors = create_group(admin, "editors")
    alice = create_user(admin, "alice", group="editors")
    _, maps, _ = build_tree(admin)
    grant(admin, "users/alice", maps, "read-allow-match")
    grant(admin, "groups/editors", maps, "read-deny-match")
    grant(admin, "groups/editors", maps, "write")
    path = f"/users/alice/resources/{maps}/permissions"

    direct = admin.get(path).json()["permissions"]
    assert [(p["name"], p["access"]) for p in direct] == [("read", "allow")]
    inherited = admin.get(path, params={"inherited": "true"}).json()["permissions"]
    assert sorted((p["name"], p["access"], p["reason"]) for p in inherited) == [
        ("read", "allow", f"user:{alice}:alice"),
        ("read", "deny", f"group:{editors}:editors"),
        ("write", "allow", f"group:{editors}:editors"),
    ]
    resolved = admin.get(path, params={"resolve": "true"}).json()["permissions"]
    assert sorted((p["name"], p["access"], p["reason"]) for p in resolved) == [
        ("read", "allow", f"user:{alice}:alice"),
        ("write", "allow", f"group:{editors}:editors"),
    ]


def test_effective_permissions_down_a_three_level_tree(service: Service) -> None:
    """Recursive grants reach the leaf, match grants do not, and no grant at all means deny."""
    admin = service.admin
    editors = create_group(admin, "editors")
    alice = create_user(admin, "alice", group="editors")
    svc, maps, europe = build_tree(admin)
    nothing = effective(admin, "alice", europe)
    assert set(nothing) == {"read", "write"}
    assert nothing["read"]["access"] == "deny"
    assert nothing["read"]["reason"] == "no-permission"
    assert nothing["read"]["type"] == "effective"

    grant(admin, "groups/editors", svc, "read-allow-recursive")
    grant(admin, "users/alice", maps, "write-allow-match")
    leaf = effective(admin, "alice", europe)
    assert leaf["read"]["access"] == "allow"
    assert leaf["read"]["reason"] == f"group:{editors}:editors"
    assert leaf["write"]["reason"] == "no-permission"  # a match grant above does not reach
    middle = effective(admin, "alice", maps)
    assert middle["write"]["access"] == "allow"
    assert middle["write"]["reason"] == f"user:{alice}:alice"


def test_user_permission_further_up_beats_closer_group(service: Service) -> None:
    """A user's own deny on the service beats a group allow on the leaf itself."""
    admin = service.admin
    create_group(admin, "editors")
    alice = create_user(admin, "alice", group="editors")
    create_user(admin, "bob", group="editors")
    svc, _, europe = build_tree(admin)
    grant(admin, "groups/editors", europe, "read-allow-match")
    grant(admin, "users/alice", svc, "read-deny-recursive")
    assert effective(admin, "alice", europe)["read"] == {
        "name": "read",
        "access": "deny",
        "scope": "match",
        "type": "effective",
        "reason": f"user:{alice}:alice",
    }
    assert effective(admin, "bob", europe)["read"]["access"] == "allow"


def test_group_deny_beats_allow_at_equal_priority(service: Service) -> None:
    """Two groups of equal priority on one resource: deny wins, and the reason names that group."""
    admin = service.admin
    create_group(admin, "readers")
    blocked = create_group(admin, "blocked")
    create_user(admin, "alice", group="readers")
    admin.post("/users/alice/groups", json={"group_name": "blocked"})
    _, maps, europe = build_tree(admin)
    grant(admin, "groups/readers", maps, "read")
    grant(admin, "groups/blocked", maps, "read-deny")
    for resource in (maps, europe):
        read = effective(admin, "alice", resource)["read"]
        assert read["access"] == "deny"
        assert read["reason"] == f"group:{blocked}:blocked"
    grant(admin, "groups/anonymous", europe, "write")
    assert effective(admin, "alice", europe)["write"]["access"] == "allow"


def test_effective_for_administrators_and_self(service: Service) -> None:
    """Administrators are allowed everything; a user may ask for their own effective answer."""
    admin = service.admin
    create_user(admin, "alice")
    _, _, europe = build_tree(admin)
    everything = effective(admin, "admin", europe)
    assert {p["access"] for p in everything.values()} == {"allow"}
    assert {p["reason"] for p in everything.values()} == {"administrator"}
    grant(admin, "users/alice", europe, "write-deny")
    alice = service.client("alice", PASSWORD)
    mine = effective(alice, "current", europe)
    assert mine["write"]["access"] == "deny"
    assert mine["read"]["reason"] == "no-permission"
