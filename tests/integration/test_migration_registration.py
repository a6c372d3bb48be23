"""Migration 0005_registration: adds group terms, pending users and the tokens' pending user,
keeps existing groups, and the downgrade removes all three."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from tests.support.migrations import engine_at, migrate

BEFORE = "0004_delivery_receiver"
AFTER = "0005_registration"


@pytest.fixture
def engine_at_0004(database_url: str) -> Iterator[Engine]:
    """The test database at revision 0004 (the PostgreSQL one may be at head already)."""
    with engine_at(database_url, BEFORE) as engine:
        yield engine


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns(table)}


def test_upgrade_adds_registration_schema_and_downgrade_removes_it(engine_at_0004: Engine) -> None:
    """Existing groups survive both ways with ``terms`` empty; pending_users comes and goes."""
    engine = engine_at_0004
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO groups (group_name, name_key, discoverable, priority) "
                "VALUES ('old', 'old', true, 0)"
            )
        )
    migrate(engine, AFTER)
    assert "terms" in _columns(engine, "groups")
    assert "pending_user_id" in _columns(engine, "tokens")
    assert "pending_users" in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        terms = connection.execute(sa.text("SELECT terms FROM groups WHERE name_key = 'old'"))
        assert terms.scalar_one() is None

    migrate(engine, BEFORE, down=True)
    assert "terms" not in _columns(engine, "groups")
    assert "pending_user_id" not in _columns(engine, "tokens")
    assert "pending_users" not in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        names = connection.execute(sa.text("SELECT group_name FROM groups")).scalars().all()
    assert "old" in names
