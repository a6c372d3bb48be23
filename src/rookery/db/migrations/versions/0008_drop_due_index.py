"""drop ix_deliveries_due: no query reads it since the lanes table took over claims

Revision ID: 0008_drop_due_index
Revises: 0007_sessions_valid_from
Create Date: 2026-12-07

``ix_deliveries_due`` (``next_attempt_at, id`` over pending deliveries) served the claim that
scanned every pending delivery for due heads. Since 0006 a claim reads ``delivery_lanes``
(``ix_delivery_lanes_due``) and each lane's run through ``ix_deliveries_open_lane``; the
delivery log's ``state=pending`` filter is served by ``ix_deliveries_open_lane`` too (its
predicate, pending or sending, is implied). The index was still written on every insert and
every return to ``pending``: cost with no reader (docs/BENCHMARKS.md, "An index no query
reads"). Downgrading builds it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_drop_due_index"
down_revision = "0007_sessions_valid_from"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_deliveries_due", table_name="deliveries")


def downgrade() -> None:
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at", "id"],
        unique=False,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )
