"""The claim's JSON columns are decoded once per distinct text and shared read-only
(db/shared_json.py)."""

from __future__ import annotations

import pytest

from rookery.db import shared_json
from rookery.db.shared_json import decode_shared


def test_the_same_text_gives_the_same_object() -> None:
    first = decode_shared('{"Content-Type": "application/json"}')
    again = decode_shared(b'{"Content-Type": "application/json"}'.decode())
    assert again is first
    assert dict(first) == {"Content-Type": "application/json"}


def test_bytes_are_decoded_as_psycopg_hands_them() -> None:
    assert decode_shared(b"[5.0, 300.0]") == (5.0, 300.0)


def test_a_shared_value_cannot_be_changed() -> None:
    headers = decode_shared('{"X-Stored": "1"}')
    with pytest.raises(TypeError):
        headers["X-Stored"] = "2"
    schedule = decode_shared("[1.0, 2.0]")
    assert isinstance(schedule, tuple)


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_json, "KEPT", 3)
    monkeypatch.setattr(shared_json, "_decoded", {})
    for number in range(3):
        decode_shared(f"[{number}]")
    assert len(shared_json._decoded) == 3
    assert decode_shared("[9]") == (9,)
    assert len(shared_json._decoded) == 1


def test_scalars_come_back_as_they_are() -> None:
    assert decode_shared("null") is None
    assert decode_shared('"text"') == "text"
