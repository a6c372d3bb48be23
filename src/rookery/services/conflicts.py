"""Races between concurrent writes, settled into the same 409 the sequential path gives.

Every create or rename first looks for a duplicate and raises a ``ConflictError`` naming the
field at fault. Two requests can both pass that look before either commits; the database's
unique (or foreign-key) constraint then refuses the later write — on PostgreSQL as a unique
violation once the first transaction commits. The unit of work translates that refusal, once,
into :class:`~rookery.errors.ConcurrentChangeError`. A use case wrapped in :func:`settle_races`
then runs once more against the committed state, where the ordinary check finds the winner's
row and raises exactly the sequential answer (409 naming the field, or 404 when the parent was
deleted meanwhile). Invariant: no constraint violation caused by a concurrent request reaches the
client as a 500.

PostgreSQL settles two other conflicts between concurrent transactions by aborting one of them:
a deadlock (each waits for a row the other locked) and a serialization failure. The aborted one
would succeed alone, so it is a race too: it becomes the same ``ConcurrentChangeError``, a
wrapped use case runs once more, and any other answers 409 "try again", not 503: the database
is there, it only chose this transaction to give way.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import exc

from rookery.db.availability import CONFLICT_SQLSTATES
from rookery.errors import ConcurrentChangeError

P = ParamSpec("P")
T = TypeVar("T")

# SQLSTATE classes (PostgreSQL) and extended result names (SQLite) of the violations a
# concurrent writer can cause; NOT NULL and CHECK violations are our own bugs and stay 500s.
_PG_RACES = {"23505": "unique", "23503": "foreign key", **CONFLICT_SQLSTATES}
# How each kind reads in the client's message.
_KIND_TEXT = {"deadlock": "deadlock", "serialization": "serialization failure"}
_SQLITE_RACES = {
    "SQLITE_CONSTRAINT_UNIQUE": "unique",
    "SQLITE_CONSTRAINT_PRIMARYKEY": "unique",
    "SQLITE_CONSTRAINT_FOREIGNKEY": "foreign key",
}


def race_kind(error: BaseException) -> str | None:
    """``unique`` or ``foreign key`` when ``error`` is a constraint a concurrent write broke;
    ``deadlock`` or ``serialization`` when PostgreSQL aborted this transaction for another."""
    if not isinstance(error, (exc.IntegrityError, exc.OperationalError)):
        return None
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        if not isinstance(orig, sqlite3.IntegrityError):
            return None
        return _SQLITE_RACES.get(getattr(orig, "sqlite_errorname", ""))
    return _PG_RACES.get(str(getattr(orig, "sqlstate", "") or ""))


def concurrent_change_error(error: BaseException) -> ConcurrentChangeError:
    """Our error for a write refused because of a concurrent one (no statement, no values)."""
    kind = race_kind(error) or "integrity"
    what = _KIND_TEXT.get(kind, f"{kind} constraint")
    return ConcurrentChangeError(
        f"a concurrent request changed the same data first ({what}); "
        "read the current state and try again"
    )


def settle_races(use_case: Callable[P, T]) -> Callable[P, T]:
    """Run ``use_case`` once more when a concurrent write won; its checks then answer."""

    @functools.wraps(use_case)
    def settled(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return use_case(*args, **kwargs)
        except ConcurrentChangeError:
            return use_case(*args, **kwargs)

    return settled
