"""Magpie 5.1.0 parity: service types, service listings, service permissions and PATCH."""

from __future__ import annotations

from tests.support.catalog import ROUTE_NAMES, add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.service import Service
from tests.support.world import PASSWORD

MAGPIE_TYPES = [
    "access",
    "api",
    "geoserver",
    "geoserverwfs",
    "geoserverwms",
    "geoserverwps",
    "ncwms",
    "thredds",
    "wfs",
    "wps",
]


def test_service_types_include_every_magpie_type(service: Service) -> None:
    """``/services/types`` lists Magpie 5.1.0's ten types (and Rookery's ``wms``), sorted."""
    types = service.admin.get("/services/types").json()["service_types"]
    assert types == sorted(types)
    assert set(MAGPIE_TYPES) <= set(types)


def test_services_of_one_type(service: Service) -> None:
    """``/services/types/{t}`` groups one type, flattens on request, 400 for an unknown type."""
    admin = service.admin
    add_service(admin, "catalog", "api")
    add_service(admin, "weather", "wps")
    grouped = admin.get("/services/types/api").json()["services"]
    assert list(grouped) == ["api"]
    assert list(grouped["api"]) == ["catalog"]
    listed = admin.get("/services/types/wps", params={"flatten": "true"}).json()["services"]
    assert [s["service_name"] for s in listed] == ["weather"]
    assert_error(admin.get("/services/types/nope"), 400, "service_type")


def test_service_type_resources(service: Service) -> None:
    """A type's resource types come with their allowed permissions and whether they nest."""
    admin = service.admin
    api = admin.get("/services/types/api/resources").json()["resource_types"]
    assert api == [
        {
            "resource_type": "route",
            "resource_child_allowed": True,
            "permission_names": ROUTE_NAMES,
            "permissions": api[0]["permissions"],
        }
    ]
    assert {p["type"] for p in api[0]["permissions"]} == {"allowed"}
    assert len(api[0]["permissions"]) == 8
    geo = admin.get("/services/types/geoserver/resources").json()["resource_types"]
    allowed = {t["resource_type"]: t["resource_child_allowed"] for t in geo}
    assert allowed == {"layer": False, "process": False, "route": True, "workspace": True}
    names = admin.get("/services/types/geoserverwps/resources/types").json()["resource_types"]
    assert names == ["process", "workspace"]
    assert_error(admin.get("/services/types/nope/resources"), 404, "service_type")


def test_services_list_every_type_and_flatten(service: Service) -> None:
    """``GET /services`` has a (possibly empty) group per known type; ``flatten`` gives a list."""
    admin = service.admin
    catalog = add_service(admin, "catalog")
    grouped = admin.get("/services").json()["services"]
    assert set(MAGPIE_TYPES) <= set(grouped)
    assert grouped["thredds"] == {}
    assert grouped["api"]["catalog"] == catalog
    assert admin.get("/services", params={"flatten": "yes"}).json()["services"] == [catalog]


def test_service_bodies_carry_magpie_structure_keys(service: Service) -> None:
    """A service shows its allowed permissions; ``GET /services/{s}`` adds the types it holds
    and Magpie's ``resource_structure_allowed`` (what each resource type may hold)."""
    admin = service.admin
    created = add_service(admin, "catalog")
    assert created["permission_names"] == ROUTE_NAMES
    assert created["service_url"] == "http://catalog.internal/"
    shown = admin.get("/services/catalog").json()["service"]
    assert shown["resource_types_allowed"] == ["route"]
    assert shown["resource_child_allowed"] is True
    assert shown["resource_structure_allowed"] == {"service": ["route"], "route": ["route"]}
    add_service(admin, "thr", "thredds")
    structure = admin.get("/services/thr").json()["service"]["resource_structure_allowed"]
    both = ["directory", "file"]
    assert structure == {"service": both, "directory": both, "file": []}
    door = add_service(admin, "door", "access")
    assert door["permission_names"][:2] == ["access-match", "access-allow-match"]
    shown = admin.get("/services/door").json()["service"]
    assert shown["resource_types_allowed"] == []
    assert shown["resource_child_allowed"] is False
    assert shown["resource_structure_allowed"] == {}


def test_service_permissions_are_the_allowed_names(service: Service) -> None:
    """``/services/{s}/permissions`` lists what may be applied there, in Magpie's order."""
    admin = service.admin
    add_service(admin, "catalog")
    body = admin.get("/services/catalog/permissions").json()
    assert body["permission_names"] == ROUTE_NAMES
    first = body["permissions"][0]
    assert first == {"name": "read", "access": "allow", "scope": "match", "type": "allowed"}
    assert_error(admin.get("/services/nope/permissions"), 404, "service_name")


def test_patch_service_renames_and_moves(service: Service) -> None:
    """A renamed service keeps its tree; its public URL follows; its url changes."""
    admin = service.admin
    created = add_service(admin, "catalog")
    maps = add_resource(admin, created["resource_id"], "maps")
    response = admin.patch(
        "/services/catalog",
        json={
            "service_name": "atlas",
            "service_url": "http://atlas.internal/",
        },
    )
    assert response.status_code == 200, response.text
    renamed = response.json()["service"]
    assert renamed["service_name"] == "atlas"
    assert renamed["resource_id"] == created["resource_id"]
    assert renamed["public_url"] == created["public_url"].replace("catalog", "atlas")
    assert renamed["service_url"] == "http://atlas.internal/"
    assert_error(admin.get("/services/catalog"), 404, "service_name")
    tree = admin.get("/services/atlas/resources").json()["atlas"]
    assert list(tree["resources"]) == [str(maps)]


