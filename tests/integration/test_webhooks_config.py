"""Webhook configuration at start-up (SPEC §4): refusal with a precise message, valid edge
cases that start and deliver, and directories read in alphabetical order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from rookery.bootstrap import build
from rookery.errors import InvalidWebhookConfigError
from tests.conftest import ServiceFactory
from tests.integration.webhook_steps import create_user, hook, ordered_body, wait_for_status
from tests.support.receiver import Receiver
from tests.support.service import settings_for

GOOD = {"name": "good", "action": "create_user", "method": "POST", "url": "http://127.0.0.1:9/hook"}

# (broken item, fragments the error message must contain besides the file and the item)
INVALID: dict[str, tuple[Any, list[str]]] = {
    "url without scheme": (
        {**GOOD, "name": "bad-url", "url": "127.0.0.1/hook"},
        ["'bad-url'", "key 'url'", "absolute http(s) URL"],
    ),
    "url without host": (
        {**GOOD, "name": "no-host", "url": "http:///hook"},
        ["'no-host'", "key 'url'", "absolute http(s) URL"],
    ),
    "ftp url": (
        {**GOOD, "name": "ftp", "url": "ftp://127.0.0.1/hook"},
        ["'ftp'", "key 'url'", "absolute http(s) URL"],
    ),
    "unknown action": (
        {**GOOD, "name": "bad-action", "action": "create_usr"},
        ["'bad-action'", "key 'action'", "create_user"],
    ),
    "bad method": (
        {**GOOD, "name": "bad-method", "method": "FETCH"},
        ["'bad-method'", "key 'method'", "GET, HEAD, POST, PUT, PATCH, DELETE"],
    ),
    "non-mapping item": ("just a string", ["expected a mapping", "'just a string'"]),
    "list item": (["name", "url"], ["expected a mapping"]),
    "unknown key": (
        {**GOOD, "name": "typo", "heders": {"X-A": "1"}},
        ["'typo'", "'heders'", "did you mean 'headers'"],
    ),
    "missing url": (
        {key: v for key, v in GOOD.items() if key != "url"} | {"name": "no-url"},
        ["'no-url'", "key 'url'", "required"],
    ),
}


def _write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_item_stops_the_service(start_service: ServiceFactory, case: str) -> None:
    """An invalid second item refuses to start, naming file, item number and name, and key."""
    item, fragments = INVALID[case]
    with pytest.raises(InvalidWebhookConfigError) as caught:
        start_service(webhooks=[GOOD, item])
    message = str(caught.value)
    assert "config0/webhooks.yml" in message
    assert "webhook #2" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_invalid_combined_config_stops_the_service(start_service: ServiceFactory) -> None:
    """A bad webhook in a combined configuration file (ROOKERY_CONFIG_PATH) refuses start too."""
    bad = {**GOOD, "name": "bad-method", "method": "SEND"}
    with pytest.raises(InvalidWebhookConfigError, match=r"webhook #1 \('bad-method'\)"):
        start_service(webhooks=[bad], config_sections={"providers": ""})


def test_invalid_config_is_refused_before_the_database_is_touched(tmp_path: Path) -> None:
    """``build`` refuses an invalid configuration without creating the database."""
    config = _write(tmp_path / "hooks.yml", {"webhooks": [GOOD, {**GOOD, "url": "nope"}]})
    database = tmp_path / "never.db"
    settings = settings_for(f"sqlite:///{database}", webhooks_config_path=str(config))
    with pytest.raises(InvalidWebhookConfigError, match=r"hooks\.yml: webhook #2 \('good'\)"):
        build(settings)
    assert not database.exists()


def test_one_bad_file_in_a_directory_refuses_all(
    start_service: ServiceFactory, tmp_path: Path
) -> None:
    """A directory whose last file holds a bad item is refused as a whole, naming that file."""
    folder = tmp_path / "hooks"
    _write(folder / "a.yml", {"webhooks": [GOOD]})
    _write(folder / "b.yml", {"webhooks": [{**GOOD, "name": "late", "action": "nope"}]})
    with pytest.raises(InvalidWebhookConfigError) as caught:
        start_service(webhooks_config_path=str(folder))
    assert f"{folder / 'b.yml'}: webhook #1 ('late'): key 'action'" in str(caught.value)


def test_valid_edge_cases_start_and_deliver(
    start_service: ServiceFactory,
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SPEC §4 edge cases start: env vars, empty URL path, any-case method, content-type format,
    duplicate names under distinct ids, disabled items, other sections, and config-declared
    users fire webhooks."""
    monkeypatch.setenv("ROOKERY_TEST_HOOK_PORT", str(receiver.port))
    monkeypatch.setenv("ROOKERY_TEST_LABEL", "from-env")
    monkeypatch.delenv("ROOKERY_TEST_UNSET", raising=False)
    config = tmp_path / "rookery.yml"
    config.write_text(
        """
providers: ""
users:
  - username: cfg-user
    password: a-long-enough-password
    email: cfg-user@example.org
webhooks:
  - name: dup
    action: create_user
    method: post
    url: http://127.0.0.1:${ROOKERY_TEST_HOOK_PORT}
    format: application/json
    retry: {schedule: []}
    payload:
      name: "{{user.name}}"
      actor: "{{actor.name}}"
      label: $ROOKERY_TEST_LABEL
      unset: ${ROOKERY_TEST_UNSET}
      template_kept: "{{user.name}}-$ROOKERY_TEST_LABEL"
  - name: dup
    id: dup-without-body
    action: create_user
    method: Get
    url: http://127.0.0.1:$ROOKERY_TEST_HOOK_PORT/empty
    payload: null
  - name: switched-off
    action: create_user
    method: POST
    url: http://127.0.0.1:${ROOKERY_TEST_HOOK_PORT}/off
    enabled: false
""",
        encoding="utf-8",
    )
    service = start_service(config_path=str(config))
    assert [w.name for w in service.app.webhooks] == ["dup", "dup", "switched-off"]

    [first] = receiver.wait_for(1, "/")
    assert first.method == "POST"
    assert ordered_body(first) == [
        ("name", "cfg-user"),
        ("actor", None),
        ("label", "from-env"),
        ("unset", "${ROOKERY_TEST_UNSET}"),
        ("template_kept", "cfg-user-from-env"),
    ]
    [empty] = receiver.wait_for(1, "/empty")
    assert (empty.method, empty.body) == ("GET", b"")

    create_user(service, "api-user")
    receiver.wait_for(2, "/")
    wait_for_status(service, "api-user", "OK")
    assert receiver.on("/off") == []


