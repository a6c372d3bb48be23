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
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import exc

from rookery.errors import ConcurrentChangeError

P = ParamSpec("P")
T = TypeVar("T")

# SQLSTATE classes (PostgreSQL) and extended result names (SQLite) of the violations a
# concurrent writer can cause; NOT NULL and CHECK violations are our own bugs and stay 500s.
_PG_RACES = {"23505": "unique", "23503": "foreign key"}
_SQLITE_RACES = {
    "SQLITE_CONSTRAINT_UNIQUE": "unique",
    "SQLITE_CONSTRAINT_PRIMARYKEY": "unique",
    "SQLITE_CONSTRAINT_FOREIGNKEY": "foreign key",
}


def race_kind(error: BaseException) -> str | None:
    """``unique`` or ``foreign key`` when ``error`` is a constraint a concurrent write broke."""
    if not isinstance(error, exc.IntegrityError):
        return None
    orig = error.orig
    if isinstance(orig, sqlite3.IntegrityError):
        return _SQLITE_RACES.get(getattr(orig, "sqlite_errorname", ""))
    return _PG_RACES.get(str(getattr(orig, "sqlstate", "") or ""))


def concurrent_change_error(error: BaseException) -> ConcurrentChangeError:
    """Our error for a write refused because of a concurrent one (no statement, no values)."""
    kind = race_kind(error) or "integrity"
    return ConcurrentChangeError(
        f"a concurrent request changed the same data first ({kind} constraint); "
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