THREDDS_DEFAULTS = {
    "skip_prefix": "thredds",
    "file_patterns": [".*\\.nc"],
    "data_type": {"prefixes": ["fileServer", "dodsC", "dap4", "wcs", "wms"]},
    "metadata_type": {"prefixes": [None, "catalog\\.\\w+", "catalog", "ncml", "uddc", "iso"]},
}


def test_service_configuration_as_magpie(service: Service) -> None:
    """``thredds`` reports its configuration with Magpie's defaults, ``null`` erases it, the
    same configuration again is 400; a type that takes none (``api``) refuses any."""
    admin = service.admin
    add_service(admin, "thr", "thredds")
    assert admin.get("/services/thr").json()["service"]["configuration"] == THREDDS_DEFAULTS
    changed = admin.patch("/services/thr", json={"configuration": {"ignore_prefix": "x"}})
    assert changed.status_code == 200, changed.text
    full = changed.json()["service"]["configuration"]
    assert full == {**THREDDS_DEFAULTS, "ignore_prefix": "x"}
    for same in ({"configuration": full}, {"service_name": "thr", "configuration": full}, {}):
        assert_error(admin.patch("/services/thr", json=same), 400)
    erased = admin.patch("/services/thr", json={"service_name": "thr", "configuration": None})
    assert erased.status_code == 200, erased.text
    assert erased.json()["service"]["configuration"] == THREDDS_DEFAULTS
    assert_error(admin.patch("/services/thr", json={"configuration": None}), 400)
    add_service(admin, "geo", "geoserver")
    geo = admin.patch("/services/geo", json={"configuration": {"wps": False, "wfs": "yes"}})
    assert geo.json()["service"]["configuration"] == {"wfs": True, "wms": True, "wps": False}
    add_service(admin, "plain", "api")
    for config in (None, {}, {"value": "test"}):
        refused = admin.patch("/services/plain", json={"configuration": config})
        assert_error(refused, 400, "configuration")


def test_patch_service_refusals(service: Service) -> None:
    """Nothing new is 400, ``types`` 403, another service's name 409, a non-admin 403."""
    admin = service.admin
    add_service(admin, "catalog")
    add_service(admin, "atlas")
    assert_error(admin.patch("/services/catalog", json={"service_name": "catalog"}), 400)
    assert_error(admin.patch("/services/catalog", json={}), 400)
    refused = admin.patch("/services/catalog", json={"service_name": "types"})
    assert_error(refused, 403, "service_name")
    assert_error(
        admin.patch("/services/catalog", json={"service_name": "ATLAS"}), 409, "service_name"
    )
    assert_error(
        admin.patch("/services/catalog", json={"service_url": "ftp://x"}), 400, "service_url"
    )
    assert_error(admin.patch("/services/nope", json={"service_name": "x"}), 404, "service_name")
    admin.post(
        "/users", json={"user_name": "alice", "email": "a@example.org", "password": PASSWORD}
    )
    alice = service.client("alice", PASSWORD)
    assert_error(alice.patch("/services/catalog", json={"service_name": "mine"}), 403)
    assert admin.get("/services/catalog").status_code == 200


def test_geoserver_structure(service: Service) -> None:
    """GeoServer services hold workspaces, which hold layers; a layer directly under is 403."""
    admin = service.admin
    geo = add_service(admin, "geo", "geoserverwms")
    workspace = add_resource(admin, geo["resource_id"], "ws", "workspace")
    add_resource(admin, workspace, "rivers", "layer")
    direct = admin.post(
        "/resources",
        json={"resource_name": "lakes", "resource_type": "layer", "parent_id": geo["resource_id"]},
    )
    assert_error(direct, 403, "resource_type")
    names = admin.get(f"/resources/{workspace}/permissions").json()["permission_names"]
    assert "describelayer" in names


def test_geoserver_routes_as_magpie_suite_expects(service: Service) -> None:
    """A ``geoserver`` service takes routes (under itself or a route) besides workspaces, as
    Magpie's suite expects since 3.35.0; the structure shows in the service and the types."""
    admin = service.admin
    geo = add_service(admin, "geo", "geoserver")
    svc = admin.get("/services/geo").json()["service"]
    assert svc["resource_child_allowed"] is True
    assert sorted(svc["resource_types_allowed"]) == ["layer", "process", "route", "workspace"]
    assert svc["resource_structure_allowed"] == {
        "service": ["route", "workspace"],
        "route": ["route", "workspace"],
        "workspace": ["layer", "process"],
        "layer": [],
        "process": [],
    }
    route = add_resource(admin, geo["resource_id"], "ows", "route")
    nested = add_resource(admin, route, "deeper", "route")
    workspace = add_resource(admin, nested, "ws", "workspace")
    layer = add_resource(admin, workspace, "rivers", "layer")
    expected = {
        geo["resource_id"]: ["route", "workspace"],
        route: ["route", "workspace"],
        workspace: ["layer", "process"],
        layer: [],
    }
    for resource_id, children in expected.items():
        types = admin.get(f"/resources/{resource_id}/types").json()
        assert types["children_resource_types"] == children
        assert types["children_resource_allowed"] is bool(children)
        assert types["root_service_type"] == "geoserver"
    names = admin.get(f"/resources/{route}/permissions").json()["permission_names"]
    assert {"read", "write"} <= set(names)
    under_workspace = admin.post(
        "/resources", json={"resource_name": "r", "resource_type": "route", "parent_id": workspace}
    )
    assert_error(under_workspace, 403, "resource_type")
    wms = add_service(admin, "geowms", "geoserverwms")
    only_workspaces = admin.post(
        "/resources",
        json={"resource_name": "r", "resource_type": "route", "parent_id": wms["resource_id"]},
    )
    assert_error(only_workspaces, 403, "resource_type")
