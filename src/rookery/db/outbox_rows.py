"""Writing the outbox's rows: a transaction's events and their deliveries, without the ORM.

Invariants:
- events are written before the deliveries that reference them, and deliveries get their ids
  in the order of the rows given (a lane sends in id order: one transaction's deliveries to
  one lane go out in the order its use case published them);
- :func:`write` only writes the rows (their lanes' rows are the caller's:
  :func:`rookery.db.lanes.open_heads` or :func:`rookery.db.lanes.refresh`);
- :func:`write_and_open` (PostgreSQL) writes the events, the deliveries, their lanes' heads
  exactly as :func:`rookery.db.lanes.open_heads` would, and the ``NOTIFY``, in one statement:
  a webhook adds no round trip to its change's transaction (docs/BENCHMARKS.md, "One
  statement per event"). Its text is fixed, whatever the number of rows (two JSON
  documents carry them), so it is compiled once;
- :func:`write_and_open_sqlite` does the same on SQLite in three statements sent straight to
  the driver, their parameters made here: on SQLite this runs inside the write turn every
  other writer waits for, and SQLAlchemy's statement and parameter handling was most of what
  a webhook added to it (docs/BENCHMARKS.md, "fourteenth pass").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.orm import Session

from rookery.db import lanes, queue
from rookery.db.lanes import OPEN_SQLITE_DRIVER, OpenedDelivery
from rookery.db.models import Event, UTCDateTime
from rookery.db.outcomes import sqlite_time

_EVENTS = cast(Table, Event.__table__)
_INSERT_EVENTS = insert(_EVENTS)

# (column, type) of every delivery column the outbox sets; the others are the pending
# state's: nothing sent, nothing held, nothing finished.
_DELIVERY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("uid", "text"),
    ("event_id", "text"),
    ("action", "text"),
    ("webhook_name", "text"),
    ("webhook_key", "text"),
    ("subject", "text"),
    ("lane", "text"),
    ("receiver", "text"),
    ("next_attempt_at", "timestamptz"),
    ("method", "text"),
    ("url", "text"),
    ("headers", "json"),
    ("body", "text"),  # hex: JSON has no bytes
    ("timeout_seconds", "float8"),
    ("retry_schedule", "json"),
    ("user_id", "integer"),
    ("created_at", "timestamptz"),
)
_EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "text"),
    ("action", "text"),
    ("subject", "text"),
    ("actor", "text"),
    ("params", "json"),
    ("created_at", "timestamptz"),
)


def _recordset(name: str, columns: Sequence[tuple[str, str]]) -> str:
    types = ", ".join(f"{column} {kind}" for column, kind in columns)
    return (
        f"ROWS FROM (json_to_recordset(CAST(:{name} AS json)) AS ({types})) "
        f"WITH ORDINALITY AS {name[0]}({_names(columns)}, n)"
    )


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(column for column, _ in columns)


_D_VALUES = _names(_DELIVERY_COLUMNS).replace("body", "decode(body, 'hex')")
# The rows go as two JSON documents: psycopg's dumping of one array per column cost more
# than the rest of the commit's Python (docs/BENCHMARKS.md, "One statement per event").
_WRITE_AND_OPEN = text(
    f"""
    WITH events_written AS (
        INSERT INTO events ({_names(_EVENT_COLUMNS)})
        SELECT {_names(_EVENT_COLUMNS)} FROM {_recordset("events", _EVENT_COLUMNS)} ORDER BY n
    ), written AS (
        INSERT INTO deliveries ({_names(_DELIVERY_COLUMNS)}, state, attempt_count)
        SELECT {_D_VALUES}, 'pending', 0
        FROM {_recordset("deliveries", _DELIVERY_COLUMNS)} ORDER BY n
        RETURNING id, uid, lane, receiver, next_attempt_at
    ), opened AS (
        INSERT INTO delivery_lanes AS l (lane, receiver, head_id, due_at, head_since)
        SELECT DISTINCT ON (lane) lane, receiver, id, next_attempt_at, :since
        FROM written ORDER BY lane, id
        {lanes.OPEN_ON_CONFLICT}
        RETURNING l.lane
    )
    SELECT uid, id, (SELECT pg_notify(:channel, :payload) FROM opened LIMIT 1) IS NULL
    FROM written
    """  # noqa: S608 -- the f-string inserts constant column names, never input
).bindparams(bindparam("since", type_=UTCDateTime))


def write(
    session: Session, events: Sequence[dict[str, Any]], deliveries: Sequence[dict[str, Any]]
) -> list[OpenedDelivery]:
    """Write ``events`` then ``deliveries`` (their columns); the deliveries as opened."""
    connection = session.connection()
    if events:
        connection.execute(_INSERT_EVENTS, list(events))
    return queue.insert_deliveries(session, deliveries) if deliveries else []


def write_and_open(
    session: Session,
    events: Sequence[dict[str, Any]],
    deliveries: Sequence[dict[str, Any]],
    since: datetime,
    channel: str,
    payload: str,
) -> list[OpenedDelivery]:
    """PostgreSQL: write ``events`` and ``deliveries``, make the deliveries their lanes' heads
    where they come first, and ``NOTIFY channel, payload`` at commit, in one statement."""
    params: dict[str, Any] = {
        "since": since,
        "channel": channel,
        "payload": payload,
        "events": json.dumps([_json_row(row) for row in events]),
        "deliveries": json.dumps([_json_row(row) for row in deliveries]),
    }
    rows = session.connection().execute(_WRITE_AND_OPEN, params)
    ids: dict[str, int] = {uid: delivery_id for uid, delivery_id, _ in rows}
    return [
        OpenedDelivery(ids[row["uid"]], row["lane"], row["receiver"], row["next_attempt_at"])
        for row in deliveries
    ]


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as JSON holds it: times in ISO 8601, the body in hex."""
    out = dict(row)
    for key, value in row.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, bytes):
            out[key] = value.hex()
    return out


