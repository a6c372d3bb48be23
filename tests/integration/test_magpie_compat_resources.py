"""Magpie 5.1.0 parity: resources addressed through their service, trees, parents, renames."""

from __future__ import annotations

from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import hook
from tests.support.catalog import ROUTE_NAMES, add_resource, add_service
from tests.support.envelope import assert_error
from tests.support.receiver import Receiver
from tests.support.service import Service


def test_service_resource_get_and_delete(service: Service) -> None:
    """A resource is read and deleted through its service; through another service it is 404."""
    admin = service.admin
    catalog = add_service(admin, "catalog")
    add_service(admin, "atlas")
    maps = add_resource(admin, catalog["resource_id"], "maps")
    europe = add_resource(admin, maps, "europe")
    shown = admin.get(f"/services/catalog/resources/{maps}").json()["resource"]
    assert shown["resource_name"] == "maps"
    assert list(shown["children"]) == [str(europe)]
    assert_error(admin.get(f"/services/atlas/resources/{maps}"), 404, "service_name")
    assert_error(admin.delete(f"/services/atlas/resources/{maps}"), 404, "service_name")
    assert admin.get(f"/resources/{maps}").status_code == 200
    assert admin.delete(f"/services/catalog/resources/{maps}").status_code == 200
    assert_error(admin.get(f"/services/catalog/resources/{maps}"), 404, "resource_id")
    assert_error(admin.get(f"/resources/{europe}"), 404, "resource_id")
    assert_error(admin.delete(f"/services/catalog/resources/{maps}"), 404, "resource_id")
    assert_error(admin.get("/services/catalog/resources/x"), 400, "resource_id")


def test_delete_through_service_fires_delete_resource(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Deleting through ``/services/{s}/resources/{id}`` fires ``delete_resource`` as before."""
    payload = {"id": "{{resource.id}}", "name": "{{resource.name}}"}
    service = start_service([hook("gone", "delete_resource", receiver.url("/gone"), payload)])
    admin = service.admin
    catalog = add_service(admin, "catalog")
    maps = add_resource(admin, catalog["resource_id"], "maps")
    assert admin.delete(f"/services/catalog/resources/{maps}").status_code == 200
    (got,) = receiver.wait_for(1, "/gone")
    assert got.json() == {"id": maps, "name": "maps"}


def test_service_resources_nesting(service: Service) -> None:
    """``/services/{s}/resources`` is keyed by service name, children by id, with permissions."""
    admin = service.admin
    catalog = add_service(admin, "catalog")
    maps = add_resource(admin, catalog["resource_id"], "maps")
    europe = add_resource(admin, maps, "europe")
    body = admin.get("/services/catalog/resources").json()
    tree = body["catalog"]
    assert tree["service_name"] == "catalog"
    assert tree["service_url"] == "http://catalog.internal/"
    assert tree["permission_names"] == ROUTE_NAMES
    node = tree["resources"][str(maps)]
    assert node["resource_child_allowed"] is True
    assert node["permission_names"] == ROUTE_NAMES
    assert node["parent_id"] == catalog["resource_id"]
    assert node["root_service_id"] == catalog["resource_id"]
    assert node["children"][str(europe)]["children"] == {}


def test_all_resources_by_type(service: Service) -> None:
    """``GET /resources`` shows every service's tree by type, without private URLs."""
    admin = service.admin
    catalog = add_service(admin, "catalog")
    maps = add_resource(admin, catalog["resource_id"], "maps")
    add_service(admin, "door", "access")
    everything = admin.get("/resources").json()["resources"]
    assert everything["thredds"] == {}
    tree = everything["api"]["catalog"]
    assert "service_url" not in tree
    assert list(tree["resources"]) == [str(maps)]
    assert everything["access"]["door"]["resources"] == {}


def test_resource_parents(service: Service) -> None:
    """``parent=true`` nests up to the service; ``invert`` nests down from it; ``flatten`` lists."""
    admin = service.admin
    catalog = add_service(admin, "catalog")
    sid = catalog["resource_id"]
    maps = add_resource(admin, sid, "maps")
    europe = add_resource(admin, maps, "europe")
    up = admin.get(f"/resources/{europe}", params={"parent": "true"}).json()["resource"]
    assert up["resource_id"] == europe
    assert up["parent"][str(maps)]["parent"][str(sid)]["parent"] == {}
    assert up["parent"][str(maps)]["parent"][str(sid)]["resource_type"] == "service"
    down = admin.get(f"/resources/{europe}", params={"parents": "1", "invert": "true"}).json()
    top = down["resource"]
    assert top["resource_id"] == sid
    assert top["children"][str(maps)]["children"][str(europe)]["children"] == {}
    flat = admin.get(
        f"/resources/{europe}", params={"parent": "true", "flatten": "true", "invert": "true"}
    ).json()["resources"]
    assert [r["resource_id"] for r in flat] == [sid, maps, europe]
    plain = admin.get(f"/resources/{europe}", params={"flatten": "true"}).json()
    assert plain["resource"]["children"] == {}


def test_resource_permissions_and_child_types(service: Service) -> None:
    """A resource lists its allowed permissions and the types that may go under it."""
    admin = service.admin
    thredds = add_service(admin, "data", "thredds")
    folder = add_resource(admin, thredds["resource_id"], "folder", "directory")
    leaf = add_resource(admin, folder, "f.nc", "file")
    names = admin.get(f"/resources/{leaf}/permissions").json()["permission_names"]
    assert names[:2] == ["browse-match", "browse-allow-match"]
    types = admin.get(f"/resources/{folder}/types").json()
    assert types["children_resource_types"] == ["directory", "file"]
    assert types["children_resource_allowed"] is True
    assert types["root_service_name"] == "data"
    assert types["root_service_type"] == "thredds"
    leaf_types = admin.get(f"/resources/{leaf}/types").json()
    assert leaf_types["children_resource_types"] == []
    assert leaf_types["children_resource_allowed"] is False
    assert_error(admin.get("/resources/999999/permissions"), 404, "resource_id")


def test_rename_resource(service: Service) -> None:
    """PATCH renames; the same name is 400, a sibling's (any case) 409, no name 400."""
    admin = service.admin
    catalog = add_service(admin, "catalog")
    maps = add_resource(admin, catalog["resource_id"], "maps")
    add_resource(admin, catalog["resource_id"], "charts")
    response = admin.patch(f"/resources/{maps}", json={"resource_name": "atlas"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["old_resource_name"] == "maps"
    assert body["new_resource_name"] == "atlas"
    assert admin.get(f"/resources/{maps}").json()["resource"]["resource_name"] == "atlas"
    assert_error(admin.patch(f"/resources/{maps}", json={"resource_name": "atlas"}), 400)
    clash = admin.patch(f"/resources/{maps}", json={"resource_name": "CHARTS"})
    assert_error(clash, 409, "resource_name")
    assert_error(admin.patch(f"/resources/{maps}", json={}), 422, "resource_name")
    renamed_service = admin.patch(
        f"/resources/{catalog['resource_id']}", json={"resource_name": "cat"}
    )
    assert renamed_service.status_code == 200
    assert admin.get("/services/cat").json()["service"]["public_url"].endswith("/cat")
