"""revocable sessions: a per-user session version carried in the signed cookie

Revision ID: 0002_sessions
Revises: 0001
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_sessions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a server default: existing rows read 0, no table rebuild on SQLite.
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
