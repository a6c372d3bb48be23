"""Magpie's names for its providers and permissions files and for Twitcher's URL are settings of
Rookery's too, with Magpie's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from rookery.config import load_settings


@pytest.fixture
def no_file(tmp_path: Path) -> dict[str, str]:
    return {"ROOKERY_ENV_FILE": str(tmp_path / "none.env"), "ROOKERY_URL": "http://auth.lan:2001"}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({}, "http://auth.lan:2001/ows/proxy"),
        ({"TWITCHER_PROTECTED_URL": "https://proxy.lan/ows/"}, "https://proxy.lan/ows"),
        ({"TWITCHER_PROTECTED_PATH": "/ows/proxy"}, "https://auth.lan/twitcher/ows/proxy"),
        ({"TWITCHER_PROTECTED_PATH": "ows/proxy/"}, "https://auth.lan/twitcher/ows/proxy"),
        ({"TWITCHER_PROTECTED_PATH": "/twitcher/p"}, "https://auth.lan/twitcher/p"),
        ({"TWITCHER_HOST": "gate.lan"}, "https://gate.lan/twitcher/ows/proxy"),
        (
            {"TWITCHER_HOST": "gate.lan", "TWITCHER_PROTECTED_URL": "https://x.lan/p"},
            "https://x.lan/p",
        ),
        (
            {"ROOKERY_PROTECTED_PATH": "/p", "ROOKERY_PROTECTED_HOST": "g.lan"},
            "https://g.lan/twitcher/p",
        ),
    ],
)
def test_twitcher_url_follows_magpie_settings(
    no_file: dict[str, str], names: dict[str, str], expected: str
) -> None:
    """Without Twitcher settings the base is Rookery's own ``/ows/proxy``; Magpie's path or host
    setting switches to Magpie's ``https://{host}/twitcher{path}``; a full URL wins."""
    assert load_settings({**no_file, **names}).twitcher_url == expected


def test_providers_then_permissions_unless_a_combined_file(no_file: dict[str, str]) -> None:
    """Magpie's separate files are read providers first; the combined file replaces both."""
    files = {
        "MAGPIE_PROVIDERS_CONFIG_PATH": "/etc/magpie/providers.cfg",
        "MAGPIE_PERMISSIONS_CONFIG_PATH": "/etc/magpie/permissions.cfg",
    }
    assert load_settings(no_file).registration_sources == ()
    assert load_settings({**no_file, **files}).registration_sources == (
        "/etc/magpie/providers.cfg",
        "/etc/magpie/permissions.cfg",
    )
    only = {**no_file, "ROOKERY_PERMISSIONS_CONFIG_PATH": "/p.cfg"}
    assert load_settings(only).registration_sources == ("/p.cfg",)
    combined = {**no_file, **files, "MAGPIE_CONFIG_PATH": "/etc/magpie/config.yml"}
    assert load_settings(combined).registration_sources == ("/etc/magpie/config.yml",)


def test_public_getcapabilities_is_on_unless_switched_off(no_file: dict[str, str]) -> None:
    """Magpie's start always opens ``getcapabilities``; Rookery does too unless told not to."""
    assert load_settings(no_file).public_getcapabilities is True
    off = {**no_file, "ROOKERY_PUBLIC_GETCAPABILITIES": "false"}
    assert load_settings(off).public_getcapabilities is False
