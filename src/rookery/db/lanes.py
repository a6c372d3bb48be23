"""The lanes table: each lane's head and when it is due, so a claim reads due lanes only.

Invariants (kept by :func:`refresh`, called in every transaction that opens, claims, releases
or finishes a delivery, or by :func:`open_heads` in one that only opens deliveries):
- a lane has a row exactly while it has an unfinished delivery; ``head_id`` is the lowest
  unfinished id of the lane, ``due_at`` the head's ``next_attempt_at`` while the head is
  ``pending`` and NULL while it is ``sending``;
- :func:`refresh` locks the lane rows first (``FOR UPDATE`` in lane order, then an upsert of
  the missing ones), then computes the heads in a later statement: on PostgreSQL each
  statement sees what committed before it, so the row written is never older than the
  deliveries it was computed from;
- ``head_since`` changes only when the head does: a lane whose head is old has not moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    case,
    delete,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, ColumnClause

from rookery.db.models import Delivery, DeliveryLane, UTCDateTime
from rookery.domain.delivery_states import OPEN, DeliveryState

# Literals, not parameters: SQLite uses a partial index only when the WHERE visibly implies it.
_OPEN: tuple[ColumnClause[str], ...] = tuple(literal_column(f"'{s.value}'") for s in sorted(OPEN))
_PENDING: ColumnClause[str] = literal_column(f"'{DeliveryState.PENDING.value}'")


_LANES = cast(Table, DeliveryLane.__table__)


@dataclass(frozen=True)
class OpenedDelivery:
    """A delivery just written ``pending``: what its lane's row needs of it."""

    id: int
    lane: str
    receiver: str
    next_attempt_at: datetime


_DELIVERIES = cast(Table, Delivery.__table__)
_INNER = _DELIVERIES.alias("inner")
_HEAD = _DELIVERIES.alias("head")
_KEYS: BindParameter[str] = bindparam("lanes", expanding=True)
# Built once (a refresh follows every recorded batch): building and compiling these per call
# was most of a refresh's CPU time (docs/BENCHMARKS.md, issue 10 hot path).
_LOWEST = (
    select(func.min(_INNER.c.id))
    .where(_INNER.c.lane == _LANES.c.lane, _INNER.c.state.in_(_OPEN))
    .correlate(_LANES)
    .scalar_subquery()
)
_MOVE = (
    update(_LANES)
    .where(_LANES.c.lane.in_(_KEYS))
    .values(
        head_id=func.coalesce(_LOWEST, 0),
        due_at=select(case((_HEAD.c.state == _PENDING, _HEAD.c.next_attempt_at), else_=None))
        .where(_HEAD.c.id == _LOWEST)
        .correlate(_LANES)
        .scalar_subquery(),
        head_since=case(
            (_LANES.c.head_id == _LOWEST, _LANES.c.head_since),
            else_=bindparam("now", type_=UTCDateTime),
        ),
    )
    .returning(_LANES.c.lane, _LANES.c.head_id)
)
_DROP = delete(_LANES).where(_LANES.c.lane.in_(_KEYS))
_HOLD = (
    select(_LANES.c.lane).where(_LANES.c.lane.in_(_KEYS)).order_by(_LANES.c.lane).with_for_update()
)


# PostgreSQL, for the worker's batches: the same moves, each lane's head found once (LATERAL),
# and the emptied lanes dropped by a statement that needs no answer from this one, so that
# both can go to the server in one flight (:mod:`rookery.db.turns`).
MOVE_ON_POSTGRESQL = text(
    """
    UPDATE delivery_lanes AS l
    SET head_id = COALESCE(h.id, 0),
        due_at = CASE WHEN h.state = 'pending' THEN h.next_attempt_at END,
        head_since = CASE WHEN h.id = l.head_id THEN l.head_since ELSE :now END
    FROM delivery_lanes AS k
    LEFT JOIN LATERAL (
        SELECT d.id, d.state, d.next_attempt_at FROM deliveries AS d
        WHERE d.lane = k.lane AND d.state IN ('pending', 'sending')
        ORDER BY d.id LIMIT 1
    ) AS h ON true
    WHERE l.lane = k.lane AND k.lane = ANY(CAST(:lanes AS text[]))
    """
)
DROP_EMPTIED_POSTGRESQL = text(
    "DELETE FROM delivery_lanes WHERE lane = ANY(CAST(:lanes AS text[])) AND head_id = 0"
)


