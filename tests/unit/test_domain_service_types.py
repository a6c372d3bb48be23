"""The service type table: child types and permission names per service and resource type."""

from __future__ import annotations

import pytest

from rookery.domain.service_types import (
    ALL_PERMISSION_NAMES,
    SERVICE_TYPES,
    allowed_child_types,
    allowed_permissions,
    check_child_type_allowed,
    get_service_type,
)
from rookery.errors import ForbiddenError, InvalidInputError, UnprocessableError

WMS = ("getcapabilities", "getmap", "getfeatureinfo", "getlegendgraphic", "getmetadata")
WFS = ("describefeaturetype", "getfeature", "lockfeature", "transaction")
WFS2 = (
    "getfeaturewithlock",
    "createstoredquery",
    "dropstoredquery",
    "liststoredqueries",
    "describestoredqueries",
)


@pytest.mark.parametrize(
    ("service_type", "resource_type", "children"),
    [
        ("api", "service", ("route",)),
        ("api", "route", ("route",)),
        ("wps", "service", ("process",)),
        ("wps", "process", ()),
        ("wfs", "service", ("layer",)),
        ("wfs", "layer", ()),
        ("wms", "service", ("layer",)),
        ("wms", "layer", ()),
        ("ncwms", "service", ("directory", "file")),
        ("ncwms", "directory", ("directory", "file")),
        ("ncwms", "file", ()),
        ("geoserver", "service", ("route", "workspace")),
        ("geoserver", "route", ("route", "workspace")),
        ("geoserver", "workspace", ("layer", "process")),
        ("geoserverwms", "workspace", ("layer",)),
        ("geoserverwfs", "workspace", ("layer",)),
        ("geoserverwps", "workspace", ("process",)),
        ("geoserverwps", "process", ()),
        ("thredds", "service", ("directory", "file")),
        ("thredds", "directory", ("directory", "file")),
        ("thredds", "file", ()),
        ("access", "service", ()),
    ],
)
def test_allowed_child_types(service_type: str, resource_type: str, children: tuple[str]) -> None:
    """Each resource type admits exactly the child types of the table."""
    assert allowed_child_types(service_type, resource_type) == children


@pytest.mark.parametrize(
    ("service_type", "resource_type", "permissions"),
    [
        ("api", "service", ("read", "write")),
        ("api", "route", ("read", "write")),
        ("wps", "service", ("getcapabilities", "describeprocess", "execute")),
        ("wps", "process", ("describeprocess", "execute")),
        ("wfs", "service", ("getcapabilities", *WFS, *WFS2)),
        ("wfs", "layer", WFS),
        ("wms", "service", WMS),
        ("wms", "layer", WMS[1:]),
        ("ncwms", "service", WMS),
        ("ncwms", "directory", WMS),
        ("ncwms", "file", WMS),
        ("thredds", "service", ("browse", "read", "write")),
        ("thredds", "directory", ("browse", "read", "write")),
        ("thredds", "file", ("browse", "read", "write")),
        ("access", "service", ("access",)),
        ("geoserverwps", "workspace", ("getcapabilities", "describeprocess", "execute")),
        ("geoserverwps", "process", ("describeprocess", "execute")),
        ("geoserver", "route", ("read", "write")),
        (
            "geoserverwms",
            "layer",
            ("getcapabilities", "getmap", "getfeatureinfo", "getlegendgraphic", "describelayer"),
        ),
    ],
)
def test_allowed_permissions(
    service_type: str, resource_type: str, permissions: tuple[str]
) -> None:
    """Each resource type admits exactly the permission names of the table."""
    assert allowed_permissions(service_type, resource_type) == permissions


def test_all_permission_names_is_the_union_of_the_table() -> None:
    """ALL_PERMISSION_NAMES holds every name used anywhere in the table and nothing else."""
    expected = {"read", "write", "browse", "access", "describeprocess", "execute", *WMS, *WFS}
    expected |= {"describelayer", "getgmlobject", "getpropertyvalue", "getfeaturewithlock"}
    expected |= {"createstoredquery", "dropstoredquery", "liststoredqueries"}
    expected |= {"describestoredqueries"}
    assert expected == ALL_PERMISSION_NAMES


@pytest.mark.parametrize("name", sorted(SERVICE_TYPES))
def test_table_is_consistent(name: str) -> None:
    """Every service type describes itself and every child type it names, with dash-free names."""
    service_type = SERVICE_TYPES[name]
    assert service_type.resource_types[0] == "service"
    for rule in service_type.rules:
        assert set(rule.children) <= set(service_type.resource_types)
        assert all("-" not in p and p == p.lower() for p in rule.permissions)


@pytest.mark.parametrize(("given", "canonical"), [("api", "api"), ("THREDDS", "thredds")])
def test_get_service_type_ignores_case(given: str, canonical: str) -> None:
    """A service type is found by its name in any letter case."""
    assert get_service_type(given).name == canonical


@pytest.mark.parametrize("name", ["", "geoserverwcs", "wms2", None, 3])
def test_unknown_service_type_is_invalid_input(name: object) -> None:
    """An unknown service type is invalid input on `service_type` listing the known ones."""
    with pytest.raises(InvalidInputError) as caught:
        get_service_type(name)
    assert type(caught.value) is InvalidInputError
    assert caught.value.param == "service_type"
    assert "thredds" in caught.value.detail


@pytest.mark.parametrize(("service_type", "resource_type"), [("api", "layer"), ("wps", "file")])
def test_resource_type_foreign_to_the_service_is_invalid_input(
    service_type: str, resource_type: str
) -> None:
    """Asking about a resource type the service does not have is invalid input."""
    with pytest.raises(InvalidInputError) as caught:
        allowed_permissions(service_type, resource_type)
    assert caught.value.param == "resource_type"


@pytest.mark.parametrize(
    ("service_type", "parent", "child", "error"),
    [
        ("api", "service", "route", None),
        ("api", "route", "route", None),
        ("thredds", "directory", "file", None),
        ("thredds", "file", "file", ForbiddenError),
        ("access", "service", "route", ForbiddenError),
        ("wps", "service", "layer", ForbiddenError),
        ("api", "route", "banana", UnprocessableError),
    ],
)
def test_check_child_type_allowed(
    service_type: str, parent: str, child: str, error: type[Exception] | None
) -> None:
    """Known-but-misplaced child types are forbidden; types no service knows are unknown."""
    if error is None:
        check_child_type_allowed(service_type, parent, child)
    else:
        with pytest.raises(error):
            check_child_type_allowed(service_type, parent, child)
