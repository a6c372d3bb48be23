"""Migration 0004_delivery_receiver: existing deliveries get their receiver from their lane, and
the downgrade drops the column again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from rookery.db.schema import current_revision
from tests.support.migrations import engine_at, migrate

BEFORE = "0003_webhook_identity"
AFTER = "0004_delivery_receiver"


@pytest.fixture
def engine_at_0003(database_url: str) -> Iterator[Engine]:
    """The test database at revision 0003 (the PostgreSQL one may be at head already)."""
    with engine_at(database_url, BEFORE) as engine:
        yield engine


def _now() -> datetime:
    return datetime.now(UTC)


def _row(number: int, lane: str) -> dict[str, Any]:
    now = _now()
    return {
        "uid": f"msg_r{number}", "event_id": "ev-r", "action": "create_user",
        "webhook_name": "hook", "webhook_key": "create_user/hook", "subject": f"user:{number}",
        "lane": lane, "state": "pending", "attempt_count": 0, "next_attempt_at": now,
        "method": "POST", "url": "http://x/", "headers": {}, "body": None,
        "timeout_seconds": 5.0, "retry_schedule": [], "created_at": now,
    }  # fmt: skip


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns("deliveries")}


def test_receiver_is_filled_from_the_lane_and_dropped_on_downgrade(engine_at_0003: Engine) -> None:
    """Each row's receiver is its lane's text before the first `|` (subjects may hold `|`);
    the column is NOT NULL after the upgrade and gone after the downgrade."""
    engine = engine_at_0003
    tables = sa.MetaData()
    tables.reflect(engine, only=["events", "deliveries"])
    events, deliveries = tables.tables["events"], tables.tables["deliveries"]
    with engine.begin() as connection:
        connection.execute(
            sa.insert(events).values(
                id="ev-r", action="create_user", subject="s", params={}, created_at=_now()
            )
        )
        connection.execute(
            sa.insert(deliveries),
            [
                _row(1, "http://a.example:80|user:1"),
                _row(2, "https://b.example:8443|group:odd|name"),
            ],
        )
    migrate(engine, AFTER)

    with engine.connect() as connection:
        got = connection.execute(sa.text("SELECT uid, receiver FROM deliveries ORDER BY uid"))
        assert [tuple(r) for r in got] == [
            ("msg_r1", "http://a.example:80"),
            ("msg_r2", "https://b.example:8443"),
        ]
    receiver = next(
        c for c in sa.inspect(engine).get_columns("deliveries") if c["name"] == "receiver"
    )
    assert receiver["nullable"] is False

    migrate(engine, BEFORE, down=True)
    assert "receiver" not in _columns(engine)
    assert current_revision(engine) == BEFORE
    migrate(engine, AFTER)  # and up again, on the same rows
    assert "receiver" in _columns(engine)