@pytest.mark.parametrize("section", ["webhooks: []", "webhooks: null", "users: []", ""])
def test_files_without_webhooks_start_fine(
    start_service: ServiceFactory, tmp_path: Path, section: str
) -> None:
    """An empty list, null, a missing section or an empty file configure no webhook and start."""
    config = tmp_path / "empty.yml"
    config.write_text(section + "\n", encoding="utf-8")
    service = start_service(webhooks_config_path=str(config))
    assert len(service.app.webhooks) == 0
    create_user(service, "plain")
    wait_for_status(service, "plain", "OK")


def test_directory_files_load_in_alphabetical_order(
    start_service: ServiceFactory, receiver: Receiver, tmp_path: Path
) -> None:
    """A directory's config files load in name order (others skipped) and deliver in that order."""
    folder = tmp_path / "hooks"
    url = receiver.url("/order")

    def item(name: str) -> dict[str, Any]:
        return hook(name, "create_user", url, {"from": name, "user": "{{user.name}}"})

    # Written out of order so that creation order cannot pass for name order.
    _write(folder / "e.yml", {"webhooks": [item("e-1"), item("e-2")]})
    _write(folder / "b.yml", {"groups": [{"name": "ignored"}]})
    (folder / "c.json").write_text(json.dumps({"webhooks": [item("c-json")]}), encoding="utf-8")
    _write(folder / "d.yaml", {"webhooks": None})
    _write(folder / "10-first.cfg", {"webhooks": [item("10-first")]})
    (folder / "notes.txt").write_text("webhooks: [ {not yaml", encoding="utf-8")
    (folder / "z.yml.bak").write_text("webhooks: [ {not yaml", encoding="utf-8")

    service = start_service(webhooks_config_path=str(folder))
    names = ["10-first", "c-json", "e-1", "e-2"]
    assert [w.name for w in service.app.webhooks] == names

    create_user(service, "ordered")
    got = receiver.wait_for(4, "/order")
    assert [r.json()["from"] for r in got] == names
