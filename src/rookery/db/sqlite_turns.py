"""SQLite worker turns at the driver, taken on the worker's event loop.

Invariants:
- the same statements, in the same order and one transaction, as
  :func:`rookery.db.turns.record_and_claim` on SQLite (the batch's attempts, its deliveries
  moved on, their lanes' heads, then the claim), so the same guarantees; the statements go
  to the driver's cursor, past SQLAlchemy's execution machinery, which cost more CPU than
  SQLite's own work on them (docs/BENCHMARKS.md, sixteenth pass);
- the transaction holds the engine's :class:`~rookery.db.engine.WriteGate` as every other
  writer's does, as a *first* writer. The event loop never blocks on another writer:
  :meth:`SQLiteTurns.record_and_claim_on_loop` waits for another process's transaction on
  the loop (the file lock's waiter thread wakes it), and returns None when a thread of this
  process holds the write turn (the caller then takes the turn on a thread, waiting);
  :meth:`SQLiteTurns.record_and_claim` takes the turn on the calling thread, waiting or not;
- it takes only batches that change no user's status (:meth:`RecordedBatch.plain`);
- the connection is the worker's own, kept between turns and dropped on any error; the
  driver's exceptions are translated here into SQLAlchemy's (and an outage into ours), as
  the rest of ``db`` raises.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import suppress
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, exc
from sqlalchemy.engine.interfaces import DBAPIConnection

from rookery.db import lanes, queue
from rookery.db.availability import is_unavailable, unavailable_error
from rookery.db.engine import locked_error, write_gate
from rookery.db.outcomes import ADD_ATTEMPTS_SQLITE, MOVE_ON_SQLITE, RecordedBatch, sqlite_time
from rookery.db.queue import ClaimedDelivery

Turn = tuple[list[ClaimedDelivery], dict[str, str]]


class SQLiteTurns:
    """The worker's turns on a SQLite ``engine``, on one connection of their own.

    Each records a batch and claims with :func:`rookery.db.queue.claim_params`' parameters,
    and returns what it claimed and the batch's lanes that had no row (the caller writes
    them afresh, as :meth:`RecordedBatch.refresh_unheld` does).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._gate = write_gate(engine)
        self._connection: Any = None  # the pool's proxy of a sqlite3 connection

    def record_and_claim(
        self, batch: RecordedBatch | None, claim: dict[str, Any], now: datetime, *, wait: bool
    ) -> Turn | None:
        """One turn; None when ``wait`` is False and another writer holds the write turn."""
        if not self._gate.enter(first=True, wait=wait):
            if wait:
                raise locked_error()
            return None
        return self._take(batch, claim, now)

    async def record_and_claim_on_loop(
        self, batch: RecordedBatch | None, claim: dict[str, Any], now: datetime
    ) -> Turn | None:
        """One turn from the event loop, waiting on it for another process's transaction
        to end (:meth:`WriteGate.enter_from_loop`); None when another thread of this process
        holds the write turn."""
        entered = await self._gate.enter_from_loop()
        if entered is None:
            return None
        if not entered:
            raise locked_error()
        return self._take(batch, claim, now)

    def _take(self, batch: RecordedBatch | None, claim: dict[str, Any], now: datetime) -> Turn:
        """The turn, with the gate entered; the gate is left whatever happens."""
        try:
            return self._turn(self._driver(), batch, claim, now)
        except sqlite3.Error as error:
            self.close()
            translated = exc.DBAPIError.instance("worker turn", None, error, sqlite3.Error)
            raise (
                unavailable_error(translated) if is_unavailable(translated) else translated
            ) from error
        except BaseException:
            self.close()
            raise
        finally:
            self._gate.leave()

    def close(self) -> None:
        """Drop the connection, if any (the next turn makes a new one); its transaction, if
        one is open, is rolled back."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):
                connection.invalidate()

    def _driver(self) -> DBAPIConnection:
        if self._connection is None:
            self._connection = self._engine.raw_connection()
        driver: DBAPIConnection = self._connection.driver_connection
        return driver

    @staticmethod
    def _turn(
        driver: DBAPIConnection,
        batch: RecordedBatch | None,
        claim: dict[str, Any],
        now: datetime,
    ) -> Turn:
        cursor = driver.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        held: set[str] = set()
        if batch is not None:
            attempts, moves = batch.sqlite_params()
            cursor.executemany(ADD_ATTEMPTS_SQLITE, attempts)
            cursor.executemany(MOVE_ON_SQLITE, moves)
            moved = {"lanes": json.dumps(sorted(batch.lanes)), "now": sqlite_time(now)}
            heads = cursor.execute(lanes.MOVE_ON_SQLITE, moved).fetchall()
            held = {lane for lane, _ in heads}
            gone = [lane for lane, head_id in heads if not head_id]
            if gone:
                cursor.execute(lanes.DROP_EMPTIED_SQLITE, {"lanes": json.dumps(gone)})
        rows: list[Any] = []
        if claim["limit"] > 0:
            params = {
                **claim,
                "now": sqlite_time(claim["now"]),
                "until": sqlite_time(claim["until"]),
                "skip": json.dumps(claim["skip"]),
            }
            taken = [
                lane for (lane,) in cursor.execute(queue.TAKE_LANES_SQLITE_SQL, params).fetchall()
            ]
            if taken:
                rows = cursor.execute(
                    queue.CLAIM_RUNS_SQLITE_SQL, {**params, "lanes": json.dumps(taken)}
                ).fetchall()
        cursor.execute("COMMIT")
        claimed = sorted((queue.claimed_from_sqlite(row) for row in rows), key=lambda d: d.id)
        unheld = {} if batch is None else {k: r for k, r in batch.lanes.items() if k not in held}
        return claimed, unheld
