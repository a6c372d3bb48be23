"""Magpie 5.1.0 parity: error bodies carry ``param`` (name, value, compare); 409s name the item."""

from __future__ import annotations

from tests.support.catalog import add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.service import Service


def _new_user(name: str) -> dict[str, str]:
    return {"user_name": name, "email": f"{name}@example.org", "password": "long-enough-pw-1"}


def test_bad_names_report_the_pattern_and_reserved_names(service: Service) -> None:
    """A malformed name compares against its pattern, a reserved one against the reserved set."""
    admin = service.admin
    body = assert_error(admin.post("/users", json=_new_user("Not Valid!")), 400, "user_name")
    assert body["param"]["value"] == "Not Valid!"
    body = assert_error(admin.post("/users", json=_new_user("not valid!")), 400, "user_name")
    assert body["param"]["compare"] == "[a-z0-9]+(?:[_\\-.][a-z0-9]+)*"
    body = assert_error(admin.post("/users", json=_new_user("current")), 400, "user_name")
    assert body["param"] == {"name": "user_name", "value": "current", "compare": ["current"]}
    body = assert_error(admin.post("/groups", json={"group_name": 12}), 400, "group_name")
    assert body["param"] == {"name": "group_name", "value": 12, "compare": "Type[str]"}


def test_unknown_choices_report_the_allowed_values(service: Service) -> None:
    """Unknown service types, resource types and permission names list what is allowed."""
    admin = service.admin
    body = assert_error(
        admin.post(
            "/services",
            json={"service_name": "s", "service_type": "ftp", "service_url": "http://s.test"},
        ),
        400,
        "service_type",
    )
    assert body["param"]["value"] == "ftp"
    assert {"api", "thredds", "wps"} <= set(body["param"]["compare"])
    svc = add_service(admin, "catalog")
    body = assert_error(
        admin.post(
            "/resources",
            json={"resource_name": "r", "resource_type": "x", "parent_id": svc["resource_id"]},
        ),
        422,
        "resource_type",
    )
    assert "route" in body["param"]["compare"]
    assert admin.post("/users", json=_new_user("alice")).status_code == 201
    path = "/users/alice/services/catalog/permissions"
    body = assert_error(admin.post(path, json={"permission": "fly"}), 422, "permission")
    assert "read" in body["param"]["compare"]
    body = assert_error(admin.post(path, json={"permission": "execute"}), 400, "permission")
    assert "execute" not in body["param"]["compare"]
    assert "read" in body["param"]["compare"]


def test_path_values_of_the_wrong_type_report_the_expected_type(service: Service) -> None:
    """A non-integer id in a path or query compares against ``Type[int]``."""
    body = assert_error(service.admin.get("/webhooks/deliveries?limit=many"), 400, "limit")
    assert body["param"]["value"] == "many"
    assert body["param"]["compare"] == "Type[int]"


def test_conflicts_name_the_conflicting_item(service: Service) -> None:
    """409 bodies name the item at the top level and in ``param`` with what it clashed with."""
    admin = service.admin
    svc = add_service(admin, "Catalog")
    add_resource(admin, svc["resource_id"], "Maps")

    body = assert_error(
        admin.post(
            "/services",
            json={"service_name": "catalog", "service_type": "api", "service_url": "http://x.t"},
        ),
        409,
        "service_name",
    )
    assert body["service_name"] == "catalog"
    assert body["param"] == {"name": "service_name", "value": "catalog", "compare": ["Catalog"]}

    path = "/services/Catalog/resources"
    body = assert_error(
        admin.post(path, json={"resource_name": "maps", "resource_type": "route"}),
        409,
        "resource_name",
    )
    assert body["resource_name"] == "maps"
    assert body["param"]["compare"] == ["Maps"]

    assert admin.post("/groups", json={"group_name": "Editors"}).status_code == 201
    body = assert_error(admin.post("/groups", json={"group_name": "editors"}), 409, "group_name")
    assert body["group_name"] == "editors"
    assert body["param"]["compare"] == ["Editors"]

    assert admin.post("/users", json=_new_user("bob")).status_code == 201
    again = {**_new_user("bob"), "email": "other@example.org"}
    body = assert_error(admin.post("/users", json=again), 409, "user_name")
    assert body["user_name"] == "bob"
    assert body["param"]["compare"] == ["bob"]


def test_wrong_types_in_bodies_and_ids_report_the_expected_type(service: Service) -> None:
    """A boolean, a string or a resource id of the wrong type names the type expected."""
    admin = service.admin
    body = assert_error(
        admin.post("/groups", json={"group_name": "g", "discoverable": "maybe"}),
        400,
        "discoverable",
    )
    assert body["param"] == {"name": "discoverable", "value": "maybe", "compare": "Type[bool]"}
    body = assert_error(admin.get("/resources/abc"), 400, "resource_id")
    assert body["param"]["compare"] == "Type[int]"
