"""Whether a database error means "the database is unavailable right now".

Outages (PostgreSQL unreachable, a connection cut mid-statement, SQLite's write lock held past
the busy timeout) are told apart from errors in our own statements here, once, so the API can
answer 503 and the worker can wait and retry instead of failing. Everything else is a bug or a
constraint violation and keeps its own meaning.
"""

from __future__ import annotations

from sqlalchemy import exc

from rookery.errors import DatabaseUnavailableError

# SQLite reports a held write lock and a missing file as OperationalError with these texts.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")
# PostgreSQL's SQLSTATEs for a transaction it aborted so that a concurrent one could go on: the
# database is there, and the same work run again alone succeeds (services.conflicts).
CONFLICT_SQLSTATES = {"40P01": "deadlock", "40001": "serialization"}


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be used now (retrying later may work)."""
    if isinstance(error, DatabaseUnavailableError):
        return True
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (exc.InterfaceError, exc.TimeoutError)):
        return True
    if isinstance(error, exc.OperationalError):
        text = str(error.orig).lower()
        if any(marker in text for marker in _SQLITE_UNAVAILABLE):
            return True
        # psycopg raises OperationalError for refused, reset and timed-out connections (but
        # also for a transaction aborted to let another go on, which is no outage); SQLite
        # uses it for locks and files (above). Any other SQLite OperationalError is our bug.
        return (
            error.orig is not None
            and type(error.orig).__module__.startswith("psycopg")
            and getattr(error.orig, "sqlstate", None) not in CONFLICT_SQLSTATES
        )
    return False


def describe(error: BaseException) -> str:
    """One line naming the cause, without statements or parameters (they may hold secrets)."""
    orig = getattr(error, "orig", None) or error
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return f"{type(orig).__name__}: {first}"[:300]


def unavailable_error(error: BaseException) -> DatabaseUnavailableError:
    """Our error for an outage, naming its cause in one line."""
    return DatabaseUnavailableError(f"the database is unavailable ({describe(error)})")
