"""The worker writes SQLite times itself (db/outcomes.py ``sqlite_time``): they must be the very
text SQLAlchemy writes for a ``UTCDateTime``, or text comparisons of due times would lie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from rookery.db.models import UTCDateTime
from rookery.db.outcomes import sqlite_time

DIALECT = sqlite.dialect()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 6, 22, 30, 1, 123456, tzinfo=UTC),
        datetime(2026, 12, 6, 22, 30, 1, tzinfo=UTC),  # no microseconds: still written
        datetime(2026, 12, 7, 0, 30, 0, 5, tzinfo=timezone(timedelta(hours=2))),  # not UTC
    ],
)
def test_sqlite_times_are_written_as_sqlalchemy_writes_them(moment: datetime) -> None:
    """The same text as the column type's own parameter processing, in UTC."""
    column = UTCDateTime()
    own = column.dialect_impl(DIALECT).bind_processor(DIALECT)
    assert own is not None
    assert sqlite_time(moment) == own(column.process_bind_param(moment, DIALECT))


def test_no_time_is_null() -> None:
    """A missing time stays NULL."""
    assert sqlite_time(None) is None
