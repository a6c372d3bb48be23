"""``/groups`` routes over HTTP: create, read, rename, delete, members, built-in protection."""

from __future__ import annotations

from tests.support.envelope import assert_error
from tests.support.service import Service


def test_group_lifecycle(service: Service) -> None:
    """A group is created, listed, shown with its members, renamed, described and deleted."""
    admin = service.admin
    created = admin.post(
        "/groups",
        json={"group_name": "Editors", "description": "people who edit", "discoverable": True},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["code"] == 201
    assert body["type"] == "application/json"
    assert body["detail"]
    assert body["group"]["group_name"] == "Editors"
    assert isinstance(body["group"]["group_id"], int)
    names = admin.get("/groups").json()["group_names"]
    assert {"administrators", "anonymous", "Editors"} <= set(names)

    shown = admin.get("/groups/editors").json()["group"]
    assert shown["group_name"] == "Editors"
    assert shown["description"] == "people who edit"
    assert shown["discoverable"] is True
    assert shown["priority"] == 0
    assert admin.get("/groups/Editors/users").json()["user_names"] == []

    renamed = admin.patch("/groups/editors", json={"group_name": "writers", "discoverable": False})
    assert renamed.status_code == 200
    assert renamed.json()["group"]["group_name"] == "writers"
    assert renamed.json()["group"]["discoverable"] is False
    assert_error(admin.get("/groups/editors"), 404, "group_name")
    described = admin.patch("/groups/writers", json={"description": "people who write"})
    assert described.json()["group"]["description"] == "people who write"

    assert admin.delete("/groups/writers").status_code == 200
    assert "writers" not in admin.get("/groups").json()["group_names"]
    assert_error(admin.delete("/groups/writers"), 404)


def test_group_conflicts_and_errors(service: Service) -> None:
    """Duplicate names (any case) are 409, an unchanged PATCH is 400, unknown groups 404."""
    admin = service.admin
    assert admin.post("/groups", json={"group_name": "editors"}).status_code == 201
    assert admin.post("/groups", json={"group_name": "readers"}).status_code == 201
    assert_error(admin.post("/groups", json={"group_name": "EDITORS"}), 409, "group_name")
    assert_error(admin.post("/groups", json={"group_name": "Administrators"}), 409, "group_name")
    assert_error(admin.patch("/groups/readers", json={"group_name": "Editors"}), 409, "group_name")
    assert_error(admin.patch("/groups/readers", json={}), 400)
    assert_error(admin.patch("/groups/readers", json={"group_name": "readers"}), 400)
    assert_error(admin.patch("/groups/nope", json={"description": "x"}), 404, "group_name")
    assert_error(admin.get("/groups/nope/users"), 404, "group_name")
    assert_error(admin.post("/groups", json={}), 400, "group_name")


def test_built_in_groups_cannot_be_renamed_or_deleted(service: Service) -> None:
    """administrators and anonymous answer 403 to renames and deletes, but show their members."""
    admin = service.admin
    for name in ("administrators", "anonymous"):
        assert_error(
            admin.patch(f"/groups/{name}", json={"group_name": f"{name}2"}), 403, "group_name"
        )
        assert_error(admin.delete(f"/groups/{name}"), 403, "group_name")
    administrators = admin.get("/groups/administrators").json()["group"]
    assert administrators["priority"] == "max"
    assert "admin" in administrators["user_names"]
    anonymous = admin.get("/groups/anonymous").json()["group"]
    assert anonymous["priority"] == -1
    assert {"admin", "anonymous"} <= set(admin.get("/groups/anonymous/users").json()["user_names"])
    described = admin.patch("/groups/anonymous", json={"description": "everyone"})
    assert described.status_code == 200


def test_deleting_a_group_removes_memberships(service: Service) -> None:
    """After its group is deleted a user is no longer listed as a member of it."""
    admin = service.admin
    admin.post("/groups", json={"group_name": "editors"})
    admin.post(
        "/users",
        json={
            "user_name": "alice",
            "email": "alice@example.org",
            "password": "a-long-enough-password",
            "group_name": "editors",
        },
    )
    assert "editors" in admin.get("/users/alice/groups").json()["group_names"]
    assert admin.delete("/groups/editors").status_code == 200
    assert admin.get("/users/alice/groups").json()["group_names"] == ["anonymous"]
