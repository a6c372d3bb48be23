"""registration: group terms, pending users, and tokens that name a pending user

Revision ID: 0005_registration
Revises: 0004_delivery_receiver
Create Date: 2026-12-05

Adds ``groups.terms`` (nullable text), the ``pending_users`` table (self-registrations waiting
for e-mail confirmation or approval) and ``tokens.pending_user_id`` (cascade on delete).
Downgrading drops all three; pending registrations are lost, users and groups are kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rookery.db.models

revision = "0005_registration"
down_revision = "0004_delivery_receiver"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("terms", sa.Text(), nullable=True))
    op.create_table(
        "pending_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("email_confirmed", sa.Boolean(), nullable=False),
        sa.Column("created_at", rookery.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_users")),
        sa.UniqueConstraint("email_key", name=op.f("uq_pending_users_email_key")),
        sa.UniqueConstraint("name_key", name=op.f("uq_pending_users_name_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("pending_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tokens_pending_user_id_pending_users"),
            "pending_users",
            ["pending_user_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_constraint(op.f("fk_tokens_pending_user_id_pending_users"), type_="foreignkey")
        batch.drop_column("pending_user_id")
    op.drop_table("pending_users")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("terms")