# SQLite, for the worker's turns at the driver (:mod:`rookery.db.sqlite_turns`): the moves of
# ``_MOVE`` and ``_DROP`` as the driver takes them, the lanes as one JSON array (``:lanes``).
# SET expressions read the row as it was: ``head_id`` below is the old head.
_LOWEST_SQLITE = (
    "(SELECT min(i.id) FROM deliveries AS i"
    " WHERE i.lane = delivery_lanes.lane AND i.state IN ('pending', 'sending'))"
)
MOVE_ON_SQLITE = f"""
    UPDATE delivery_lanes
    SET head_id = coalesce({_LOWEST_SQLITE}, 0),
        due_at = (SELECT CASE WHEN h.state = 'pending' THEN h.next_attempt_at END
                  FROM deliveries AS h WHERE h.id = {_LOWEST_SQLITE}),
        head_since = CASE WHEN head_id = {_LOWEST_SQLITE} THEN head_since ELSE :now END
    WHERE lane IN (SELECT value FROM json_each(:lanes))
    RETURNING lane, head_id
    """  # noqa: S608 -- the f-string inserts a constant subquery, never input
DROP_EMPTIED_SQLITE = (
    "DELETE FROM delivery_lanes WHERE lane IN (SELECT value FROM json_each(:lanes)) AND head_id = 0"
)


def refresh(session: Session, receivers: Mapping[str, str], now: datetime) -> None:
    """Bring the rows of the lanes in ``receivers`` (lane → receiver) up to date."""
    if not receivers:
        return
    lanes = sorted(receivers)
    session.flush()  # the statements below go to the connection, past the ORM
    connection = session.connection()
    _lock(connection, [(lane, receivers[lane]) for lane in lanes], now)
    move_on(session, lanes, now)


def move_on(session: Session, lanes: Sequence[str], now: datetime) -> list[str]:
    """Recompute the heads of ``lanes``, whose rows this transaction already holds locked.

    Statements of their own, so on PostgreSQL a fresh snapshot: they see whatever the
    transactions the lock waited for committed. A lane left with no unfinished delivery
    gets head 0, and its row goes. Returns the lanes that had a row (on PostgreSQL the
    caller knows them from its lock: all of ``lanes`` are returned).
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        params = {"lanes": list(lanes), "now": now}
        connection.execute(MOVE_ON_POSTGRESQL, params)
        connection.execute(DROP_EMPTIED_POSTGRESQL, params)
        return list(lanes)
    moved = connection.execute(_MOVE, {"lanes": list(lanes), "now": now}).all()
    gone = [lane for lane, head_id in moved if not head_id]
    if gone:
        connection.execute(_DROP, {"lanes": gone})
    return [lane for lane, _ in moved]


def _lock(connection: Connection, lanes: list[tuple[str, str]], now: datetime) -> None:
    """Insert missing lane rows and hold all of them until the transaction ends."""
    if connection.dialect.name != "postgresql":
        # SQLite: this transaction already holds the only write lock (BEGIN IMMEDIATE).
        add = sqlite.insert(_LANES).values(_new_rows(lanes, now))
        connection.execute(add.on_conflict_do_nothing(index_elements=[_LANES.c.lane]))
        return
    held = set(connection.execute(_HOLD, {"lanes": [lane for lane, _ in lanes]}).scalars())
    missing = [(lane, receiver) for lane, receiver in lanes if lane not in held]
    if missing:
        # Inserted meanwhile by another transaction: wait for it, then lock its row.
        insert = postgresql.insert(_LANES).values(_new_rows(missing, now))
        connection.execute(
            insert.on_conflict_do_update(
                index_elements=[_LANES.c.lane], set_={"receiver": insert.excluded.receiver}
            )
        )


def _new_rows(lanes: list[tuple[str, str]], now: datetime) -> list[dict[str, Any]]:
    return [{"lane": k, "receiver": r, "head_id": 0, "head_since": now} for k, r in lanes]


def rebuild(session: Session, now: datetime) -> None:
    """Write every lane's row from the deliveries (after a bulk load that bypassed the outbox)."""
    session.execute(delete(DeliveryLane))
    lanes = select(Delivery.lane, Delivery.receiver).where(Delivery.state.in_(_OPEN)).distinct()
    found: dict[str, str] = {row.lane: row.receiver for row in session.execute(lanes)}
    batch = 500
    keys = sorted(found)
    for start in range(0, len(keys), batch):
        refresh(session, {k: found[k] for k in keys[start : start + batch]}, now)


