"""Opening the configured database at start, with failures said in one sentence.

An operator who mistypes ``ROOKERY_DATABASE_URL``, or starts Rookery before its database, gets
one line naming the setting and the cause ("ROOKERY_DATABASE_URL: cannot connect to
127.0.0.1:1 (connection refused)") instead of a driver traceback. Invariants: the database is
reached (one round trip) before anything is announced; the password in the URL is never
printed; only SQLite and PostgreSQL URLs are accepted.
"""

from __future__ import annotations

from sqlalchemy import Engine, exc, text
from sqlalchemy.engine import URL, make_url

from rookery.db.availability import is_unavailable
from rookery.db.engine import APPLICATION_NAME, make_engine, normalize_url
from rookery.errors import DatabaseUnavailableError, InvalidInputError

SETTING = "ROOKERY_DATABASE_URL"
_SUPPORTED = ("sqlite", "postgresql")
_EXPECTED = "expected sqlite:///PATH or postgresql://USER@HOST[:PORT]/DATABASE"


def parse_database_url(url: str) -> URL:
    """The URL, or InvalidInputError naming the setting when Rookery cannot use it."""
    try:
        parsed = make_url(normalize_url(url))
    except exc.ArgumentError:
        raise InvalidInputError(
            f"{SETTING}: not a database URL ({_EXPECTED})", param=SETTING
        ) from None
    if parsed.get_backend_name() not in _SUPPORTED:
        raise InvalidInputError(
            f"{SETTING}: {parsed.get_backend_name()!r} databases are not supported ({_EXPECTED})",
            param=SETTING,
        )
    return parsed


def open_database(
    url: str, *, sqlite_busy_timeout: float = 30.0, name: str = APPLICATION_NAME
) -> Engine:
    """An engine for ``url`` that has answered once; one-sentence errors naming the setting.
    On PostgreSQL its connections are named ``name`` (``pg_stat_activity``)."""
    parsed = parse_database_url(url)
    engine = make_engine(url, sqlite_busy_timeout=sqlite_busy_timeout, name=name)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        engine.dispose()
        if not is_unavailable(error):
            raise
        raise DatabaseUnavailableError(
            f"{SETTING}: cannot {_where(parsed)} ({_reason(error)})", param=SETTING
        ) from error
    return engine


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"open the SQLite database {url.database or ':memory:'}"
    return f"connect to {url.host or 'localhost'}:{url.port or 5432}"


def _reason(error: BaseException) -> str:
    """The driver's cause, without its advice lines: 'connection refused', 'database ...'."""
    cause: BaseException = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    orig = getattr(cause, "orig", None) or cause
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(orig).__name__
    reason = first.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
    return (reason[:1].lower() + reason[1:])[:200] or type(orig).__name__
