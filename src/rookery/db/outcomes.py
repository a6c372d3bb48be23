"""What an attempt's result does: the delivery's next state, and the user's status.

Rules (SPEC §6):
- success is a 2xx answer; anything else (3xx included) or no answer is a failure;
- a failure is retried on the delivery's schedule with jitter; ``Retry-After`` on 429/503
  replaces the pause (bounded); ``410 Gone`` ends the delivery at once;
- after the last attempt the delivery is ``failed`` (still retryable by API/CLI), and so is
  a delivery refused at once because its webhook is gone (``AttemptResult.final``);
- a failed ``create_user`` attempt sets the user ``WebhookError``; a later success returns it
  to ``OK`` unless someone (a callback, an admin) changed the status in between.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from rookery.db import lanes
from rookery.db.models import Delivery, User
from rookery.db.queue import ClaimedDelivery
from rookery.domain.delivery_states import DeliveryState
from rookery.domain.statuses import UserStatus
from rookery.webhooks.retry import RetryPolicy, retry_after_delay

RETRY_AFTER_CAP = timedelta(hours=1)
_RNG = random.Random()
Sent = Delivery | ClaimedDelivery  # what was sent: the worker's claim, or an ORM row

# PostgreSQL: one statement records the batch (attempts and the deliveries moved on, only those
# this worker still holds, from one JSON document: encoding it is one C call, where a column
# array each cost psycopg a Python loop per element) and locks the batch's lanes, in lane order.
# The deliveries are named by id as well (``:ids``): the planner takes a JSON document for a
# hundred rows, and joined against it by ``claimed_by`` alone it read the whole table for a
# batch of one (O(table) per turn; docs/BENCHMARKS.md, "The record's sequential scan").
RECORD_POSTGRESQL = text(
    """
    WITH batch AS MATERIALIZED (
        SELECT * FROM json_to_recordset(CAST(:batch AS json)) AS b(
            delivery_id bigint, number integer, started_at timestamptz,
            latency_ms double precision, status_code integer, error text, response_excerpt text,
            worker text, state text, completed_at timestamptz, next_attempt_at timestamptz,
            error_status_version integer)
    ), tried AS (
        INSERT INTO attempts (delivery_id, number, started_at, latency_ms, status_code, error,
                              response_excerpt, worker)
        SELECT delivery_id, number, started_at, latency_ms, status_code, error,
               response_excerpt, worker
        FROM batch
    ), moved AS (
        UPDATE deliveries AS d
        SET state = b.state, completed_at = b.completed_at, next_attempt_at = b.next_attempt_at,
            attempt_count = b.number, last_status_code = b.status_code, last_error = b.error,
            lease_until = NULL, claimed_by = NULL, error_status_version = b.error_status_version
        FROM batch AS b
        WHERE d.id = ANY(CAST(:ids AS bigint[])) AND d.id = b.delivery_id
          AND d.claimed_by = :worker
    )
    SELECT lane FROM delivery_lanes WHERE lane = ANY(CAST(:lanes AS text[]))
    ORDER BY lane FOR UPDATE
    """
)
# SQLite: the same rows as two executemany calls at the driver, their parameters made here
# (SQLAlchemy's processing of each row's parameters cost a third as much as SQLite's own work
# on them: docs/BENCHMARKS.md, "runs").
ADD_ATTEMPTS_SQLITE = (
    "INSERT INTO attempts (delivery_id, number, started_at, latency_ms, status_code, error,"
    " response_excerpt, worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
MOVE_ON_SQLITE = (
    "UPDATE deliveries SET state = ?, completed_at = ?, next_attempt_at = ?, attempt_count = ?,"
    " last_status_code = ?, last_error = ?, lease_until = NULL, claimed_by = NULL,"
    " error_status_version = ? WHERE id = ? AND claimed_by = ?"
)


@dataclass(frozen=True)
class AttemptResult:
    """What happened when a worker sent a delivery once."""

    delivery_id: int
    number: int
    started_at: datetime
    latency_ms: float
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    retry_after: str | None
    worker: str
    # True when retrying cannot help (the webhook is gone): the delivery fails now.
    final: bool = False

    @property
    def succeeded(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


def next_attempt_delay(
    delivery: Sent, result: AttemptResult, rng: random.Random = _RNG
) -> timedelta | None:
    """The pause before the next attempt, or None when the delivery is finished."""
    if result.succeeded or result.final or result.status_code == 410:
        return None
    policy = RetryPolicy(tuple(timedelta(seconds=s) for s in delivery.retry_schedule))
    pause = policy.delay_before_attempt(result.number + 1, rng)
    if pause is None:
        return None
    if result.status_code in (429, 503):
        asked = retry_after_delay(result.retry_after, result.started_at, RETRY_AFTER_CAP)
        if asked is not None:
            return asked
    return pause


def record_results(
    session: Session,
    worker_id: str,
    deliveries: Mapping[int, Sent],
    results: Sequence[AttemptResult],
    now: datetime,
) -> None:
    """Record a batch of attempts and move each delivery (and maybe its user) on.

    Set-based, with statements built once, in the caller's transaction: the attempts are
    inserted and the deliveries moved on by one statement per table (on PostgreSQL one
    statement for both, which also locks the batch's lanes), then the lanes' heads move on.
    The delivery UPDATE only touches rows this worker still holds, so a delivery whose lease
    ran out and was claimed elsewhere is left to its new owner. The attempt itself is
    recorded either way: it happened.
    """
    if not results:
        return
    batch = RecordedBatch.of(session, worker_id, deliveries, results, now)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        attempts, moves = batch.sqlite_params()
        connection.exec_driver_sql(ADD_ATTEMPTS_SQLITE, attempts)
        connection.exec_driver_sql(MOVE_ON_SQLITE, moves)
        # SQLite: this transaction is the only writer, so the rows need no lock first.
        batch.refresh_unheld(session, lanes.move_on(session, sorted(batch.lanes), now), now)
        return
    held = connection.execute(RECORD_POSTGRESQL, batch.params()).scalars().all()
    lanes.move_on(session, sorted(batch.lanes), now)
    batch.refresh_unheld(session, held, now)


@dataclass(frozen=True)
class RecordedBatch:
    """A batch's rows to write: the deliveries' new columns and the lanes they are in."""

    worker_id: str
    results: Sequence[AttemptResult]
    rows: list[dict[str, Any]]
    lanes: dict[str, str]  # lane -> receiver
    now: datetime

    @classmethod
    def of(
        cls,
        session: Session,
        worker_id: str,
        deliveries: Mapping[int, Sent],
        results: Sequence[AttemptResult],
        now: datetime,
    ) -> RecordedBatch:
        """Decide each delivery's next state (and update users' statuses: SPEC §6)."""
        session.flush()
        sent = [deliveries[r.delivery_id] for r in results]
        rows = [_delivery_row(session, d, r, now) for d, r in zip(sent, results, strict=True)]
        return cls(worker_id, results, rows, {d.lane: d.receiver for d in sent}, now)

    @classmethod
    def plain(
        cls,
        worker_id: str,
        deliveries: Mapping[int, Sent],
        results: Sequence[AttemptResult],
        now: datetime,
    ) -> RecordedBatch | None:
        """The batch, decided without a session, or None when a result changes a user's
        status (that takes statements of its own: :meth:`of`)."""
        sent = [deliveries[r.delivery_id] for r in results]
        if any(_changes_user(d, r.succeeded) for d, r in zip(sent, results, strict=True)):
            return None
        rows = [_delivery_row(None, d, r, now) for d, r in zip(sent, results, strict=True)]
        return cls(worker_id, results, rows, {d.lane: d.receiver for d in sent}, now)

    def params(self) -> dict[str, Any]:
        """The parameters of :data:`RECORD_POSTGRESQL`."""
        rows = [
            {
                "delivery_id": result.delivery_id,
                "number": result.number,
                "started_at": result.started_at.isoformat(),
                "latency_ms": result.latency_ms,
                "status_code": result.status_code,
                "error": result.error,
                "response_excerpt": result.response_excerpt,
                "worker": result.worker,
                "state": DeliveryState(row["state"]).value,
                "completed_at": _iso(row["completed_at"]),
                "next_attempt_at": _iso(row["next_attempt_at"]),
                "error_status_version": row["error_status_version"],
            }
            for result, row in zip(self.results, self.rows, strict=True)
        ]
        return {
            "batch": json.dumps(rows),
            "ids": [result.delivery_id for result in self.results],
            "worker": self.worker_id,
            "lanes": sorted(self.lanes),
        }

    def sqlite_params(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The rows of :data:`ADD_ATTEMPTS_SQLITE` and of :data:`MOVE_ON_SQLITE`."""
        attempts = [_attempt_values(result) for result in self.results]
        return attempts, [_move_values(row, self.worker_id) for row in self.rows]

    def refresh_unheld(self, session: Session, held: Sequence[str], now: datetime) -> None:
        """Write afresh, the general way, a lane of the batch that had no row to lock.

        A lane with a delivery in flight always has its row; one without (a bulk load
        rebuilding the lanes meanwhile) must not be left without.
        """
        found = set(held)
        lost = {lane: receiver for lane, receiver in self.lanes.items() if lane not in found}
        if lost:
            lanes.refresh(session, lost, now)


