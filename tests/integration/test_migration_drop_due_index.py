"""Migration 0008_drop_due_index: the unread ``ix_deliveries_due`` goes, and comes back on the
way down; the deliveries stay."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Engine

from tests.support.migrations import engine_at, migrate

BEFORE = "0007_sessions_valid_from"
AFTER = "0008_drop_due_index"


def _indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in sa.inspect(engine).get_indexes("deliveries")}


def test_the_due_index_goes_and_comes_back(database_url: str) -> None:
    with engine_at(database_url, BEFORE) as engine:
        assert "ix_deliveries_due" in _indexes(engine)
        migrate(engine, AFTER)
        after = _indexes(engine)
        assert "ix_deliveries_due" not in after
        # What claims and the delivery log read is still there.
        assert {"ix_deliveries_open_lane", "ix_deliveries_lease"} <= after
        migrate(engine, BEFORE, down=True)
        assert "ix_deliveries_due" in _indexes(engine)
        migrate(engine, AFTER)
