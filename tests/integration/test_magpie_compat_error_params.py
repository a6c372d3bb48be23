"""Magpie 5.1.0 parity: error bodies carry ``param`` as Magpie's ``verify_param`` writes it (name,
value, ``compare`` as text, the failed ``conditions``); 409s name the item."""

from __future__ import annotations

from tests.support.catalog import add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.service import Service


def _python_list(text: str) -> list[str]:
    """The items of a Python list of strings written as text (Magpie's ``compare``)."""
    assert text.startswith("['"), text
    assert text.endswith("']"), text
    return text[2:-2].split("', '")


def _new_user(name: str) -> dict[str, str]:
    return {"user_name": name, "email": f"{name}@example.org", "password": "long-enough-pw-1"}


def test_bad_names_report_the_pattern_and_reserved_names(service: Service) -> None:
    """A malformed name compares against its pattern, a reserved one against the reserved name."""
    admin = service.admin
    body = assert_error(admin.post("/users", json=_new_user("Not Valid!")), 400, "user_name")
    assert body["param"]["value"] == "Not Valid!"
    body = assert_error(admin.post("/users", json=_new_user("not valid!")), 400, "user_name")
    assert body["param"]["compare"] == "[a-z0-9]+(?:[_\\-.][a-z0-9]+)*"
    assert body["param"]["conditions"] == {"matches": False}
    body = assert_error(admin.post("/users", json=_new_user("current")), 400, "user_name")
    assert body["param"] == {
        "name": "user_name",
        "value": "current",
        "compare": "current",
        "conditions": {"not_equal": False},
    }
    body = assert_error(admin.post("/groups", json={"group_name": 12}), 400, "group_name")
    assert body["param"] == {
        "name": "group_name",
        "value": 12,
        "compare": "Type[str]",
        "conditions": {"is_type": False},
    }


def test_unknown_choices_report_the_allowed_values(service: Service) -> None:
    """Unknown service types, resource types and permission names list what is allowed, as the
    Python text of a list."""
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
    assert body["param"]["conditions"] == {"is_in": False}
    assert {"api", "thredds", "wps"} <= set(_python_list(body["param"]["compare"]))
    svc = add_service(admin, "catalog")
    body = assert_error(
        admin.post(
            "/resources",
            json={"resource_name": "r", "resource_type": "x", "parent_id": svc["resource_id"]},
        ),
        422,
        "resource_type",
    )
    assert "route" in _python_list(body["param"]["compare"])
    assert admin.post("/users", json=_new_user("alice")).status_code == 201
    path = "/users/alice/services/catalog/permissions"
    body = assert_error(admin.post(path, json={"permission": "fly"}), 422, "permission")
    assert "read" in _python_list(body["param"]["compare"])
    body = assert_error(admin.post(path, json={"permission": "execute"}), 400, "permission")
    allowed = _python_list(body["param"]["compare"])
    assert "execute" not in allowed
    assert "read" in allowed


def test_path_values_of_the_wrong_type_report_the_expected_type(service: Service) -> None:
    """A non-integer id in a path or query compares against ``Type[int]``."""
    body = assert_error(service.admin.get("/webhooks/deliveries?limit=many"), 400, "limit")
    assert body["param"]["value"] == "many"
    assert body["param"]["compare"] == "Type[int]"
    assert body["param"]["conditions"] == {"is_type": False}


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
    assert body["param"] == {
        "name": "service_name",
        "value": "catalog",
        "compare": "['Catalog']",
        "conditions": {"not_in": False},
    }

    path = "/services/Catalog/resources"
    body = assert_error(
        admin.post(path, json={"resource_name": "maps", "resource_type": "route"}),
        409,
        "resource_name",
    )
    assert body["resource_name"] == "maps"
    assert body["param"]["compare"] == "['Maps']"

    assert admin.post("/groups", json={"group_name": "Editors"}).status_code == 201
    body = assert_error(admin.post("/groups", json={"group_name": "editors"}), 409, "group_name")
    assert body["group_name"] == "editors"
    assert body["param"]["compare"] == "['Editors']"

    assert admin.post("/users", json=_new_user("bob")).status_code == 201
    again = {**_new_user("bob"), "email": "other@example.org"}
    body = assert_error(admin.post("/users", json=again), 409, "user_name")
    assert body["user_name"] == "bob"
    assert body["param"]["compare"] == "['bob']"


def test_wrong_types_in_bodies_and_ids_report_the_expected_type(service: Service) -> None:
    """A boolean, a string or a resource id of the wrong type names the type expected."""
    admin = service.admin
    body = assert_error(
        admin.post("/groups", json={"group_name": "g", "discoverable": "maybe"}),
        400,
        "discoverable",
    )
    assert body["param"] == {
        "name": "discoverable",
        "value": "maybe",
        "compare": "Type[bool]",
        "conditions": {"is_type": False},
    }
    body = assert_error(admin.get("/resources/abc"), 400, "resource_id")
    assert body["param"]["compare"] == "Type[int]"


def test_lengths_compare_against_the_allowed_range(service: Service) -> None:
    """A name or password of the wrong length reports its length and the range allowed."""
    admin = service.admin
    body = assert_error(admin.post("/users", json=_new_user("a" * 65)), 400, "user_name")
    assert body["param"] == {
        "name": "user_name",
        "value": 65,
        "compare": "range(1, 65)",
        "conditions": {"is_in": False},
    }
    short = {**_new_user("carol"), "password": "short-pw"}
    body = assert_error(admin.post("/users", json=short), 400, "password")
    assert body["param"]["value"] == 8
    assert body["param"]["compare"].startswith("range(")
    assert "short-pw" not in str(body)


def test_missing_and_unknown_values_report_what_failed(service: Service) -> None:
    """A missing value fails ``not_none`` with value null; an unknown one was not found."""
    admin = service.admin
    body = assert_error(admin.post("/signin", json={"password": "whatever-pw"}), 422, "user_name")
    assert body["param"] == {"name": "user_name", "value": None, "conditions": {"not_none": False}}
    body = assert_error(admin.get("/users/nobody"), 404, "user_name")
    assert body["param"]["value"] == "nobody"
    assert body["param"]["conditions"] == {"not_none": False}
    assert "compare" not in body["param"]


def test_non_scalar_values_are_written_as_python_text(service: Service) -> None:
    """A list given where text is expected comes back as Magpie writes it: its Python text."""
    admin = service.admin
    body = assert_error(admin.post("/groups", json={"group_name": ["a", "b"]}), 400, "group_name")
    assert body["param"]["value"] == "['a', 'b']"
    assert body["param"]["compare"] == "Type[str]"


def test_refused_accept_lists_the_supported_types_as_text(service: Service) -> None:
    """A 406 names the Accept value and compares it with the supported types, as text."""
    response = service.admin.get("/session", headers={"Accept": "application/pdf"})
    body = assert_error(response, 406, "Accept Header or Format Query")
    assert body["param"]["value"] == "application/pdf"
    assert body["param"]["conditions"] == {"is_in": False}
    assert "application/json" in _python_list(body["param"]["compare"])
