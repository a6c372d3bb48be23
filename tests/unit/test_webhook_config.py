"""Loading and validating webhook configuration (SPEC §4)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from rookery.errors import InvalidWebhookConfigError
from rookery.webhooks.actions import WEBHOOK_KEYS, WebhookAction
from rookery.webhooks.config import WebhookConfig, load_webhooks, validate_webhook_item
from rookery.webhooks.config_files import read_config_documents
from rookery.webhooks.retry import DEFAULT_SCHEDULE

BASE: dict[str, Any] = {
    "name": "notify cowbird",
    "action": "create_user",
    "method": "POST",
    "url": "https://cowbird.example/webhooks/users",
}


def _write(path: Path, document: Any) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _load_one(tmp_path: Path, **overrides: Any) -> WebhookConfig:
    file = _write(tmp_path / "webhooks.yml", {"webhooks": [{**BASE, **overrides}]})
    (webhook,) = load_webhooks(file, environ={})
    return webhook


def _error(tmp_path: Path, items: list[Any]) -> str:
    file = _write(tmp_path / "webhooks.yml", {"webhooks": items})
    with pytest.raises(InvalidWebhookConfigError) as caught:
        load_webhooks(file, environ={})
    return str(caught.value)


# --- valid configurations ---------------------------------------------------------------------


def test_minimal_item_gets_every_default(tmp_path: Path) -> None:
    """An item with only the required keys is filled with the documented defaults."""
    webhook = _load_one(tmp_path)
    assert webhook.action is WebhookAction.CREATE_USER
    assert webhook.method == "POST"
    assert webhook.content_type == "application/json"
    assert webhook.payload is None
    assert webhook.headers == {}
    assert webhook.secrets == ()
    assert webhook.timeout_seconds == 10
    assert webhook.retry.schedule == DEFAULT_SCHEDULE
    assert webhook.enabled is True
    assert webhook.exclude_actors == frozenset()
    assert webhook.source == str(tmp_path / "webhooks.yml")
    assert webhook.index == 0


@pytest.mark.parametrize("section", [[], None])
def test_empty_webhooks_section_means_none(tmp_path: Path, section: Any) -> None:
    """`webhooks: []` and `webhooks: null` both configure no webhook."""
    file = _write(tmp_path / "w.yml", {"webhooks": section})
    assert load_webhooks(file, environ={}) == []


def test_file_without_webhooks_section_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file with other sections only contributes nothing and logs a warning."""
    file = tmp_path / "magpie.yml"
    file.write_text('providers: ""\nusers:\n  - username: bob\ngroups: []\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rookery.webhooks"):
        assert load_webhooks(file, environ={}) == []
    assert "no 'webhooks' section" in caplog.text


def test_other_sections_do_not_disturb_webhooks(tmp_path: Path) -> None:
    """Sections such as providers, users and permissions beside webhooks are ignored."""
    document = {
        "providers": "",
        "users": [{"username": "bob"}],
        "permissions": [{"service": "x"}],
        "webhooks": [BASE],
    }
    (webhook,) = load_webhooks(_write(tmp_path / "all.yml", document), environ={})
    assert webhook.name == "notify cowbird"


@pytest.mark.parametrize("url", ["http://receiver", "http://receiver:8080", "https://h/?q=1"])
def test_url_with_empty_path_is_valid(tmp_path: Path, url: str) -> None:
    """An absolute URL with a host is valid even without a path."""
    assert _load_one(tmp_path, url=url).url == url


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"user": "{{user.name}}", "id": "{{user.id}}"},
            {"user": "{{user.name}}", "id": "{{user.id}}"},
        ),
        (["{{user.name}}", 1], ["{{user.name}}", 1]),
        ("param: {{user.name}}\n", "param: {{user.name}}\n"),
        (42, 42),
        ("", ""),
        ({}, {}),
        (None, None),
    ],
)
def test_payload_variants_are_kept(tmp_path: Path, payload: Any, expected: Any) -> None:
    """Mappings, lists, literal strings, scalars and empty payloads are all accepted as-is."""
    assert _load_one(tmp_path, payload=payload).payload == expected


def test_yaml_dates_in_payload_become_iso_text(tmp_path: Path) -> None:
    """A YAML date in a payload is kept as its ISO 8601 text."""
    file = tmp_path / "w.yml"
    file.write_text(
        "webhooks:\n- {name: a, action: create_user, method: post, url: 'http://h',"
        " payload: {since: 2024-02-29}}\n",
        encoding="utf-8",
    )
    (webhook,) = load_webhooks(file, environ={})
    assert webhook.payload == {"since": "2024-02-29"}
    assert webhook.method == "POST"


