"""``/users`` routes over HTTP: accounts, statuses, deletion rules and group memberships."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.envelope import assert_error
from tests.support.service import ADMIN_PASSWORD, Service

PASSWORD = "a-long-enough-password"


def create_user(admin: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    """Create ``name`` (email ``{name}@example.org``) and return the rendered user."""
    body = {"user_name": name, "email": f"{name}@example.org", "password": PASSWORD, **extra}
    response = admin.post("/users", json=body)
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def test_create_get_and_list_users(service: Service) -> None:
    """A created user is rendered with status "OK", its groups, and listed by name or detail."""
    admin = service.admin
    assert admin.post("/groups", json={"group_name": "editors"}).status_code == 201
    response = admin.post(
        "/users",
        json={
            "user_name": "bob",
            "email": "bob@example.org",
            "password": PASSWORD,
            "group_name": "editors",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == 201
    assert body["type"] == "application/json"
    assert body["detail"]
    user = body["user"]
    assert user["user_name"] == "bob"
    assert user["email"] == "bob@example.org"
    assert user["status"] == "OK"
    assert sorted(user["group_names"]) == ["anonymous", "editors"]
    assert isinstance(user["user_id"], int)
    create_user(admin, "alice")

    found = admin.get("/users/bob").json()["user"]
    assert found == {**user, "has_pending_group": False}
    names = admin.get("/users").json()["user_names"]
    assert names == sorted(names)
    assert {"admin", "alice", "bob", "anonymous"} <= set(names)
    detailed = admin.get("/users", params={"detail": "true"}).json()["users"]
    bob = next(u for u in detailed if u["user_name"] == "bob")
    assert bob == {
        "user_name": "bob",
        "email": "bob@example.org",
        "status": "OK",
        "user_id": user["user_id"],
    }


def test_list_users_filters_by_status(service: Service) -> None:
    """``?status=`` accepts a number or a name and keeps only users with that status."""
    admin = service.admin
    create_user(admin, "alice")
    create_user(admin, "bob")
    assert admin.patch("/users/bob", json={"status": 2}).status_code == 200
    for status in ("2", "WebhookError", "webhookerror"):
        response = admin.get("/users", params={"status": status})
        assert response.json()["user_names"] == ["bob"], status
    assert "bob" not in admin.get("/users", params={"status": "OK"}).json()["user_names"]
    assert_error(admin.get("/users", params={"status": "nope"}), 400, "status")


def test_create_user_conflicts_and_unknowns(service: Service) -> None:
    """Duplicate names and emails (any case) are 409; an unknown group or user is 404."""
    admin = service.admin
    create_user(admin, "alice")
    taken_name = admin.post(
        "/users", json={"user_name": "alice", "email": "x@example.org", "password": PASSWORD}
    )
    assert_error(taken_name, 409, "user_name")
    taken_email = admin.post(
        "/users", json={"user_name": "alice2", "email": "ALICE@Example.org", "password": PASSWORD}
    )
    assert_error(taken_email, 409, "email")
    unknown_group = admin.post(
        "/users",
        json={
            "user_name": "carol",
            "email": "carol@example.org",
            "password": PASSWORD,
            "group_name": "nope",
        },
    )
    assert_error(unknown_group, 404, "group_name")
    assert admin.get("/users/carol").status_code == 404
    assert_error(admin.get("/users/nobody"), 404, "user_name")
    assert_error(admin.patch("/users/nobody", json={"email": "n@example.org"}), 404)
    assert_error(admin.delete("/users/nobody"), 404)


def test_patch_user_changes_email_and_status(service: Service) -> None:
    """PATCH changes fields; status is parsed from an int, a numeric string or a name."""
    admin = service.admin
    create_user(admin, "alice")
    create_user(admin, "bob")
    changed = admin.patch("/users/alice", json={"email": "alice@new.example.org"})
    assert changed.status_code == 200
    assert changed.json()["user"]["email"] == "alice@new.example.org"
    assert_error(admin.patch("/users/alice", json={"email": "BOB@example.org"}), 409, "email")
    assert_error(admin.patch("/users/alice", json={"user_name": "bob"}), 409, "user_name")
    for given, shown in ((2, "WebhookError"), ("1", "OK"), ("webhookerror", "WebhookError")):
        response = admin.patch("/users/alice", json={"status": given})
        assert response.status_code == 200, (given, response.text)
        assert response.json()["user"]["status"] == shown
    renamed = admin.patch("/users/alice", json={"user_name": "alicia"})
    assert renamed.json()["user"]["user_name"] == "alicia"
    assert admin.get("/users/alice").status_code == 404


def test_patch_user_with_nothing_to_change_is_400(service: Service) -> None:
    """An empty PATCH, the same values, the same status or an unparsable status is a 400."""
    admin = service.admin
    create_user(admin, "alice")
    assert_error(admin.patch("/users/alice", json={}), 400)
    assert_error(admin.patch("/users/alice", json={"email": "alice@example.org"}), 400)
    assert_error(admin.patch("/users/alice", json={"status": "OK"}), 400)
    assert_error(admin.patch("/users/alice", json={"status": 1}), 400)
    assert_error(admin.patch("/users/alice", json={"status": "bogus"}), 400, "status")
    assert_error(admin.patch("/users/alice", json={"status": 3}), 400, "status")
    assert admin.get("/users/alice").json()["user"]["status"] == "OK"


def test_status_and_name_changes_are_admin_only(service: Service) -> None:
    """A user may change their own email and password, but not their status or name."""
    admin = service.admin
    create_user(admin, "alice")
    create_user(admin, "bob")
    alice = service.client("alice", PASSWORD)
    assert_error(alice.patch("/users/current", json={"status": 2}), 403, "status")
    assert_error(alice.patch("/users/alice", json={"user_name": "alicia"}), 403, "user_name")
    assert_error(alice.patch("/users/bob", json={"email": "b@example.org"}), 403)
    mail = alice.patch("/users/current", json={"email": "me@example.org"})
    assert mail.status_code == 200
    assert mail.json()["user"]["email"] == "me@example.org"
    new_password = "another-long-password"
    assert alice.patch("/users/alice", json={"password": new_password}).status_code == 200
    service.client("alice", new_password)
    assert admin.get("/users/alice").json()["user"]["status"] == "OK"


def test_delete_user(service: Service) -> None:
    """DELETE removes a user; the bootstrap admin and anonymous are protected (403)."""
    admin = service.admin
    create_user(admin, "alice")
    deleted = admin.delete("/users/alice")
    assert deleted.status_code == 200
    assert deleted.json()["code"] == 200
    assert_error(admin.get("/users/alice"), 404)
    assert_error(admin.delete("/users/alice"), 404)
    assert_error(admin.delete("/users/admin"), 403, "user_name")
    assert_error(admin.delete("/users/ANONYMOUS"), 403, "user_name")
    assert_error(admin.patch("/users/anonymous", json={"email": "a@example.org"}), 403)
    assert service.client("admin", ADMIN_PASSWORD).get("/session").json()["authenticated"]


def test_memberships(service: Service) -> None:
    """Users join and leave groups; joining twice is 409 and nobody leaves anonymous (403)."""
    admin = service.admin
    create_user(admin, "alice")
    assert admin.post("/groups", json={"group_name": "editors"}).status_code == 201
    joined = admin.post("/users/alice/groups", json={"group_name": "editors"})
    assert joined.status_code == 201
    assert {k: joined.json()[k] for k in ("user_name", "group_name")} == {
        "user_name": "alice",
        "group_name": "editors",
    }
    assert_error(
        admin.post("/users/alice/groups", json={"group_name": "editors"}), 409, "group_name"
    )
    assert_error(admin.post("/users/alice/groups", json={"group_name": "anonymous"}), 409)
    assert_error(admin.post("/users/alice/groups", json={"group_name": "nope"}), 404, "group_name")
    assert_error(admin.post("/users/nobody/groups", json={"group_name": "editors"}), 404)
    groups = admin.get("/users/alice/groups").json()["group_names"]
    assert sorted(groups) == ["anonymous", "editors"]
    assert "alice" in admin.get("/groups/editors/users").json()["user_names"]

    alice = service.client("alice", PASSWORD)
    assert sorted(alice.get("/users/current/groups").json()["group_names"]) == sorted(groups)
    assert_error(alice.post("/users/alice/groups", json={"group_name": "administrators"}), 403)

    assert admin.delete("/users/alice/groups/editors").status_code == 200
    assert_error(admin.delete("/users/alice/groups/editors"), 404)
    assert_error(admin.delete("/users/alice/groups/anonymous"), 403, "group_name")
    assert admin.get("/users/alice/groups").json()["group_names"] == ["anonymous"]


def test_admin_membership_makes_an_administrator(service: Service) -> None:
    """A user added to administrators may use admin routes at once."""
    admin = service.admin
    create_user(admin, "alice")
    alice = service.client("alice", PASSWORD)
    assert_error(alice.get("/users"), 403)
    assert (
        admin.post("/users/alice/groups", json={"group_name": "administrators"}).status_code == 201
    )
    assert alice.get("/users").status_code == 200