def open_heads(
    session: Session,
    opened: Sequence[OpenedDelivery],
    now: datetime,
    *,
    notify: str | None = None,
    payload: str = "",
) -> None:
    """Make the new ``pending`` deliveries ``opened`` heads where they come first: one statement.

    For a transaction that only added deliveries (the outbox's), this is what :func:`refresh`
    computes, without reading the deliveries: a lane with no row gets one headed by its new
    delivery; a lane with a row keeps its head unless the new delivery has the lower id (an
    id drawn earlier, committed later). The upsert waits for, then sees, any transaction
    that moved the lane meanwhile (PostgreSQL retries the insert when that one deleted the
    row). With ``notify`` (PostgreSQL), the same statement sends ``NOTIFY notify, payload``,
    which PostgreSQL delivers once the transaction commits.
    """
    ordered = first_of_each_lane(opened)
    if not ordered:
        return
    if session.get_bind().dialect.name == "postgresql":
        statement = _OPEN_AND_NOTIFY_POSTGRESQL if notify else _OPEN_POSTGRESQL
        session.execute(
            statement,
            {
                "lanes": [lane for lane, _ in ordered],
                "receivers": [d.receiver for _, d in ordered],
                "heads": [d.id for _, d in ordered],
                "dues": [d.next_attempt_at for _, d in ordered],
                "since": now,
                "channel": notify or "",
                "payload": payload,
            },
        )
        return
    session.execute(
        _OPEN_SQLITE,
        [
            {
                "lane": lane,
                "receiver": d.receiver,
                "head_id": d.id,
                "due_at": d.next_attempt_at,
                "since": now,
            }
            for lane, d in ordered
        ],
    )


def first_of_each_lane(opened: Sequence[OpenedDelivery]) -> list[tuple[str, OpenedDelivery]]:
    """Each lane's first (lowest id) of the deliveries ``opened``, in lane order (the order
    :func:`refresh` locks lanes in)."""
    first: dict[str, OpenedDelivery] = {}
    for delivery in opened:
        if delivery.lane not in first or delivery.id < first[delivery.lane].id:
            first[delivery.lane] = delivery
    return sorted(first.items())


# open_heads, built once: on PostgreSQL the lanes go as arrays, on SQLite one row per
# execution (an executemany). Built per call by the ORM, the multi-row upsert was compiled
# afresh every time: most of its cost, and a quarter of a permission write's on PostgreSQL
# (docs/BENCHMARKS.md, "Writing an event").
# A new head replaces a lane's only when it comes first (an id drawn earlier, committed later).
OPEN_ON_CONFLICT = """
        ON CONFLICT (lane) DO UPDATE SET
            head_id = LEAST(excluded.head_id, l.head_id),
            due_at = CASE WHEN excluded.head_id < l.head_id THEN excluded.due_at ELSE l.due_at END,
            head_since = CASE WHEN excluded.head_id < l.head_id
                              THEN excluded.head_since ELSE l.head_since END
"""
_OPEN_HEADS = f"""
    WITH opened AS (
        INSERT INTO delivery_lanes AS l (lane, receiver, head_id, due_at, head_since)
        SELECT lane, receiver, head_id, due_at, :since
        FROM unnest(
            CAST(:lanes AS text[]), CAST(:receivers AS text[]), CAST(:heads AS bigint[]),
            CAST(:dues AS timestamptz[])
        ) AS o(lane, receiver, head_id, due_at)
        {OPEN_ON_CONFLICT}
        RETURNING l.lane
    )
"""  # noqa: S608 -- the f-string inserts a constant clause, never input
_OPEN_POSTGRESQL = text(_OPEN_HEADS + "SELECT count(*) FROM opened").bindparams(  # noqa: S608
    bindparam("since", type_=UTCDateTime)
)
# NOTIFY in the same statement: PostgreSQL delivers it once the transaction commits.
_OPEN_AND_NOTIFY_POSTGRESQL = text(
    _OPEN_HEADS + "SELECT pg_notify(:channel, :payload) FROM opened LIMIT 1"  # noqa: S608 -- constants
).bindparams(bindparam("since", type_=UTCDateTime))
# The same upsert on SQLite (min() of two arguments is SQLite's LEAST).
_OPEN_SQLITE_UPSERT = """
    ON CONFLICT (lane) DO UPDATE SET
        head_id = min(excluded.head_id, delivery_lanes.head_id),
        due_at = CASE WHEN excluded.head_id < delivery_lanes.head_id
                      THEN excluded.due_at ELSE delivery_lanes.due_at END,
        head_since = CASE WHEN excluded.head_id < delivery_lanes.head_id
                          THEN excluded.head_since ELSE delivery_lanes.head_since END
"""
_OPEN_SQLITE = text(
    "INSERT INTO delivery_lanes (lane, receiver, head_id, due_at, head_since) "
    "VALUES (:lane, :receiver, :head_id, :due_at, :since)" + _OPEN_SQLITE_UPSERT
).bindparams(bindparam("due_at", type_=UTCDateTime), bindparam("since", type_=UTCDateTime))
# The same for the driver (positional parameters, times as SQLite's text): the outbox's.
OPEN_SQLITE_DRIVER = (
    "INSERT INTO delivery_lanes (lane, receiver, head_id, due_at, head_since) "
    "VALUES (?, ?, ?, ?, ?)" + _OPEN_SQLITE_UPSERT
)