def test_directory_files_load_in_alphabetical_order(tmp_path: Path) -> None:
    """A directory's yml/yaml/json/cfg files are read alphabetically, other files skipped."""
    _write(tmp_path / "b.yaml", {"webhooks": [{**BASE, "name": "b1"}, {**BASE, "name": "b2"}]})
    (tmp_path / "a.json").write_text(json.dumps({"webhooks": [{**BASE, "name": "a"}]}))
    _write(tmp_path / "c.cfg", {"webhooks": [{**BASE, "name": "c"}]})
    _write(tmp_path / "d.txt", {"webhooks": [{**BASE, "name": "ignored"}]})
    _write(tmp_path / "0.yml", {"users": []})
    webhooks = load_webhooks(tmp_path, environ={})
    assert [w.name for w in webhooks] == ["a", "b1", "b2", "c"]
    assert [w.index for w in webhooks] == [0, 0, 1, 0]


def test_file_with_any_extension_is_read(tmp_path: Path) -> None:
    """A path naming a file is read whatever its extension."""
    file = _write(tmp_path / "hooks.conf", {"webhooks": [BASE]})
    assert len(load_webhooks(file, environ={})) == 1


def test_env_expansion_in_keys_and_values(tmp_path: Path) -> None:
    """$VAR and ${VAR} expand; unknown variables and {{templates}} stay literal."""
    file = tmp_path / "w.yml"
    file.write_text(
        "webhooks:\n"
        "- name: ${HOOK_NAME}\n"
        "  action: create_user\n"
        "  method: POST\n"
        "  url: http://$RECEIVER_HOST:8080/users\n"
        "  headers: {X-Token: '${TOKEN}'}\n"
        "  payload:\n"
        "    $KEY_NAME: '{{user.name}}'\n"
        "    other: '$UNKNOWN_VAR and ${ALSO_UNKNOWN} for {{user.name}}'\n",
        encoding="utf-8",
    )
    env = {"HOOK_NAME": "env hook", "RECEIVER_HOST": "cowbird", "TOKEN": "t0k", "KEY_NAME": "who"}
    (webhook,) = load_webhooks(file, environ=env)
    assert webhook.name == "env hook"
    assert webhook.url == "http://cowbird:8080/users"
    assert webhook.headers == {"X-Token": "t0k"}
    assert webhook.payload == {
        "who": "{{user.name}}",
        "other": "$UNKNOWN_VAR and ${ALSO_UNKNOWN} for {{user.name}}",
    }


def test_env_expansion_never_touches_templates(tmp_path: Path) -> None:
    """A variable reference inside {{...}} is not expanded, one outside it is."""
    file = tmp_path / "x.yml"
    file.write_text("a: '{{$HOME}} $HOME'\n${KEY}: 1\n", encoding="utf-8")
    ((source, document),) = read_config_documents(file, environ={"HOME": "/root", "KEY": "k"})
    assert source == file
    assert document == {"a": "{{$HOME}} /root", "k": 1}


def test_rookery_keys_are_parsed(tmp_path: Path) -> None:
    """headers, secret list, timeout, retry, enabled and exclude_actors are all understood."""
    webhook = _load_one(
        tmp_path,
        format="XML",
        headers={"X-Count": 3, "X-Flag": True},
        secret=["whsec_c2VjcmV0", "raw secret"],
        timeout="2.5",
        retry={"schedule": ["250ms", 5, "1m"]},
        enabled=False,
        exclude_actors=["cowbird"],
    )
    assert webhook.content_type == "application/xml"
    assert webhook.headers == {"X-Count": "3", "X-Flag": "true"}
    assert webhook.secrets == ("whsec_c2VjcmV0", "raw secret")
    assert webhook.timeout_seconds == 2.5
    assert webhook.retry.schedule == (
        timedelta(milliseconds=250),
        timedelta(seconds=5),
        timedelta(minutes=1),
    )
    assert webhook.enabled is False
    assert webhook.exclude_actors == frozenset({"cowbird"})


def test_empty_retry_schedule_is_a_single_attempt(tmp_path: Path) -> None:
    """`retry: {schedule: []}` means one attempt only."""
    assert _load_one(tmp_path, retry={"schedule": []}).retry.max_attempts == 1


