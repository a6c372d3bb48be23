"""delivery lanes: a row per lane with unfinished deliveries, naming its head and due time

Revision ID: 0006_lanes
Revises: 0005_registration
Create Date: 2026-12-05

Creates ``delivery_lanes`` (lane, receiver, head id, due time of a pending head, since when
the head leads) and fills it from the unfinished deliveries, and indexes finished deliveries by
state and completion time (for retention): for each lane, its lowest
unfinished id is the head, due at its ``next_attempt_at`` when it is ``pending`` (NULL when it
is ``sending``). Downgrading drops the table and the index; the deliveries keep everything
the table was built from.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from rookery.db.models import UTCDateTime

revision = "0006_lanes"
down_revision = "0005_registration"
branch_labels = None
depends_on = None

_BACKFILL = """
INSERT INTO delivery_lanes (lane, receiver, head_id, due_at, head_since)
SELECT d.lane, d.receiver, d.id,
       CASE WHEN d.state = 'pending' THEN d.next_attempt_at END, :now
FROM deliveries d
WHERE d.state IN ('pending', 'sending')
  AND d.id = (SELECT min(e.id) FROM deliveries e
              WHERE e.lane = d.lane AND e.state IN ('pending', 'sending'))
"""


def upgrade() -> None:
    op.create_table(
        "delivery_lanes",
        sa.Column("lane", sa.String(512), nullable=False),
        sa.Column("receiver", sa.String(255), nullable=False),
        sa.Column("head_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("head_since", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lane", name="pk_delivery_lanes"),
    )
    op.create_index(
        "ix_delivery_lanes_due",
        "delivery_lanes",
        ["due_at"],
        sqlite_where=sa.text("due_at IS NOT NULL"),
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_deliveries_finished",
        "deliveries",
        ["state", "completed_at"],
        sqlite_where=sa.text("completed_at IS NOT NULL"),
        postgresql_where=sa.text("completed_at IS NOT NULL"),
    )
    now = sa.bindparam("now", datetime.now(UTC), type_=UTCDateTime())
    op.get_bind().execute(sa.text(_BACKFILL).bindparams(now))


def downgrade() -> None:
    op.drop_index("ix_deliveries_finished", table_name="deliveries")
    op.drop_index("ix_delivery_lanes_due", table_name="delivery_lanes")
    op.drop_table("delivery_lanes")
