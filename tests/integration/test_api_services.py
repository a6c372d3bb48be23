"""``/services`` and ``/resources`` routes over HTTP: services, resource trees, their errors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ServiceFactory
from tests.support.envelope import assert_error
from tests.support.service import Service

PROTECTED = "https://proxy.example.org/twitcher/ows/proxy"


def add_service(admin: httpx.Client, name: str, kind: str = "api") -> dict[str, Any]:
    """Register a service and return it as rendered."""
    response = admin.post(
        "/services",
        json={
            "service_name": name,
            "service_type": kind,
            "service_url": f"http://{name}.internal:8080/",
        },
    )
    assert response.status_code == 201, response.text
    service: dict[str, Any] = response.json()["service"]
    return service


def add_resource(admin: httpx.Client, parent_id: int, name: str, kind: str = "route") -> int:
    """Create a resource under ``parent_id`` and return its id."""
    response = admin.post(
        "/resources", json={"resource_name": name, "resource_type": kind, "parent_id": parent_id}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["resource"]["resource_id"])


def test_service_lifecycle(start_service: ServiceFactory) -> None:
    """A service is created with public_url = {protected_url}/{name}, listed by type and shown."""
    admin = start_service(protected_url=PROTECTED).admin
    response = admin.post(
        "/services",
        json={
            "service_name": "weather",
            "service_type": "wps",
            "service_url": "http://wps.internal:8080/wps",
            "configuration": {"a": 1},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == 201
    assert body["type"] == "application/json"
    assert body["detail"]
    service = body["service"]
    assert service["service_name"] == "weather"
    assert service["service_type"] == "wps"
    assert service["service_url"] == "http://wps.internal:8080/wps"
    assert service["public_url"] == f"{PROTECTED}/weather"
    assert service["configuration"] == {"a": 1}
    assert isinstance(service["resource_id"], int)
    add_service(admin, "catalog", "api")

    listed = admin.get("/services").json()["services"]
    assert listed["wps"]["weather"] == service
    assert set(listed["api"]) == {"catalog"}
    shown = admin.get("/services/WEATHER").json()["service"]
    structure = {
        "resource_types_allowed": ["process"],
        "resource_child_allowed": True,
        "resource_structure_allowed": {"service": ["process"], "process": []},
    }
    assert shown == {**service, **structure}

    assert admin.delete("/services/weather").status_code == 200
    assert_error(admin.get("/services/weather"), 404, "service_name")
    assert_error(admin.delete("/services/weather"), 404)
    assert admin.get("/services").json()["services"]["wps"] == {}


def test_service_errors(service: Service) -> None:
    """A duplicate name (any case) is 409; an unknown type or a relative URL is 400."""
    admin = service.admin
    add_service(admin, "catalog")
    duplicate = admin.post(
        "/services",
        json={
            "service_name": "Catalog",
            "service_type": "api",
            "service_url": "http://other.internal/",
        },
    )
    assert_error(duplicate, 409, "service_name")
    unknown = admin.post(
        "/services",
        json={"service_name": "x", "service_type": "ftp", "service_url": "http://x.internal/"},
    )
    assert_error(unknown, 400, "service_type")
    relative = admin.post(
        "/services",
        json={"service_name": "x", "service_type": "api", "service_url": "/just/a/path"},
    )
    assert_error(relative, 400, "service_url")
    assert_error(
        admin.post("/services", json={"service_type": "api", "service_url": "http://x.internal/"}),
        400,
        "service_name",
    )
    assert_error(admin.get("/services/nope/resources"), 404, "service_name")


def test_resource_tree(service: Service) -> None:
    """Resources nest under a service and GET returns each with its children, recursively."""
    admin = service.admin
    svc = add_service(admin, "catalog")
    created = admin.post(
        "/services/catalog/resources",
        json={
            "resource_name": "maps",
            "resource_type": "route",
            "resource_display_name": "All the maps",
        },
    )
    assert created.status_code == 201
    maps = created.json()["resource"]
    assert maps["resource_name"] == "maps"
    assert maps["resource_display_name"] == "All the maps"
    assert maps["resource_type"] == "route"
    assert maps["parent_id"] == svc["resource_id"]
    assert maps["root_service_id"] == svc["resource_id"]
    europe = add_resource(admin, maps["resource_id"], "europe")
    add_resource(admin, maps["resource_id"], "asia")
    france = add_resource(admin, europe, "france")

    tree = admin.get(f"/resources/{maps['resource_id']}").json()["resource"]
    assert tree["resource_id"] == maps["resource_id"]
    assert tree["parent_id"] == svc["resource_id"]
    assert tree["root_service_id"] == svc["resource_id"]
    children = tree["children"]
    assert {c["resource_name"] for c in children.values()} == {"europe", "asia"}
    assert children[str(europe)]["children"][str(france)]["resource_display_name"] == "france"
    assert children[str(europe)]["children"][str(france)]["children"] == {}

    listed = admin.get("/services/catalog/resources").json()["catalog"]
    assert listed["service_name"] == "catalog"
    assert str(maps["resource_id"]) in listed["resources"]
    service_tree = admin.get(f"/resources/{svc['resource_id']}").json()["resource"]
    assert service_tree["resource_type"] == "service"
    assert list(service_tree["children"]) == [str(maps["resource_id"])]


def test_resource_errors(service: Service) -> None:
    """Sibling names clash case-insensitively (409); a child type is refused (403) or unknown."""
    admin = service.admin
    svc = add_service(admin, "catalog")
    maps = add_resource(admin, svc["resource_id"], "maps")
    clash = admin.post(
        "/resources",
        json={"resource_name": "MAPS", "resource_type": "route", "parent_id": svc["resource_id"]},
    )
    assert_error(clash, 409, "resource_name")
    add_resource(admin, maps, "maps")  # the same name under another parent is fine
    wrong_kind = admin.post(
        "/resources", json={"resource_name": "p", "resource_type": "process", "parent_id": maps}
    )
    assert_error(wrong_kind, 403, "resource_type")
    unknown_kind = admin.post(
        "/resources", json={"resource_name": "p", "resource_type": "widget", "parent_id": maps}
    )
    assert_error(unknown_kind, 422, "resource_type")
    access = add_service(admin, "door", "access")
    no_children = admin.post(
        "/resources",
        json={"resource_name": "r", "resource_type": "route", "parent_id": access["resource_id"]},
    )
    assert_error(no_children, 403, "resource_type")
    unknown_parent = admin.post(
        "/resources", json={"resource_name": "r", "resource_type": "route", "parent_id": 999999}
    )
    assert_error(unknown_parent, 404, "parent_id")
    foreign_parent = admin.post(
        "/services/door/resources",
        json={"resource_name": "r", "resource_type": "route", "parent_id": maps},
    )
    assert_error(foreign_parent, 403, "parent_id")
    assert_error(admin.get("/resources/999999"), 404, "resource_id")


def test_delete_resource_removes_subtree(service: Service) -> None:
    """Deleting a resource deletes everything below it; deleting a service does too."""
    admin = service.admin
    svc = add_service(admin, "catalog")
    maps = add_resource(admin, svc["resource_id"], "maps")
    europe = add_resource(admin, maps, "europe")
    assert admin.delete(f"/resources/{maps}").status_code == 200
    assert_error(admin.get(f"/resources/{maps}"), 404)
    assert_error(admin.get(f"/resources/{europe}"), 404)
    assert admin.get(f"/resources/{svc['resource_id']}").json()["resource"]["children"] == {}
    other = add_resource(admin, svc["resource_id"], "other")
    assert admin.delete(f"/resources/{svc['resource_id']}").status_code == 200
    assert_error(admin.get("/services/catalog"), 404)
    assert_error(admin.get(f"/resources/{other}"), 404)