def sqlite_time(moment: datetime | None) -> str | None:
    """A time as :class:`rookery.db.models.UTCDateTime` stores it in SQLite: naive UTC text,
    always with microseconds (so that text order is time order)."""
    if moment is None:
        return None
    if moment.tzinfo is UTC:  # the usual case: "2026-01-02 03:04:05.000006+00:00", cut
        return moment.isoformat(" ", "microseconds")[:-6]
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _attempt_values(result: AttemptResult) -> tuple[Any, ...]:
    return (
        result.delivery_id,
        result.number,
        sqlite_time(result.started_at),
        result.latency_ms,
        result.status_code,
        result.error,
        result.response_excerpt,
        result.worker,
    )


def _move_values(row: dict[str, Any], worker_id: str) -> tuple[Any, ...]:
    return (
        DeliveryState(row["state"]).value,
        sqlite_time(row["completed_at"]),
        sqlite_time(row["next_attempt_at"]),
        row["attempt_count"],
        row["last_status_code"],
        row["last_error"],
        row["error_status_version"],
        row["b_id"],
        worker_id,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def apply_result(
    session: Session, delivery: Delivery, result: AttemptResult, now: datetime
) -> None:
    """Record one attempt of a delivery held by ``delivery.claimed_by``."""
    record_results(session, delivery.claimed_by or "", {delivery.id: delivery}, [result], now)


def _delivery_row(
    session: Session | None, delivery: Sent, result: AttemptResult, now: datetime
) -> dict[str, Any]:
    """The delivery's columns after ``result``; with a ``session``, the user's status too
    (without one, the caller made sure no status changes: :func:`_changes_user`)."""
    pause = next_attempt_delay(delivery, result)
    if result.succeeded:
        state, completed, due = DeliveryState.DELIVERED, now, delivery.next_attempt_at
    elif pause is None:
        state, completed, due = DeliveryState.FAILED, now, delivery.next_attempt_at
    else:
        state, completed, due = DeliveryState.PENDING, None, now + pause
    version = delivery.error_status_version
    if session is not None and _changes_user(delivery, result.succeeded):
        version = _update_user_status(session, delivery, result.succeeded)
    return {
        "b_id": delivery.id,
        "state": state,
        "completed_at": completed,
        "next_attempt_at": due,
        "attempt_count": result.number,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "lease_until": None,
        "claimed_by": None,
        "error_status_version": version,
    }


def _changes_user(delivery: Sent, succeeded: bool) -> bool:
    """Whether this outcome changes the status of the delivery's user (SPEC §6): a first
    failure of a ``create_user`` delivery, or a success after one."""
    if delivery.user_id is None:
        return False
    failed_first = not succeeded and delivery.error_status_version is None
    return failed_first or (succeeded and delivery.error_status_version is not None)


def _update_user_status(session: Session, delivery: Sent, succeeded: bool) -> int | None:
    """Apply SPEC §6's status rule; returns the delivery's new ``error_status_version``."""
    # Conditional UPDATEs, not ORM loads: the user may be deleted or edited concurrently.
    if not succeeded and delivery.error_status_version is None:
        version = session.execute(
            update(User)
            .where(User.id == delivery.user_id, User.status != int(UserStatus.WebhookError))
            .values(status=int(UserStatus.WebhookError), status_version=User.status_version + 1)
            .returning(User.status_version)
        ).scalar()
        return version if version is not None else delivery.error_status_version
    if succeeded and delivery.error_status_version is not None:
        session.execute(
            update(User)
            .where(
                User.id == delivery.user_id, User.status_version == delivery.error_status_version
            )
            .values(status=int(UserStatus.OK), status_version=User.status_version + 1)
        )
        return None
    return delivery.error_status_version
