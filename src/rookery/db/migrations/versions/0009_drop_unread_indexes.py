"""drop indexes no query reads: events by action and by subject

Revision ID: 0009_drop_unread_indexes
Revises: 0008_drop_due_index
Create Date: 2026-12-08

``ix_events_action`` and ``ix_events_subject`` were created with the events table, but no
query filters or orders events by either column: events are read by id, and by creation time
for retention (``ix_events_created_at``). Each was written in the transaction of every change
that publishes an event, the request's own (docs/BENCHMARKS.md, seventeenth pass).
Downgrading builds them again.
"""

from __future__ import annotations

from alembic import op

revision = "0009_drop_unread_indexes"
down_revision = "0008_drop_due_index"
branch_labels = None
depends_on = None

DROPPED = (("ix_events_action", "action"), ("ix_events_subject", "subject"))


def upgrade() -> None:
    for name, _ in DROPPED:
        op.drop_index(name, table_name="events")


def downgrade() -> None:
    for name, column in DROPPED:
        op.create_index(name, "events", [column], unique=False)
