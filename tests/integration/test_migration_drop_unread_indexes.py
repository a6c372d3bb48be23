"""Migration 0009_drop_unread_indexes: events lose the indexes by action and by subject, which
no query reads, and get them back on the way down; the events stay, and so does the index
retention reads (by creation time)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from tests.support.migrations import engine_at, migrate

BEFORE = "0008_drop_due_index"
AFTER = "0009_drop_unread_indexes"
UNREAD = {"ix_events_action", "ix_events_subject"}


def _indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in sa.inspect(engine).get_indexes("events")}


def _event_ids(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [str(row[0]) for row in connection.execute(sa.text("SELECT id FROM events"))]


def test_the_unread_event_indexes_go_and_come_back(database_url: str) -> None:
    with engine_at(database_url, BEFORE) as engine:
        assert _indexes(engine) >= UNREAD
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO events (id, action, subject, actor, params, created_at) "
                    "VALUES ('e1', 'create_user', 'user:alice', 'admin', '{}', :at)"
                ),
                {"at": datetime.now(UTC).replace(tzinfo=None)},
            )
        migrate(engine, AFTER)
        after = _indexes(engine)
        assert not UNREAD & after
        assert "ix_events_created_at" in after  # retention reads it
        assert _event_ids(engine) == ["e1"]
        migrate(engine, BEFORE, down=True)
        assert _indexes(engine) >= UNREAD
        assert _event_ids(engine) == ["e1"]
        migrate(engine, AFTER)
        assert not UNREAD & _indexes(engine)
