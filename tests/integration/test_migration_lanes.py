"""Migration 0006_lanes: the lanes table is built from the unfinished deliveries (each lane's
lowest unfinished id is its head), and the downgrade drops it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from rookery.db.schema import current_revision
from tests.support.migrations import engine_at, migrate

BEFORE = "0005_registration"
AFTER = "0006_lanes"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine_at_0004(database_url: str) -> Iterator[Engine]:
    """The test database at revision 0004 (the PostgreSQL one may be at head already)."""
    with engine_at(database_url, BEFORE) as engine:
        yield engine


def _row(number: int, subject: str, state: str) -> dict[str, Any]:
    return {
        "id": number, "uid": f"msg_l{number}", "event_id": "ev-l", "action": "create_user",
        "webhook_name": "hook", "webhook_key": "create_user/hook", "subject": subject,
        "lane": f"http://a:80|{subject}", "receiver": "http://a:80", "state": state,
        "attempt_count": 0, "next_attempt_at": NOW, "method": "POST", "url": "http://a/",
        "headers": {}, "body": None, "timeout_seconds": 5.0, "retry_schedule": [],
        "created_at": NOW,
    }  # fmt: skip


def test_lanes_are_built_from_unfinished_deliveries_and_dropped_on_downgrade(
    engine_at_0004: Engine,
) -> None:
    """Finished rows are skipped: a lane's head is its lowest pending or sending id, due only
    when pending; a lane with nothing unfinished gets no row; the downgrade drops the table."""
    engine = engine_at_0004
    tables = sa.MetaData()
    tables.reflect(engine, only=["events", "deliveries"])
    events, deliveries = tables.tables["events"], tables.tables["deliveries"]
    with engine.begin() as connection:
        connection.execute(
            sa.insert(events).values(
                id="ev-l", action="create_user", subject="s", params={}, created_at=NOW
            )
        )
        connection.execute(
            sa.insert(deliveries),
            [
                _row(1, "user:1", "delivered"),
                _row(2, "user:1", "sending"),
                _row(3, "user:1", "pending"),
                _row(4, "user:2", "failed"),
                _row(5, "user:2", "pending"),
                _row(6, "user:3", "failed"),
            ],
        )
    migrate(engine, AFTER)

    with engine.connect() as connection:
        got = connection.execute(
            sa.text("SELECT lane, head_id, due_at IS NOT NULL FROM delivery_lanes ORDER BY lane")
        )
        assert [tuple(r) for r in got] == [
            ("http://a:80|user:1", 2, False),
            ("http://a:80|user:2", 5, True),
        ]

    migrate(engine, BEFORE, down=True)
    assert "delivery_lanes" not in sa.inspect(engine).get_table_names()
    assert current_revision(engine) == BEFORE