def test_duplicate_names_under_distinct_ids_load_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two items with one name and action load when their ids differ; a warning names them."""
    file = _write(tmp_path / "w.yml", {"webhooks": [{**BASE, "id": "a"}, {**BASE, "id": "b"}]})
    with caplog.at_level(logging.WARNING, logger="rookery.webhooks"):
        assert [w.key for w in load_webhooks(file, environ={})] == ["a", "b"]
    assert "notify cowbird" in caplog.text


def test_public_dict_redacts_every_header_value_and_secret(tmp_path: Path) -> None:
    """The public description is JSON-able and hides secrets, URL passwords and every header
    value, whatever the header's name."""
    webhook = _load_one(
        tmp_path,
        url="https://user:pa55@h/x",
        secret="s3cr3t-value",
        headers={"Authorization": "Bearer abc", "X-Auth": "xa-1", "X-Hub-Signature": "hs-2"},
        payload={"a": 1},
    )
    public = webhook.as_public_dict()
    text = json.dumps(public)
    for hidden in ("s3cr3t-value", "Bearer abc", "xa-1", "hs-2", "pa55"):
        assert hidden not in text
    assert public["headers"] == {"Authorization": "***", "X-Auth": "***", "X-Hub-Signature": "***"}
    assert public["url"] == "https://user:***@h/x"
    assert public["action"] == "create_user"
    assert public["key"] == "create_user/notify cowbird"
    assert public["retry"]["schedule"][0] == 5.0


def test_header_and_secret_errors_never_quote_the_value(tmp_path: Path) -> None:
    """An invalid header value or secret is named by key, never echoed into the message."""
    message = _error(tmp_path, [{**BASE, "headers": {"X-Auth": "line1-hush\nline2"}}])
    assert "X-Auth" in message
    assert "hush" not in message
    assert "hush" not in _error(tmp_path, [{**BASE, "headers": "Bearer hush"}])
    file = _write(tmp_path / "w.yml", {"webhooks": [{**BASE, "secret": 987654321}]})
    with pytest.raises(InvalidWebhookConfigError) as caught:
        load_webhooks(file, environ={})
    assert "987654321" not in str(caught.value)
    assert "987654321" not in repr(caught.value.__dict__)


def test_action_values_cover_magpie_and_rookery() -> None:
    """Every Magpie action and Rookery's own actions are accepted values."""
    values = {action.value for action in WebhookAction}
    assert {"create_user", "delete_user", "update_user_status", "create_group_permission"} <= values
    assert {"add_user_to_group", "update_user", "delete_resource"} <= values
    assert len(values) == 16


# --- invalid configurations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"url": "localhost:8080/x"}, "url", "absolute http(s) URL with a host"),
        ({"url": "/relative/path"}, "url", "absolute http(s) URL"),
        ({"url": "ftp://h/x"}, "url", "absolute http(s) URL"),
        ({"url": "http://"}, "url", "absolute http(s) URL"),
        ({"url": "http://h:99999/"}, "url", "absolute http(s) URL"),
        ({"url": "http://${UNSET_HOST}/x"}, "url", "environment variable"),
        ({"action": "create_usr"}, "action", "did you mean 'create_user'?"),
        ({"method": "FETCH"}, "method", "GET, HEAD, POST, PUT, PATCH, DELETE"),
        ({"timeout": "abc"}, "timeout", "positive number of seconds"),
        ({"timeout": 0}, "timeout", "positive number of seconds"),
        ({"timeout": -3}, "timeout", "positive number of seconds"),
        ({"format": "yaml"}, "format", "expected one of json"),
        ({"headers": ["X-A: 1"]}, "headers", "mapping of header names"),
        ({"headers": {"Content-Type": "text/plain"}}, "headers", "set by Rookery"),
        ({"headers": {"X-A": "a\r\nX-B: b"}}, "headers", "one line"),
        ({"secret": "whsec_***"}, "secret", "base64"),
        ({"secret": ["ok", ""]}, "secret", "non-empty string"),
        ({"secret": "${WEBHOOK_SECRET}"}, "secret", "not set"),
        ({"retry": {"shedule": []}}, "retry", "did you mean 'schedule'?"),
        ({"retry": {"schedule": ["5s", "soon"]}}, "retry", "schedule item #2"),
        ({"enabled": "maybe"}, "enabled", "true or false"),
        ({"exclude_actors": "bob"}, "exclude_actors", "list of user names"),
        ({"payload": {"x": float("nan")}}, "payload", "finite"),
    ],
)
def test_invalid_value_names_file_item_and_key(
    tmp_path: Path, overrides: dict[str, Any], key: str, fragment: str
) -> None:
    """A bad value fails the load with a message naming file, item index and name, and key."""
    message = _error(tmp_path, [BASE, {**BASE, "name": "second", **overrides}])
    assert "webhooks.yml: webhook #2 ('second'): " in message
    assert f"key '{key}'" in message
    assert fragment in message


