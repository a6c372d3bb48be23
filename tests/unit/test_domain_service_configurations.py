"""Service configurations: the configurable types and the defaults they report (Magpie's)."""

from __future__ import annotations

from rookery.domain.service_configurations import configuration_view, is_configurable
from rookery.domain.service_types import SERVICE_TYPES, listed_types


def test_only_thredds_and_geoserver_take_a_configuration() -> None:
    """Exactly ``thredds`` and ``geoserver`` are configurable."""
    assert [name for name in SERVICE_TYPES if is_configurable(name)] == ["geoserver", "thredds"]


def test_thredds_defaults_fill_what_is_missing() -> None:
    """Stored keys win; missing keys and empty prefix lists take Magpie's defaults."""
    view = configuration_view("thredds", {"skip_prefix": "data", "data_type": {"prefixes": []}})
    assert view == {
        "skip_prefix": "data",
        "file_patterns": [".*\\.nc"],
        "data_type": {"prefixes": ["fileServer", "dodsC", "dap4", "wcs", "wms"]},
        "metadata_type": {"prefixes": [None, "catalog\\.\\w+", "catalog", "ncml", "uddc", "iso"]},
    }


def test_geoserver_switches_default_on_and_the_view_never_changes_what_is_stored() -> None:
    """Each endpoint switch is on unless stored as ``false``; the stored dict is untouched."""
    stored = {"wps": False, "wms": "no"}
    assert configuration_view("geoserver", stored) == {"wfs": True, "wms": True, "wps": False}
    assert stored == {"wps": False, "wms": "no"}


def test_other_types_report_what_is_stored() -> None:
    """A type that takes no configuration shows the stored value as it is (usually None)."""
    assert configuration_view("api", None) is None
    assert configuration_view("wps", {"a": 1}) == {"a": 1}


def test_listed_types_are_magpies_plus_those_in_use() -> None:
    """Listings show Magpie's ten types, and ``wms`` only when a service uses it."""
    assert "wms" not in listed_types([])
    assert len(listed_types([])) == 10
    assert "wms" in listed_types(["wms", "api"])
