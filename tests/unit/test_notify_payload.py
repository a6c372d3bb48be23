"""A NOTIFY's payload: the sender and the lanes a commit queued into (unit_of_work.py), as the
worker's listener reads them back (delivery/listener.py)."""

from __future__ import annotations

import pytest

from rookery.delivery.listener import read_notification
from rookery.services.unit_of_work import NOTIFY_LANES_BYTES, notify_payload


def test_the_sender_and_the_lanes_come_back() -> None:
    lanes = frozenset({"http://a:80|user:alice", "http://b:80|group:ops"})
    assert read_notification(notify_payload("123:abc", lanes)) == ("123:abc", lanes)


def test_unknown_lanes_stay_unknown() -> None:
    assert read_notification(notify_payload("123:abc", None)) == ("123:abc", None)


def test_too_many_lanes_for_a_notification_are_not_named() -> None:
    """Past PostgreSQL's payload limit the lanes are left out: the worker takes the commit as
    touching any lane, never as touching none."""
    lanes = frozenset(f"http://a:80|user:{n:05d}" for n in range(NOTIFY_LANES_BYTES // 10))
    payload = notify_payload("123:abc", lanes)
    assert len(payload.encode()) <= NOTIFY_LANES_BYTES
    assert read_notification(payload) == ("123:abc", None)


@pytest.mark.parametrize(
    "payload",
    ["", "not json", "[1, 2]", '{"lanes": [1]}', '{"from": 7, "lanes": "x"}'],
)
def test_a_payload_of_another_shape_wakes_with_lanes_unknown(payload: str) -> None:
    """An older Rookery (empty payload) or anything else: a wake-up from nobody in particular,
    for lanes not known."""
    assert read_notification(payload) == (None, None)
