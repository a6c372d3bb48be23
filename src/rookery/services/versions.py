"""``GET /version``'s database half: the schema revision the database is at.

Invariant: read-only; ``None`` when the database has never been migrated.
"""

from __future__ import annotations

from sqlalchemy import Engine

from rookery.db.schema import current_revision


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision recorded in the database behind ``engine``."""
    return current_revision(engine)
