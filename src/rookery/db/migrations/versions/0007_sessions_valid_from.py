"""sessions valid from: a per-user instant replaces the session version in the cookie

Revision ID: 0007_sessions_valid_from
Revises: 0006_lanes
Create Date: 2026-12-06

Adds ``users.sessions_valid_from`` (epoch seconds; a session cookie stamped earlier is refused)
and drops ``users.session_version``: the cookie now carries Magpie's exact user data
(``userid_type:int``), and revocation compares its timestamp instead of a version.

Every user's new instant is the second after the migration, not 0, so every cookie issued
before it stops working and everyone signs in again once. With 0, the cookies Rookery issued
before would be read by their timestamp alone, their version ignored: a cookie already ended by
a sign-out or a password change would count again until it expired. Signing in again is the
safer cost.

Neither direction rebuilds ``users`` on SQLite (``recreate="never"``: a plain ``ADD COLUMN`` and
SQLite's own ``DROP COLUMN``, 3.35 or later, which ``RETURNING`` needs already): a rebuild drops
the old table, and with foreign keys on, that deletes every membership, token and permission
of every user through their ``ON DELETE CASCADE``.

Downgrading brings back ``session_version`` at 0 and drops the instant; the cookies issued in
between carry no version, so the older code refuses them and everyone signs in again.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0007_sessions_valid_from"
down_revision = "0006_lanes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(
            sa.Column(
                "sessions_valid_from",
                sa.BigInteger(),
                server_default=sa.text("0"),
                nullable=False,
            )
        )
    users = sa.table("users", sa.column("sessions_valid_from", sa.BigInteger))
    op.get_bind().execute(sa.update(users).values(sessions_valid_from=int(time.time()) + 1))
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("session_version")


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.drop_column("sessions_valid_from")
