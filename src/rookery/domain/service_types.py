"""The service type table: which resource types each kind of service may contain, and which
permission names may be applied to the service and to each of its resource types.

The table is data (:data:`SERVICE_TYPES`); every rule about types reads it and nothing else, so a
new service type is one new entry.

Invariants:

* every service type has an entry for the resource type ``"service"`` (the service itself);
* every child type named anywhere in a service type also has its own entry in that service type;
* permission names are lowercase and contain no ``-`` (``-`` separates the parts of a
  permission string, see :mod:`rookery.domain.permissions`);
* :data:`ALL_PERMISSION_NAMES` is exactly the union of the names in the table.

Decisions where SPEC §1 leaves room:

* ``wms`` services contain ``layer`` resources (leaves), like ``wfs``: a layer carries every
  request permission except ``getcapabilities``, which only makes sense on the service;
* ``ncwms`` services follow Magpie's ncWMS2 layout: ``directory`` → ``directory|file``, with
  the service's WMS request permissions (``getcapabilities`` included) on directories and files;
* on ``thredds``, ``browse``, ``read`` and ``write`` apply everywhere (as in Magpie 5.1.0);
* ``wfs`` services also allow the WFS 2.0 requests (as in Magpie 5.1.0), their layers the
  four WFS 1.0 feature requests;
* a child type that no service type knows is *unknown* (:class:`UnprocessableError`); a known
  type that may not be placed under that parent is *refused* (:class:`ForbiddenError`).

The four GeoServer types follow Magpie 5.1.0: a ``workspace`` directly under the service, then
``layer`` (WMS, WFS) or ``process`` (WPS) leaves under a workspace; the combined ``geoserver`` type
allows the union of the three. A workspace carries the permissions of its service. The combined
``geoserver`` type also takes ``route`` resources (GeoServer paths outside the OWS endpoints),
under the service or under another route, and a route may hold workspaces: Magpie's own API
suite expects this structure from every Magpie since 3.35.0 (``test_GetResourceTypes_
ServiceGeoserver``). A route carries ``read`` and ``write``, as the routes of ``api`` services
(not read in Magpie's source: the suite checks the structure only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from rookery.errors import ForbiddenError, InvalidInputError, UnprocessableError

__all__ = [
    "ALL_PERMISSION_NAMES",
    "ALL_RESOURCE_TYPES",
    "SERVICE",
    "SERVICE_TYPES",
    "ResourceTypeRule",
    "ServiceType",
    "allowed_child_types",
    "allowed_permissions",
    "check_child_type_allowed",
    "child_resource_allowed",
    "get_service_type",
    "listed_types",
]

SERVICE: Final = "service"
"""The resource type under which a service itself appears in the table."""


@dataclass(frozen=True)
class ResourceTypeRule:
    """What one resource type inside one service type may hold."""

    resource_type: str
    permissions: tuple[str, ...]
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceType:
    """One service type: its name and the rule of every resource type it knows."""

    name: str
    rules: tuple[ResourceTypeRule, ...]
    magpie: bool = True
    """Magpie 5.1.0 knows this type; listings of every type name only such types (and any other
    type a service uses), so Magpie clients see the set of types they expect."""

    @property
    def resource_types(self) -> tuple[str, ...]:
        """Every resource type of this service, ``"service"`` first."""
        return tuple(rule.resource_type for rule in self.rules)

    def rule(self, resource_type: str) -> ResourceTypeRule:
        """Return the rule of ``resource_type``; unknown types are an invalid input."""
        for candidate in self.rules:
            if candidate.resource_type == resource_type:
                return candidate
        raise InvalidInputError(
            f"Resource type {resource_type!r} does not exist in services of type "
            f"{self.name!r}; expected one of {', '.join(self.resource_types)}.",
            param="resource_type",
            value=resource_type,
            compare=list(self.resource_types),
        )


_WMS_REQUESTS: Final = ("getmap", "getfeatureinfo", "getlegendgraphic", "getmetadata")
_WFS_REQUESTS: Final = ("describefeaturetype", "getfeature", "lockfeature", "transaction")
_WFS2_REQUESTS: Final = (
    "getfeaturewithlock",
    "createstoredquery",
    "dropstoredquery",
    "liststoredqueries",
    "describestoredqueries",
)
_GEOSERVER_WMS: Final = (
    "getcapabilities",
    "getmap",
    "getfeatureinfo",
    "getlegendgraphic",
    "describelayer",
)
_GEOSERVER_WFS: Final = (
    "getcapabilities",
    *_WFS_REQUESTS,
    *_WFS2_REQUESTS,
    "getgmlobject",
    "getpropertyvalue",
)
_WPS: Final = ("getcapabilities", "describeprocess", "execute")
_PROCESS: Final = ("describeprocess", "execute")


def _union(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({name for group in groups for name in group}))


def _table(*types: ServiceType) -> MappingProxyType[str, ServiceType]:
    return MappingProxyType({service_type.name: service_type for service_type in types})


SERVICE_TYPES: Final = _table(
    ServiceType(
        "access",
        (ResourceTypeRule(SERVICE, ("access",)),),
    ),
    ServiceType(
        "api",
        (
            ResourceTypeRule(SERVICE, ("read", "write"), ("route",)),
            ResourceTypeRule("route", ("read", "write"), ("route",)),
        ),
    ),
    ServiceType(
        "geoserver",
        (
            ResourceTypeRule(
                SERVICE, _union(_GEOSERVER_WMS, _GEOSERVER_WFS, _WPS), ("route", "workspace")
            ),
            ResourceTypeRule("route", ("read", "write"), ("route", "workspace")),
            ResourceTypeRule(
                "workspace",
                _union(_GEOSERVER_WMS, _GEOSERVER_WFS, _WPS),
                ("layer", "process"),
            ),
            ResourceTypeRule("layer", _union(_GEOSERVER_WMS, _GEOSERVER_WFS)),
            ResourceTypeRule("process", _PROCESS),
        ),
    ),
    ServiceType(
        "geoserverwfs",
        (
            ResourceTypeRule(SERVICE, _GEOSERVER_WFS, ("workspace",)),
            ResourceTypeRule("workspace", _GEOSERVER_WFS, ("layer",)),
            ResourceTypeRule("layer", _GEOSERVER_WFS),
        ),
    ),
    ServiceType(
        "geoserverwms",
        (
            ResourceTypeRule(SERVICE, _GEOSERVER_WMS, ("workspace",)),
            ResourceTypeRule("workspace", _GEOSERVER_WMS, ("layer",)),
            ResourceTypeRule("layer", _GEOSERVER_WMS),
        ),
    ),
    ServiceType(
        "geoserverwps",
        (
            ResourceTypeRule(SERVICE, _WPS, ("workspace",)),
            ResourceTypeRule("workspace", _WPS, ("process",)),
            ResourceTypeRule("process", _PROCESS),
        ),
    ),
    ServiceType(
        "ncwms",
        (
            ResourceTypeRule(SERVICE, ("getcapabilities", *_WMS_REQUESTS), ("directory", "file")),
            ResourceTypeRule(
                "directory", ("getcapabilities", *_WMS_REQUESTS), ("directory", "file")
            ),
            ResourceTypeRule("file", ("getcapabilities", *_WMS_REQUESTS)),
        ),
    ),
    ServiceType(
        "thredds",
        (
            ResourceTypeRule(SERVICE, ("browse", "read", "write"), ("directory", "file")),
            ResourceTypeRule("directory", ("browse", "read", "write"), ("directory", "file")),
            ResourceTypeRule("file", ("browse", "read", "write")),
        ),
    ),
    ServiceType(
        "wfs",
        (
            ResourceTypeRule(
                SERVICE, ("getcapabilities", *_WFS_REQUESTS, *_WFS2_REQUESTS), ("layer",)
            ),
            ResourceTypeRule("layer", _WFS_REQUESTS),
        ),
    ),
    ServiceType(
        "wms",
        (
            ResourceTypeRule(SERVICE, ("getcapabilities", *_WMS_REQUESTS), ("layer",)),
            ResourceTypeRule("layer", _WMS_REQUESTS),
        ),
        magpie=False,
    ),
    ServiceType(
        "wps",
        (
            ResourceTypeRule(SERVICE, _WPS, ("process",)),
            ResourceTypeRule("process", _PROCESS),
        ),
    ),
)
"""Every service type Rookery knows, by name."""

ALL_PERMISSION_NAMES: Final[frozenset[str]] = frozenset(
    name
    for service_type in SERVICE_TYPES.values()
    for rule in service_type.rules
    for name in rule.permissions
)
"""Every permission name that is allowed somewhere; any other name is unknown."""

ALL_RESOURCE_TYPES: Final[frozenset[str]] = frozenset(
    rule.resource_type
    for service_type in SERVICE_TYPES.values()
    for rule in service_type.rules
    if rule.resource_type != SERVICE
)
"""Every type a (non-service) resource may have in some service type."""


def get_service_type(name: object) -> ServiceType:
    """Return the service type called ``name`` (any letter case); unknown is invalid input."""
    found = SERVICE_TYPES.get(name.strip().lower()) if isinstance(name, str) else None
    if found is None:
        raise InvalidInputError(
            f"Service type {name!r} is not supported; expected one of "
            f"{', '.join(sorted(SERVICE_TYPES))}.",
            param="service_type",
            value=name,
            compare=sorted(SERVICE_TYPES),
        )
    return found


def allowed_child_types(service_type: str, parent_resource_type: str) -> tuple[str, ...]:
    """Return the resource types that may be created under a ``parent_resource_type``."""
    return get_service_type(service_type).rule(parent_resource_type).children


def child_resource_allowed(service_type: str, resource_type: str) -> bool:
    """Whether anything may ever be created under a ``resource_type`` of this service type."""
    return bool(allowed_child_types(service_type, resource_type))


def allowed_permissions(service_type: str, resource_type: str) -> tuple[str, ...]:
    """Return the permission names that may be applied on a ``resource_type``."""
    return get_service_type(service_type).rule(resource_type).permissions


def check_child_type_allowed(
    service_type: str, parent_resource_type: str, child_resource_type: str
) -> None:
    """Raise unless a ``child_resource_type`` may be created under ``parent_resource_type``."""
    allowed = allowed_child_types(service_type, parent_resource_type)
    if child_resource_type in allowed:
        return
    if child_resource_type not in ALL_RESOURCE_TYPES:
        raise UnprocessableError(
            f"Resource type {child_resource_type!r} is unknown; expected one of "
            f"{', '.join(sorted(ALL_RESOURCE_TYPES))}.",
            param="resource_type",
            value=child_resource_type,
            compare=sorted(ALL_RESOURCE_TYPES),
        )
    expected = ", ".join(allowed) if allowed else "nothing (it cannot have children)"
    raise ForbiddenError(
        f"A {child_resource_type!r} cannot be created under a {parent_resource_type!r} of a "
        f"{service_type!r} service; allowed: {expected}.",
        param="resource_type",
        value=child_resource_type,
        compare=list(allowed),
    )


def listed_types(in_use: Iterable[str]) -> list[str]:
    """The type names a listing of every type shows: Magpie's types, plus any other type that
    a service in ``in_use`` has (Rookery's own ``wms``), sorted."""
    used = set(in_use)
    return sorted(name for name, kind in SERVICE_TYPES.items() if kind.magpie or name in used)
