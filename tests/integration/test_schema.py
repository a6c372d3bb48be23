"""The migrations are the schema: applied to an empty database they match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rookery.db.engine import make_engine
from rookery.db.models import Base
from rookery.db.schema import current_revision, head_revision, upgrade


def test_migrations_match_models(database_url: str) -> None:
    """After `upgrade head`, autogenerate finds nothing to change on this database."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(database_url: str) -> None:
    """Running the migrations twice (every `serve` start does) changes nothing."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
