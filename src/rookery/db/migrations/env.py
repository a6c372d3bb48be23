"""Alembic environment: runs on the connection Rookery hands it (see rookery.db.schema)."""

from __future__ import annotations

from alembic import context

from rookery.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Rookery's migrations run through `rookery migrate`, not bare alembic")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
