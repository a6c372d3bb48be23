"""Migration 0007_sessions_valid_from: every user's sessions become valid from just after the
migration (older cookies end), nothing that hangs off a user is lost, and the downgrade brings
the session version back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from rookery.db.schema import current_revision
from tests.support.migrations import engine_at, migrate

BEFORE = "0006_lanes"
AFTER = "0007_sessions_valid_from"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine_at_0006(database_url: str) -> Iterator[Engine]:
    """The test database at revision 0006 (the PostgreSQL one may be at head already)."""
    with engine_at(database_url, BEFORE) as engine:
        yield engine


def _user_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns("users")}


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


def _user(user_id: int, session_version: int) -> dict[str, Any]:
    name = f"m{user_id}"
    return {
        "id": user_id, "user_name": name, "name_key": name, "email": f"{name}@example.org",
        "email_key": f"{name}@example.org", "password_hash": None, "status": 1,
        "status_version": 0, "session_version": session_version, "created_at": NOW,
    }  # fmt: skip


def test_sessions_start_after_the_migration_and_users_keep_their_rows(
    engine_at_0006: Engine,
) -> None:
    """Users (at any session version) get the second after the migration as their instant;
    their memberships and tokens survive the column swap both ways; the downgrade drops the
    instant and brings back ``session_version`` at 0."""
    engine = engine_at_0006
    tables = sa.MetaData()
    tables.reflect(engine, only=["users", "groups", "memberships", "tokens"])
    users, groups = tables.tables["users"], tables.tables["groups"]
    with engine.begin() as connection:
        connection.execute(sa.insert(users), [_user(900, 0), _user(907, 7)])
        connection.execute(
            sa.insert(groups).values(
                id=900, group_name="g900", name_key="g900", discoverable=False, priority=0
            )
        )
        connection.execute(
            sa.insert(tables.tables["memberships"]), [{"user_id": 900, "group_id": 900}]
        )
        connection.execute(
            sa.insert(tables.tables["tokens"]).values(
                token="t" * 36, operation="create_user", user_id=907, created_at=NOW
            )
        )
    memberships, tokens = _count(engine, "memberships"), _count(engine, "tokens")
    started = int(time.time())
    migrate(engine, AFTER)
    finished = int(time.time())

    with engine.connect() as connection:
        got = connection.execute(
            sa.text("SELECT id, sessions_valid_from FROM users WHERE id >= 900 ORDER BY id")
        )
        rows = [tuple(row) for row in got]
    assert [row[0] for row in rows] == [900, 907]
    assert all(started + 1 <= row[1] <= finished + 1 for row in rows), rows
    assert "session_version" not in _user_columns(engine)
    assert (_count(engine, "memberships"), _count(engine, "tokens")) == (memberships, tokens)

    migrate(engine, BEFORE, down=True)
    assert current_revision(engine) == BEFORE
    columns = _user_columns(engine)
    assert "session_version" in columns
    assert "sessions_valid_from" not in columns
    with engine.connect() as connection:
        versions = connection.execute(
            sa.text("SELECT session_version FROM users WHERE id >= 900 ORDER BY id")
        )
        assert [row[0] for row in versions] == [0, 0]
    assert (_count(engine, "memberships"), _count(engine, "tokens")) == (memberships, tokens)
    migrate(engine, AFTER)  # and up again, on the same rows
    assert "sessions_valid_from" in _user_columns(engine)