def test_bad_url_message_reads_as_documented(tmp_path: Path) -> None:
    """The message for a URL without scheme is the documented sentence."""
    message = _error(tmp_path, [BASE, {**BASE, "url": "localhost:8080/x"}])
    assert message.endswith(
        "webhooks.yml: webhook #2 ('notify cowbird'): key 'url': expected an absolute "
        "http(s) URL with a host, got 'localhost:8080/x'"
    )


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    """A misspelt key is named and the nearest known key suggested."""
    message = _error(tmp_path, [{**BASE, "heders": {"X": "1"}}])
    assert "webhook #1 ('notify cowbird'): key 'heders': unknown key" in message
    assert "did you mean 'headers'?" in message


@pytest.mark.parametrize("missing", ["action", "method", "url"])
def test_missing_required_key_is_named(tmp_path: Path, missing: str) -> None:
    """A missing required key is named in the error."""
    item = {k: v for k, v in BASE.items() if k != missing}
    message = _error(tmp_path, [item])
    assert f"webhook #1 ('notify cowbird'): key '{missing}': required" in message


@pytest.mark.parametrize("name", [None, "", 5, ["x"]])
def test_bad_name_is_named(tmp_path: Path, name: Any) -> None:
    """An item without a usable name fails on key 'name'."""
    message = _error(tmp_path, [{**BASE, "name": name}])
    assert "webhooks.yml: webhook #1: key 'name': expected a non-empty string" in message


@pytest.mark.parametrize("item", ["just a string", ["a", "list"], 42, None])
def test_non_mapping_item_is_refused(tmp_path: Path, item: Any) -> None:
    """An item that is not a mapping is refused, naming file and index."""
    message = _error(tmp_path, [BASE, item])
    assert "webhooks.yml: webhook #2: expected a mapping" in message


def test_first_bad_item_fails_the_whole_load(tmp_path: Path) -> None:
    """One bad item in a later file rejects everything, naming that file."""
    _write(tmp_path / "a.yml", {"webhooks": [BASE]})
    _write(tmp_path / "b.yml", {"webhooks": [{**BASE, "method": "BREW"}]})
    with pytest.raises(InvalidWebhookConfigError, match=r"b\.yml: webhook #1"):
        load_webhooks(tmp_path, environ={})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("webhooks: {name: x}\n", "key 'webhooks': expected a list"),
        ("- a\n- b\n", "expected a mapping of sections"),
        ("webhooks: [\n  {name: x\n", "line "),
        ("a: 2024-13-45\n", "invalid YAML"),
    ],
)
def test_bad_documents_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    """Syntax errors and wrongly shaped documents name the file (and line when known)."""
    file = tmp_path / "broken.yml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidWebhookConfigError) as caught:
        load_webhooks(file, environ={})
    assert str(caught.value).startswith(str(file))
    assert fragment in str(caught.value)


def test_missing_path_is_refused(tmp_path: Path) -> None:
    """A path that does not exist is an error naming it."""
    with pytest.raises(InvalidWebhookConfigError, match="no such file"):
        load_webhooks(tmp_path / "nope.yml", environ={})


def test_validate_item_directly() -> None:
    """validate_webhook_item reports the given source and 0-based index as #index+1."""
    webhook = validate_webhook_item(dict(BASE), "inline.yml", 4)
    assert (webhook.source, webhook.index) == ("inline.yml", 4)
    with pytest.raises(InvalidWebhookConfigError, match=r"inline\.yml: webhook #5 \('notify"):
        validate_webhook_item({**BASE, "method": 1}, "inline.yml", 4)


def test_webhook_keys_are_the_union() -> None:
    """WEBHOOK_KEYS holds the required and optional keys of SPEC §4."""
    assert {"name", "action", "method", "url", "format", "payload", "headers"} <= WEBHOOK_KEYS
    assert {"secret", "timeout", "retry", "enabled", "exclude_actors"} <= WEBHOOK_KEYS
