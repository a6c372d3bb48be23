"""Magpie's separate providers and permissions files start Rookery as they start Magpie: the
services are registered with public ``getcapabilities``, Twitcher's URL follows Magpie's
settings, and a permission that cannot be applied is skipped with a warning, not a failed start
(the checks of Magpie's ``test_ValidateDefaultServiceProviders``, and its sample files' shape)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from rookery.db.models import Event
from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import count_rows

PROVIDERS: dict[str, Any] = {
    "providers": {
        "forecasts": {
            "url": "http://${ROOKERY_TEST_MODEL_HOST}:8093/wps",
            "title": "Forecasts",
            "public": True,
            "c4i": False,
            "type": "wps",
            "sync_type": "wps",
        },
        "archive": {"url": "http://archive.lan:8083/thredds", "type": "thredds"},
        "maps": {"url": "http://maps.lan:8087/geoserver", "type": "geoserverwms"},
        "notes-api": {
            "url": "http://notes.lan:3005/api",
            "type": "api",
            "hooks": [{"type": "request", "path": "/jobs", "target": "hooks.py:add"}],
        },
    }
}
PERMISSIONS: dict[str, Any] = {
    "permissions": [
        {
            "service": "no-such-service",
            "resource": "/api",
            "permission": "read",
            "user": "anonymous",
        },
        {"service": "archive", "permission": "browse", "group": "readers"},
        {"service": "notes-api", "permission": "read", "user": "nobody-here"},
        {"service": "notes-api", "permission": "read", "group": "readers", "action": "grant"},
        {
            "service": "notes-api",
            "resource": "/jobs/open",
            "permission": "write",
            "group": "readers",
        },
    ]
}


def _files(tmp_path: Path, providers: dict[str, Any]) -> dict[str, str]:
    (tmp_path / "providers.cfg").write_text(yaml.safe_dump(providers), encoding="utf-8")
    (tmp_path / "permissions.cfg").write_text(yaml.safe_dump(PERMISSIONS), encoding="utf-8")
    return {
        "providers_config_path": str(tmp_path / "providers.cfg"),
        "permissions_config_path": str(tmp_path / "permissions.cfg"),
    }


def test_magpie_files_start_and_register_as_magpie(
    start_service: ServiceFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Services carry their declared type and expanded URL, a public URL behind Twitcher as
    Magpie builds it, and ``getcapabilities`` for everyone where the type knows it; the bad
    permission entries are skipped with a warning each, the good ones applied."""
    monkeypatch.setenv("ROOKERY_TEST_MODEL_HOST", "models.lan")
    caplog.set_level(logging.WARNING, logger="rookery.registration")
    service = start_service(**_files(tmp_path, PROVIDERS), protected_path="/ows/proxy")
    admin = service.admin
    listed = {
        s["service_name"]: s
        for s in admin.get("/services", params={"flatten": "true"}).json()["services"]
    }
    assert {name: listed[name]["service_type"] for name in PROVIDERS["providers"]} == {
        "forecasts": "wps",
        "archive": "thredds",
        "maps": "geoserverwms",
        "notes-api": "api",
    }
    assert listed["forecasts"]["service_url"] == "http://models.lan:8093/wps"
    host = service.settings.host
    assert listed["archive"]["public_url"] == f"https://{host}/twitcher/ows/proxy/archive"

    public = admin.get("/users/anonymous/services").json()["services"]  # its own, as Magpie's
    opened = {
        name
        for kind in public.values()
        for name, body in kind.items()
        if "getcapabilities" in body["permission_names"]
    }
    assert opened == {"forecasts", "maps"}  # thredds and api services know no getcapabilities
    own = admin.get("/users/anonymous/services/forecasts/permissions").json()
    assert [p["name"] for p in own["permissions"]] == ["getcapabilities"]
    refused = admin.delete("/users/anonymous/services/forecasts/permissions/getcapabilities")
    assert refused.status_code == 403  # the API still edits nothing of the anonymous user

    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 3, skipped
    assert "no-such-service" in skipped[0]
    assert "permissions.cfg: permission #1" in skipped[0]
    assert "nobody-here" in skipped[1]
    assert "'grant'" in skipped[2]
    readers = admin.get("/groups/readers/services/archive/permissions").json()
    assert [p["name"] for p in readers["permissions"]] == ["browse"]
    tree = admin.get("/services/notes-api/resources").json()["notes-api"]["resources"]
    (jobs,) = tree.values()
    assert [c["resource_name"] for c in jobs["children"].values()] == ["open"]


def test_a_restart_moves_a_service_to_its_declared_url(
    start_service: ServiceFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As Magpie at start: a declared service whose URL changed in the file gets the new URL;
    nothing is created twice (the public ``getcapabilities`` included)."""
    monkeypatch.setenv("ROOKERY_TEST_MODEL_HOST", "models.lan")
    first = start_service(**_files(tmp_path, PROVIDERS))
    events = count_rows(first, Event)
    first.stop()

    moved = {"providers": {**PROVIDERS["providers"]}}
    moved["providers"]["archive"] = {"url": "http://archive2.lan/thredds", "type": "thredds"}
    second = start_service(**_files(tmp_path, moved))
    archive = second.admin.get("/services/archive").json()["service"]
    assert archive["service_url"] == "http://archive2.lan/thredds"
    again = second.admin.get("/users/anonymous/services/maps/permissions").json()
    assert [p["name"] for p in again["permissions"]] == ["getcapabilities"]
    assert second.admin.get("/groups").json()["group_names"].count("readers") == 1
    assert count_rows(second, Event) == events  # nothing created again


def test_public_getcapabilities_can_be_taken_back_at_start(
    start_service: ServiceFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API cannot change the anonymous user's permissions, so the setting is the way back:
    with ``ROOKERY_PUBLIC_GETCAPABILITIES`` false, the next start removes the grant a start
    gave, and gives none."""
    monkeypatch.setenv("ROOKERY_TEST_MODEL_HOST", "models.lan")
    first = start_service(**_files(tmp_path, PROVIDERS))
    given = first.admin.get("/users/anonymous/services").json()["services"]
    assert set(given) == {"wps", "geoserverwms"}
    first.stop()

    second = start_service(**_files(tmp_path, PROVIDERS), public_getcapabilities=False)
    assert second.admin.get("/users/anonymous/services").json()["services"] == {}
    second.stop()
    third = start_service(**_files(tmp_path, PROVIDERS), public_getcapabilities=False)
    assert third.admin.get("/users/anonymous/services").json()["services"] == {}
