"""delivery receiver: deliveries store their receiver instead of leaving it in the lane text

Revision ID: 0004_delivery_receiver
Revises: 0003_webhook_identity
Create Date: 2026-12-05

Adds ``deliveries.receiver`` (``scheme://host:port``), filled from each existing row's
``lane`` (``receiver|subject``: the text before the first ``|``; a receiver never holds a
``|``), then made NOT NULL. Downgrading drops the column; the lanes still hold the receiver.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_delivery_receiver"
down_revision = "0003_webhook_identity"
branch_labels = None
depends_on = None


def _receiver_of_lane(dialect: str) -> sa.ColumnElement[str]:
    lane = sa.column("lane", sa.String)
    if dialect == "postgresql":
        return sa.func.split_part(lane, "|", 1)
    return sa.func.substr(lane, 1, sa.func.instr(lane, "|") - 1)


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("receiver", sa.String(255), nullable=True))
    connection = op.get_bind()
    deliveries = sa.table("deliveries", sa.column("receiver", sa.String))
    connection.execute(
        sa.update(deliveries).values(receiver=_receiver_of_lane(connection.dialect.name))
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("receiver", existing_type=sa.String(255), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("receiver")
