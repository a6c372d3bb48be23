"""Webhook identity: keys stable across reordering, duplicates refused at load (SPEC §9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rookery.errors import InvalidWebhookConfigError
from rookery.webhooks.config import load_webhooks, webhooks_from_documents
from rookery.webhooks.registry import WebhookRegistry


def _item(name: str, action: str = "create_user", **extra: Any) -> dict[str, Any]:
    return {"name": name, "action": action, "method": "POST", "url": "http://h/x", **extra}


def _write(path: Path, items: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"webhooks": items}), encoding="utf-8")
    return path


def _keys(path: Path) -> dict[str, str]:
    return {w.key: w.url for w in load_webhooks(path, environ={})}


def _refusal(path: Path) -> str:
    with pytest.raises(InvalidWebhookConfigError) as caught:
        load_webhooks(path, environ={})
    return str(caught.value)


def test_key_is_action_and_name_or_the_declared_id(tmp_path: Path) -> None:
    """Without `id` the key is `{action}/{name}`; with `id` it is the id."""
    file = _write(tmp_path / "w.yml", [_item("partner"), _item("billing", id="billing-v2")])
    assert [w.key for w in load_webhooks(file, environ={})] == [
        "create_user/partner",
        "billing-v2",
    ]


def test_keys_survive_reordering_insertion_and_file_splits(tmp_path: Path) -> None:
    """Reordering items, inserting one, or moving one to another file keeps every key's webhook."""
    partner = _item("partner", url="http://partner/x")
    billing = _item("billing", url="http://billing/x", id="bill")
    before = _keys(_write(tmp_path / "a" / "w.yml", [partner, billing]))
    after = _keys(_write(tmp_path / "b" / "w.yml", [_item("new"), billing, partner]))
    _write(tmp_path / "c" / "1.yml", [billing])
    split = _keys(_write(tmp_path / "c" / "2.yml", [_item("new"), partner]).parent)
    for reloaded in (after, split):
        assert {key: reloaded[key] for key in before} == before


def test_same_name_under_two_actions_is_two_webhooks(tmp_path: Path) -> None:
    """A name may serve several actions: each action's item has its own key."""
    file = _write(tmp_path / "w.yml", [_item("cowbird"), _item("cowbird", "delete_user")])
    assert list(_keys(file)) == ["create_user/cowbird", "delete_user/cowbird"]


def test_duplicate_action_and_name_is_refused_naming_both_items(tmp_path: Path) -> None:
    """Two items with one action and name are refused; the error names file, items and key."""
    file = _write(tmp_path / "w.yml", [_item("partner"), _item("other"), _item("partner")])
    message = _refusal(file)
    assert message.startswith(f"{file}: webhook #3 ('partner'): key 'id':")
    assert "'create_user/partner'" in message
    assert f"{file}: webhook #1 ('partner')" in message


def test_duplicate_id_across_files_is_refused(tmp_path: Path) -> None:
    """A declared id used twice, even in two files, is refused naming both files."""
    _write(tmp_path / "d" / "1.yml", [_item("a", id="shared")])
    second = _write(tmp_path / "d" / "2.yml", [_item("b", "delete_user", id="shared")])
    message = _refusal(second.parent)
    assert message.startswith(f"{second}: webhook #1 ('b')")
    assert "'shared'" in message
    assert str(tmp_path / "d" / "1.yml") in message


def test_an_id_equal_to_another_items_action_and_name_is_refused(tmp_path: Path) -> None:
    """An id spelled like another item's `{action}/{name}` key would be ambiguous: refused."""
    file = _write(tmp_path / "w.yml", [_item("partner"), _item("x", id="create_user/partner")])
    assert "'create_user/partner'" in _refusal(file)


@pytest.mark.parametrize("bad", ["", "  ", 12, ["a"], "two\nlines", "x" * 201])
def test_invalid_id_is_refused_by_key(tmp_path: Path, bad: Any) -> None:
    """An `id` that is not one line of text (1-200 characters) is refused naming the key."""
    message = _refusal(_write(tmp_path / "w.yml", [_item("partner", id=bad)]))
    assert "webhook #1 ('partner'): key 'id': expected a non-empty string" in message


def test_registry_refuses_a_repeated_key() -> None:
    """A registry built by hand (not from files) refuses a repeated key too."""
    (first,) = webhooks_from_documents([(Path("inline.yml"), {"webhooks": [_item("p")]})])
    with pytest.raises(InvalidWebhookConfigError):
        WebhookRegistry([first, first])
