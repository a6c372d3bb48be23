"""One worker turn: record a batch of attempts and claim what is due, in one transaction.

Invariants:
- the same statements, and so the same guarantees, as :func:`rookery.db.outcomes.record_results`
  followed by :func:`rookery.db.queue.claim_due` in one transaction (the claim sees the lanes
  the batch moved on);
- on PostgreSQL the statements and the COMMIT go to the server in one flight (psycopg's
  pipeline mode: no statement waits for the previous one's answer, the server still runs
  them in order and stops at the first error, which rolls the whole turn back): one round
  trip per turn, whatever the batch, instead of one per statement. On a busy host each
  round trip costs a wake-up of the server's process and of the worker's thread, which is
  what a turn's time was made of (docs/BENCHMARKS.md, issue 10 hot path);
- a lane of the batch with no row to lock (a bulk load rebuilt the lanes meanwhile) is
  written afresh by a second transaction right after the turn;
- :class:`LoopTurns` sends the same flight from the worker's event loop on an asyncio
  connection (no thread to hand the turn and the GIL to and back: on a busy host those
  hand-offs cost more than the turn's own work, docs/BENCHMARKS.md, "Turns on the loop");
  it takes only batches that change no user's status (:meth:`RecordedBatch.plain`);
- the driver's exceptions are translated here into SQLAlchemy's, as the rest of ``db`` raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import psycopg
from psycopg.types.json import set_json_loads
from sqlalchemy import URL, Connection, TextClause, exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from rookery.db import lanes, queue
from rookery.db.engine import driver_conninfo
from rookery.db.outcomes import (
    RECORD_POSTGRESQL,
    AttemptResult,
    RecordedBatch,
    Sent,
    record_results,
)
from rookery.db.queue import ClaimedDelivery
from rookery.db.shared_json import decode_shared

TURNS_NAME = "rookery worker turns"  # pg_stat_activity.application_name of LoopTurns
_DIALECT = postgresql.dialect(paramstyle="pyformat")  # type: ignore[no-untyped-call]


@cache
def _driver_sql(statement: TextClause) -> str:
    """A statement as psycopg takes it (``%(name)s`` parameters)."""
    return str(statement.compile(dialect=_DIALECT))


def record_and_claim(
    session: Session,
    worker_id: str,
    deliveries: Mapping[int, Sent],
    results: Sequence[AttemptResult],
    want: int,
    lease: timedelta,
    now: datetime,
    skip_receivers: Sequence[str] = (),
    depth: int = 1,
) -> list[ClaimedDelivery]:
    """Record ``results`` and claim the runs of up to ``want`` due lanes (at most ``depth``
    deliveries each: :func:`rookery.db.queue.claim_due`), and commit."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        record_results(session, worker_id, deliveries, results, now)
        claimed = queue.claim_due(session, worker_id, want, lease, now, skip_receivers, depth)
        session.commit()
        return claimed
    batch = RecordedBatch.of(session, worker_id, deliveries, results, now) if results else None
    claim = queue.claim_params(worker_id, want, lease, now, skip_receivers, depth)
    held, rows = _one_flight(connection, batch, claim, now)
    session.commit()  # the flight committed: this only closes the session's transaction
    if batch is not None:
        batch.refresh_unheld(session, held, now)
        session.commit()
    return _claimed(rows)


def _claimed(rows: Sequence[Sequence[Any]]) -> list[ClaimedDelivery]:
    return sorted((queue.claimed_from_driver(row) for row in rows), key=lambda d: d.id)


def _one_flight(
    connection: Connection, batch: RecordedBatch | None, claim: dict[str, Any], now: datetime
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Send the turn's statements together; the lanes locked and the claimed rows."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.pipeline():
            locked = moved = claimed = None
            if batch is not None:
                locked = driver.execute(_driver_sql(RECORD_POSTGRESQL), batch.params())
                moved = {"lanes": sorted(batch.lanes), "now": now}
                driver.execute(_driver_sql(lanes.MOVE_ON_POSTGRESQL), moved)
                driver.execute(_driver_sql(lanes.DROP_EMPTIED_POSTGRESQL), moved)
            if claim["limit"] > 0:
                claimed = driver.execute(_driver_sql(queue.CLAIM_POSTGRESQL), claim)
            driver.execute("COMMIT")
        held = [row[0] for row in locked.fetchall()] if locked is not None else []
        return held, claimed.fetchall() if claimed is not None else []
    except psycopg.Error as error:
        broken = driver.closed or isinstance(error, psycopg.OperationalError)
        if broken:
            connection.invalidate(error)
        raise _translated(error, broken=broken) from error


def _translated(error: psycopg.Error, *, broken: bool) -> exc.StatementError:
    """``error`` as SQLAlchemy raises it (what :mod:`rookery.db.availability` reads)."""
    return exc.DBAPIError.instance(
        "worker turn", None, error, psycopg.Error, connection_invalidated=broken
    )


class LoopTurns:
    """PostgreSQL turns sent from the worker's event loop, on one asyncio connection.

    The connection is made on the first turn, kept between turns, and dropped on any error
    (the next turn makes a new one). Same statements, same flight, same guarantees as
    :func:`record_and_claim`; the caller writes afresh the lanes returned (rows gone
    missing), on a thread, as :meth:`RecordedBatch.refresh_unheld` does.
    """

    def __init__(self, url: URL) -> None:
        self._conninfo = driver_conninfo(url, TURNS_NAME)
        self._connection: psycopg.AsyncConnection[Any] | None = None

    async def record_and_claim(
        self, batch: RecordedBatch | None, claim: dict[str, Any], now: datetime
    ) -> tuple[list[ClaimedDelivery], dict[str, str]]:
        """Record ``batch`` and claim with ``claim`` (:func:`rookery.db.queue.claim_params`),
        and commit: the claimed deliveries, and the batch's lanes that had no row."""
        connection = self._connection
        try:
            if connection is None or connection.closed:
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo, connect_timeout=10
                )
                # Only this connection's claims read JSON: decode each distinct text once.
                set_json_loads(decode_shared, connection)
                self._connection = connection
            async with connection.pipeline():
                locked = claimed = None
                if batch is not None:
                    locked = await connection.execute(
                        _driver_sql(RECORD_POSTGRESQL), batch.params()
                    )
                    moved = {"lanes": sorted(batch.lanes), "now": now}
                    await connection.execute(_driver_sql(lanes.MOVE_ON_POSTGRESQL), moved)
                    await connection.execute(_driver_sql(lanes.DROP_EMPTIED_POSTGRESQL), moved)
                if claim["limit"] > 0:
                    claimed = await connection.execute(_driver_sql(queue.CLAIM_POSTGRESQL), claim)
                await connection.execute("COMMIT")
            held = {row[0] for row in await locked.fetchall()} if locked is not None else set()
            rows = await claimed.fetchall() if claimed is not None else []
            await connection.commit()  # the flight committed: this only ends psycopg's own
        except psycopg.Error as error:
            await self.close()
            raise _translated(error, broken=isinstance(error, psycopg.OperationalError)) from error
        except BaseException:
            await self.close()
            raise
        unheld = {} if batch is None else {k: r for k, r in batch.lanes.items() if k not in held}
        return _claimed(rows), unheld

    async def close(self) -> None:
        """Close the connection, if any (an error closing it changes nothing)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except psycopg.Error:
                return
