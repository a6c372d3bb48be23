"""Magpie 5.1.0 parity: ``PATCH /permissions`` applies permissions along one resource path."""

from __future__ import annotations

from typing import Any

from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import hook
from tests.support.catalog import add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.receiver import Receiver
from tests.support.service import Service
from tests.support.world import PASSWORD


def _path(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"permissions": list(entries)}


def _names(service: Service, holder: str, resource_id: int) -> list[str]:
    body = service.admin.get(f"/{holder}/resources/{resource_id}/permissions").json()
    names: list[str] = body["permission_names"]
    return names


def test_bulk_creates_missing_resources_and_permissions(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Missing resources of the path are created with their types; permissions fire events."""
    service = start_service(
        [hook("perm", "create_group_permission", receiver.url("/p"), {"p": "{{permission}}"})]
    )
    admin = service.admin
    data = add_service(admin, "data", "thredds")
    assert admin.post("/groups", json={"group_name": "editors"}).status_code == 201
    body = _path(
        {"resource_name": "data", "resource_type": "service"},
        {"resource_name": "birdhouse", "resource_type": "directory"},
        {
            "resource_name": "f.nc",
            "resource_type": "file",
            "permission": "read-allow-match",
            "group": "editors",
        },
    )
    response = admin.patch("/permissions", json=body)
    assert response.status_code == 200, response.text
    tree = admin.get("/services/data/resources").json()["data"]["resources"]
    (folder,) = tree.values()
    assert (folder["resource_name"], folder["resource_type"]) == ("birdhouse", "directory")
    (leaf,) = folder["children"].values()
    assert (leaf["resource_name"], leaf["resource_type"]) == ("f.nc", "file")
    assert _names(service, "groups/editors", leaf["resource_id"]) == [
        "read-match",
        "read-allow-match",
    ]
    (got,) = receiver.wait_for(1, "/p")
    assert got.json() == {"p": "read-allow-match"}
    assert admin.patch("/permissions", json=body).status_code == 200  # already there: no-op
    assert len(admin.get("/services/data/resources").json()["data"]["resources"]) == 1
    assert data["resource_id"] == leaf["root_service_id"]


def test_bulk_replaces_and_removes(service: Service) -> None:
    """A permission differing in access is replaced; ``action: remove`` takes it away."""
    admin = service.admin
    catalog = add_service(admin, "catalog")
    maps = add_resource(admin, catalog["resource_id"], "maps")
    admin.post(
        "/users", json={"user_name": "alice", "email": "a@example.org", "password": PASSWORD}
    )
    entry = {"resource_name": "maps", "resource_type": "route", "user": "alice"}
    service_entry = {"resource_name": "catalog", "resource_type": "service"}
    first = _path(service_entry, {**entry, "permission": "read"})
    assert admin.patch("/permissions", json=first).status_code == 200
    assert "read-allow-recursive" in _names(service, "users/alice", maps)
    deny = _path(service_entry, {**entry, "permission": "read-deny-recursive"})
    assert admin.patch("/permissions", json=deny).status_code == 200
    assert _names(service, "users/alice", maps) == ["read-deny-recursive"]
    remove = _path(service_entry, {**entry, "permission": "read", "action": "remove"})
    assert admin.patch("/permissions", json=remove).status_code == 200
    assert _names(service, "users/alice", maps) == []


def test_bulk_refusals_change_nothing(service: Service) -> None:
    """Bad bodies are 400 naming the field; a refused step leaves the earlier ones undone."""
    admin = service.admin
    add_service(admin, "catalog")
    service_entry = {"resource_name": "catalog", "resource_type": "service"}
    assert_error(admin.patch("/permissions", json={"permissions": []}), 400, "permissions")
    no_perm = _path(service_entry, {"resource_name": "maps", "resource_type": "route"})
    assert_error(admin.patch("/permissions", json=no_perm), 400, "permissions")
    not_service = _path({"resource_name": "maps", "resource_type": "route"})
    refused = assert_error(admin.patch("/permissions", json=not_service), 400, "resource_type")
    assert (
        refused["param"]["value"] == not_service["permissions"]
    )  # Magpie: the whole path, as JSON
    ghost = _path(
        service_entry,
        {"resource_name": "maps", "resource_type": "route", "permission": "read", "user": "ghost"},
    )
    assert_error(admin.patch("/permissions", json=ghost), 400, "user")
    wrong_type = _path(
        service_entry,
        {"resource_name": "maps", "resource_type": "route"},
        {"resource_name": "p", "resource_type": "process", "permission": "read", "group": "users"},
    )
    assert_error(admin.patch("/permissions", json=wrong_type), 400, "resource_type")
    assert admin.get("/services/catalog/resources").json()["catalog"]["resources"] == {}
    alice = service.client()
    assert_error(alice.patch("/permissions", json=_path(service_entry)), 401)