# The f-strings insert constant column names and placeholders, never input.
_EVENTS_SQLITE = (
    f"INSERT INTO events ({_names(_EVENT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in _EVENT_COLUMNS)})"
)
_DELIVERY_SQLITE = (
    f"INSERT INTO deliveries ({_names(_DELIVERY_COLUMNS)}, state, attempt_count) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in _DELIVERY_COLUMNS)}, 'pending', 0) RETURNING id"
)


def write_and_open_sqlite(
    session: Session,
    events: Sequence[dict[str, Any]],
    deliveries: Sequence[dict[str, Any]],
    since: datetime,
) -> list[OpenedDelivery]:
    """SQLite: write ``events`` and ``deliveries`` (in their order, so their ids are too) and
    make the deliveries their lanes' heads where they come first, as
    :func:`rookery.db.lanes.open_heads` does; the deliveries as opened."""
    connection = session.connection()
    if events:
        connection.exec_driver_sql(
            _EVENTS_SQLITE, [_sqlite_values(row, _EVENT_COLUMNS) for row in events]
        )
    opened = [
        OpenedDelivery(
            connection.exec_driver_sql(
                _DELIVERY_SQLITE, _sqlite_values(row, _DELIVERY_COLUMNS)
            ).scalar_one(),
            row["lane"],
            row["receiver"],
            row["next_attempt_at"],
        )
        for row in deliveries
    ]
    heads = lanes.first_of_each_lane(opened)
    if heads:
        moment = sqlite_time(since)
        connection.exec_driver_sql(
            OPEN_SQLITE_DRIVER,
            [(lane, d.receiver, d.id, sqlite_time(d.next_attempt_at), moment) for lane, d in heads],
        )
    return opened


def _sqlite_values(row: dict[str, Any], columns: Sequence[tuple[str, str]]) -> tuple[Any, ...]:
    """``row``'s values in ``columns``' order, as SQLite stores them (what the model's types
    would bind: times as UTC text, JSON as its text, the body as its bytes)."""
    values = []
    for column, kind in columns:
        value = row[column]
        if kind == "timestamptz":
            value = sqlite_time(value)
        elif kind == "json":
            value = json.dumps(value)
        values.append(value)
    return tuple(values)
