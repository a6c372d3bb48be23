"""Service configurations: which service types take one, and the configuration they report.

Magpie lets two types carry a JSON ``configuration``: ``thredds`` (how request paths map to
resources and permissions) and ``geoserver`` (which OWS endpoints are on). It reports the stored
configuration completed with each setting's default, so a client always sees every setting; a
service of any other type takes no configuration at all.

Invariants: :func:`configuration_view` never changes what is stored (it returns a new value);
for a configurable type it is total (``None`` stored gives the defaults); for other types it
returns what is stored unchanged.
"""

from __future__ import annotations

import copy
from typing import Any, Final

__all__ = ["CONFIGURABLE_TYPES", "configuration_view", "is_configurable"]

_THREDDS_DATA_PREFIXES: Final = ("fileServer", "dodsC", "dap4", "wcs", "wms")
_THREDDS_METADATA_PREFIXES: Final = (None, "catalog\\.\\w+", "catalog", "ncml", "uddc", "iso")
_GEOSERVER_ENDPOINTS: Final = ("wfs", "wms", "wps")

CONFIGURABLE_TYPES: Final = frozenset({"thredds", "geoserver"})


def is_configurable(service_type: str) -> bool:
    """Whether services of ``service_type`` take a configuration."""
    return service_type in CONFIGURABLE_TYPES


def _prefixes(section: object, defaults: tuple[str | None, ...]) -> dict[str, Any]:
    found = dict(section) if isinstance(section, dict) else {}
    if not found.get("prefixes"):
        found["prefixes"] = list(defaults)
    return found


def _thredds(stored: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(stored)
    view.setdefault("skip_prefix", "thredds")
    view.setdefault("file_patterns", [".*\\.nc"])
    view["data_type"] = _prefixes(view.get("data_type"), _THREDDS_DATA_PREFIXES)
    view["metadata_type"] = _prefixes(view.get("metadata_type"), _THREDDS_METADATA_PREFIXES)
    return view


def _geoserver(stored: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(stored)
    for endpoint in _GEOSERVER_ENDPOINTS:
        if not isinstance(view.get(endpoint), bool):
            view[endpoint] = True  # on unless explicitly switched off
    return {key: view[key] for key in sorted(view)}


def configuration_view(service_type: str, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The configuration a service of ``service_type`` reports, given what is stored."""
    if service_type == "thredds":
        return _thredds(stored or {})
    if service_type == "geoserver":
        return _geoserver(stored or {})
    return stored
