"""Moving a test database between Alembic revisions, for the migration tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from sqlalchemy import Engine

from rookery.db.engine import make_engine
from rookery.db.schema import alembic_config, current_revision, upgrade


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    """Upgrade (or, with ``down``, downgrade) the database to ``revision``."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


@contextmanager
def engine_at(database_url: str, revision: str) -> Iterator[Engine]:
    """An engine on the test database at ``revision`` (the PostgreSQL one may be at head
    already, so it goes up first, then down)."""
    engine = make_engine(database_url)
    upgrade(engine, revision)
    migrate(engine, revision, down=True)
    assert current_revision(engine) == revision
    try:
        yield engine
    finally:
        engine.dispose()
