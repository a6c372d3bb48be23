"""All SQL of the delivery queue: claim, release, finish, retry, and queue statistics.

Invariants:
- a delivery is claimed (``state = 'sending'``) by one worker at a time, under a lease;
  PostgreSQL uses ``FOR UPDATE SKIP LOCKED``, SQLite relies on its single writer
  (every transaction is ``BEGIN IMMEDIATE``) plus a conditional update;
- within a lane (receiver + subject) a claim starts at the lowest open id and takes a *run*:
  that head and the deliveries right behind it that are pending and due, without a gap, up
  to a depth; a lane with a claimed delivery is not due, so no other claim takes any of it.
  The claimer sends the run one at a time in id order (:mod:`rookery.delivery.runs`), so a
  lane's deliveries go out one at a time in commit order, and a waiting retry holds the
  lane; the lanes table (:mod:`rookery.db.lanes`) names each lane's head and when it is
  due, so a claim reads due lanes only (O(due lanes), whatever the backlog or the finished
  rows), and every statement here that moves a delivery in or out of ``pending`` or
  ``sending`` refreshes the lanes it touched in the same transaction;
- a lease that runs out returns the delivery to ``pending`` (the worker died): at-least-once;
- so does a claim whose worker's heartbeat (``worker_beats``) went silent, which is noticed
  much sooner than the lease; a claimer that never beat (``rookery webhooks test``) is left
  to its lease. A worker beats before it first claims.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import (
    Row,
    String,
    Table,
    and_,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from rookery.db import lanes
from rookery.db.models import Delivery, DeliveryLane, UTCDateTime, WorkerBeat
from rookery.db.shared_json import decode_shared
from rookery.domain.delivery_states import FINISHED, OPEN, DeliveryState

OPEN_STATES = tuple(sorted(OPEN))


def release_expired_leases(session: Session, now: datetime) -> int:
    """Return deliveries whose worker stopped renewing its lease to the queue."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, Delivery.lease_until < now)
        .values(state=DeliveryState.PENDING, lease_until=None, claimed_by=None)
        .returning(Delivery.lane, Delivery.receiver)
        .execution_options(synchronize_session=False)
    )
    return _refresh_returned(session, result.all(), now)


def beat(session: Session, worker_id: str, now: datetime) -> None:
    """Record that ``worker_id`` is alive at ``now``; caller commits."""
    row = session.get(WorkerBeat, worker_id)
    if row is None:
        session.add(WorkerBeat(worker_id=worker_id, beat_at=now))
    else:
        row.beat_at = now


def release_claims_of_silent_workers(
    session: Session, silent_since: datetime, now: datetime | None = None
) -> int:
    """Return to the queue what workers whose last beat is older than ``silent_since`` hold."""
    silent = exists().where(
        WorkerBeat.worker_id == Delivery.claimed_by, WorkerBeat.beat_at < silent_since
    )
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, silent)
        .values(state=DeliveryState.PENDING, lease_until=None, claimed_by=None)
        .returning(Delivery.lane, Delivery.receiver)
        .execution_options(synchronize_session=False)
    )
    return _refresh_returned(session, result.all(), now)


def release_own_claims(
    session: Session, worker_id: str, keep: Sequence[int], now: datetime | None = None
) -> int:
    """Return to the queue what ``worker_id`` holds beyond ``keep`` (claims it never learnt of)."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.state == DeliveryState.SENDING,
            Delivery.claimed_by == worker_id,
            Delivery.id.not_in(keep),
        )
        .values(state=DeliveryState.PENDING, lease_until=None, claimed_by=None)
        .returning(Delivery.lane, Delivery.receiver)
        .execution_options(synchronize_session=False)
    )
    return _refresh_returned(session, result.all(), now)


def forget_workers(session: Session, silent_since: datetime, *worker_ids: str) -> None:
    """Delete the beats of ``worker_ids`` and of workers silent since ``silent_since``."""
    condition = WorkerBeat.beat_at < silent_since
    if worker_ids:
        condition = condition | WorkerBeat.worker_id.in_(worker_ids)
    session.execute(
        delete(WorkerBeat).where(condition).execution_options(synchronize_session=False)
    )


def release_all_claims(session: Session, now: datetime | None = None) -> int:
    """Return every claimed delivery to the queue (SQLite: the only worker is starting)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING)
        .values(state=DeliveryState.PENDING, lease_until=None, claimed_by=None)
        .returning(Delivery.lane, Delivery.receiver)
        .execution_options(synchronize_session=False)
    )
    return _refresh_returned(session, result.all(), now)


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """What a worker needs of a delivery it claimed: a plain value, no ORM state behind it."""

    id: int
    uid: str
    event_id: str
    action: str
    webhook_name: str
    webhook_key: str
    lane: str
    receiver: str
    attempt_count: int
    next_attempt_at: datetime
    claimed_by: str | None
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None
    timeout_seconds: float
    retry_schedule: Sequence[float]
    user_id: int | None
    error_status_version: int | None

    @classmethod
    def of(cls, delivery: Delivery) -> ClaimedDelivery:
        """The value of an ORM row (``rookery webhooks test`` claims one through the ORM)."""
        return cls(**{name: getattr(delivery, name) for name in _CLAIMED_COLUMNS})


_CLAIMED_COLUMNS = tuple(f.name for f in fields(ClaimedDelivery))
_DUE = _CLAIMED_COLUMNS.index("next_attempt_at")
_HEADERS = _CLAIMED_COLUMNS.index("headers")
_BY_ID = attrgetter("id")
_SCHEDULE = _CLAIMED_COLUMNS.index("retry_schedule")
_DELIVERIES = cast(Table, Delivery.__table__)
_RETURNED = ", ".join(_CLAIMED_COLUMNS)
_TYPED = tuple(_DELIVERIES.c[name] for name in _CLAIMED_COLUMNS)
# SQLite's claim reads its time and JSON columns as the stored text, and
# :func:`claimed_from_sqlite` converts them: SQLAlchemy's processors parsed each time with a
# regular expression and decoded each JSON text anew (docs/BENCHMARKS.md, issue 10,
# fourteenth pass).
_RAW = {"next_attempt_at", "headers", "retry_schedule"}
_TEXTS = tuple(
    column(name, String) if name in _RAW else _DELIVERIES.c[name] for name in _CLAIMED_COLUMNS
)
_TIMES = (bindparam("now", type_=UTCDateTime), bindparam("until", type_=UTCDateTime))
# Built once: the claim runs after every recorded batch, and building and compiling the
# ORM statement each time was ~40 % of a claim (docs/BENCHMARKS.md, issue 12 profile).
# States are SQL literals: SQLite uses a partial index only when the WHERE visibly implies it.
# Rows the caller names by id are found by primary key: their state test is written
# ``(state = '...') IS TRUE`` so that PostgreSQL cannot take it for the predicate of a
# partial index (``ix_deliveries_open_lane``, ``ix_deliveries_lease``; until migration 0008,
# ``ix_deliveries_due``). Without column statistics
# (a new or never-analysed table, autovacuum off) the planner guesses that few rows are in
# that state and reads every such row, live or dead, through the index instead: a claim cost
# 3-30 ms at 4,000-16,000 pending, O(backlog) (docs/BENCHMARKS.md, "Claims that read the
# whole backlog").
CLAIM_POSTGRESQL = (
    text(
        f"""
        WITH due AS (
            SELECT lane FROM delivery_lanes
            WHERE due_at <= :now AND due_at IS NOT NULL
              AND NOT (receiver = ANY(CAST(:skip AS text[])))
            ORDER BY due_at LIMIT :limit
            FOR UPDATE SKIP LOCKED
        ), taken AS (
            UPDATE delivery_lanes SET due_at = NULL
            WHERE lane IN (SELECT lane FROM due) RETURNING lane
        ), runs AS (
            SELECT r.id FROM taken CROSS JOIN LATERAL (
                SELECT w.id FROM (
                    SELECT o.id, bool_and(o.state = 'pending' AND o.next_attempt_at <= :now)
                                 OVER (ORDER BY o.id) AS ready
                    FROM (
                        SELECT d.id, d.state, d.next_attempt_at FROM deliveries AS d
                        WHERE d.lane = taken.lane AND d.state IN ('pending', 'sending')
                        ORDER BY d.id LIMIT :depth
                    ) AS o
                ) AS w WHERE w.ready
            ) AS r
        )
        UPDATE deliveries SET state = 'sending', lease_until = :until, claimed_by = :worker
        WHERE id IN (SELECT id FROM runs) AND (state = 'pending') IS TRUE
        RETURNING {_RETURNED}
        """  # noqa: S608 -- the f-string inserts the model's column names, never input
    )
    .bindparams(*_TIMES)
    .columns(*_TYPED)
)
# SQLite's claim, as the driver takes it too (:mod:`rookery.db.sqlite_turns`).
TAKE_LANES_SQLITE_SQL = """
    UPDATE delivery_lanes SET due_at = NULL
    WHERE lane IN (
        SELECT lane FROM delivery_lanes
        WHERE due_at <= :now AND due_at IS NOT NULL
          AND receiver NOT IN (SELECT value FROM json_each(:skip))
        ORDER BY due_at LIMIT :limit
    )
    RETURNING lane
    """
# Each taken lane's first ``depth`` open deliveries, as far as each is pending and due (a
# running minimum over the lane: the run stops at its first delivery that is not).
CLAIM_RUNS_SQLITE_SQL = f"""
    UPDATE deliveries SET state = 'sending', lease_until = :until, claimed_by = :worker
    WHERE id IN (
        SELECT id FROM (
            SELECT d.id,
                   min(d.state = 'pending' AND d.next_attempt_at <= :now)
                       OVER (PARTITION BY d.lane ORDER BY d.id) AS ready
            FROM json_each(:lanes) AS l JOIN deliveries AS d ON d.id IN (
                SELECT i.id FROM deliveries AS i
                WHERE i.lane = l.value AND i.state IN ('pending', 'sending')
                ORDER BY i.id LIMIT :depth
            )
        ) WHERE ready
    ) AND state = 'pending'
    RETURNING {_RETURNED}
    """  # noqa: S608 -- the f-string inserts the model's column names, never input
TAKE_LANES_SQLITE = text(TAKE_LANES_SQLITE_SQL).bindparams(_TIMES[0])
CLAIM_RUNS_SQLITE = text(CLAIM_RUNS_SQLITE_SQL).bindparams(*_TIMES).columns(*_TEXTS)


# Built once: the outbox writes every event's deliveries with it (docs/BENCHMARKS.md,
# "Deliveries written without the ORM"); ids come back in the order of the rows given.
_INSERT = insert(_DELIVERIES).returning(_DELIVERIES.c.id, sort_by_parameter_order=True)


def insert_deliveries(
    session: Session, rows: Sequence[dict[str, Any]]
) -> list[lanes.OpenedDelivery]:
    """Write new ``pending`` deliveries (their columns in ``rows``) in one statement; caller
    commits. Their lanes' rows are the caller's (:func:`rookery.db.lanes.open_heads`)."""
    ids = session.connection().execute(_INSERT, list(rows)).scalars().all()
    return [
        lanes.OpenedDelivery(delivery_id, row["lane"], row["receiver"], row["next_attempt_at"])
        for delivery_id, row in zip(ids, rows, strict=True)
    ]


def hold(session: Session, delivery_id: int, worker_id: str, lease_until: datetime) -> None:
    """Claim, for ``worker_id``, a delivery this transaction wrote ``pending``; caller commits
    (and refreshes its lane)."""
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.SENDING, claimed_by=worker_id, lease_until=lease_until)
    )


def claim_due(
    session: Session,
    worker_id: str,
    limit: int,
    lease: timedelta,
    now: datetime,
    skip_receivers: Sequence[str] = (),
    depth: int = 1,
) -> list[ClaimedDelivery]:
    """Claim the runs of up to ``limit`` due lanes; caller commits. Sorted by id.

    A lane's *run* is its head and the deliveries right behind it, up to ``depth`` in all,
    as far as each is ``pending`` and due: the claimer sends them one after another, each
    once the one before it is finished (:func:`rookery.delivery.runs.run_goes_on`), and
    gives back what it did not send (:func:`release_unsent`). With ``depth`` 1 a claim takes
    heads only. Lanes to ``skip_receivers`` (receivers this worker already keeps busy
    enough) are left for later, so a hanging receiver cannot take every slot. PostgreSQL:
    one statement (``FOR UPDATE SKIP LOCKED`` on the due lanes' rows, so concurrent claimers
    never take a lane twice); SQLite: two, inside the one writer's transaction.
    """
    if limit <= 0:
        return []
    connection = session.connection()
    params = claim_params(worker_id, limit, lease, now, skip_receivers, depth)
    if connection.dialect.name == "postgresql":
        rows = connection.execute(CLAIM_POSTGRESQL, params)
    else:
        params["skip"] = json.dumps(params["skip"])
        taken = connection.execute(TAKE_LANES_SQLITE, params).scalars().all()
        if not taken:
            return []
        rows = connection.execute(CLAIM_RUNS_SQLITE, {**params, "lanes": json.dumps(taken)})
        return sorted((claimed_from_sqlite(row) for row in rows), key=_BY_ID)
    return sorted((ClaimedDelivery(*row) for row in rows), key=_BY_ID)


def claim_params(
    worker_id: str,
    limit: int,
    lease: timedelta,
    now: datetime,
    skip: Sequence[str],
    depth: int = 1,
) -> dict[str, Any]:
    """The parameters of the claim statements."""
    return {
        "now": now,
        "until": now + lease,
        "worker": worker_id,
        "limit": limit,
        "skip": list(skip),
        "depth": max(1, depth),
    }


def claimed_from_sqlite(row: Sequence[Any]) -> ClaimedDelivery:
    """A claimed row of :data:`CLAIM_RUNS_SQLITE` (its time and JSON columns as text)."""
    values = list(row)
    values[_DUE] = datetime.fromisoformat(values[_DUE]).replace(tzinfo=UTC)
    values[_HEADERS] = decode_shared(values[_HEADERS])
    values[_SCHEDULE] = decode_shared(values[_SCHEDULE])
    return ClaimedDelivery(*values)


def claimed_from_driver(row: Sequence[Any]) -> ClaimedDelivery:
    """A claimed row as psycopg returns it (JSON decoded; times in the session's zone)."""
    values = list(row)
    values[_DUE] = values[_DUE].astimezone(UTC)
    return ClaimedDelivery(*values)


def renew_leases(session: Session, worker_id: str, ids: Sequence[int], until: datetime) -> None:
    """Extend the leases of deliveries this worker is still sending.

    Rows locked by another transaction are skipped, not waited for: the lock is this
    worker's own outcome being recorded (the lease no longer matters), and waiting for it
    while holding the rows renewed so far deadlocked with that recording transaction, which
    locks the same rows in its own order (PostgreSQL aborted one of the two after 1 s).
    """
    if ids:
        mine = (
            select(Delivery.id)
            .where(
                Delivery.id.in_(ids),
                Delivery.claimed_by == worker_id,
                # IS TRUE: by primary key, not through ix_deliveries_lease (see above).
                (Delivery.state == DeliveryState.SENDING).is_(True),
            )
            .with_for_update(skip_locked=True)
        )
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(mine.scalar_subquery()))
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )


def next_due_time(session: Session) -> datetime | None:
    """When the earliest lane head becomes due (None when no head is pending)."""
    return session.scalar(select(func.min(DeliveryLane.due_at)))


def queue_depth(session: Session) -> int:
    """How many deliveries are not finished."""
    return int(
        session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state.in_(OPEN_STATES))
        )
        or 0
    )


def oldest_open_created_at(session: Session) -> datetime | None:
    """Creation time of the oldest unfinished delivery."""
    return session.scalar(
        select(func.min(Delivery.created_at)).where(Delivery.state.in_(OPEN_STATES))
    )


def requeue(session: Session, ids: Sequence[int] | None, now: datetime, *conditions: object) -> int:
    """Put finished deliveries back in the queue for one more attempt now."""
    query = update(Delivery).where(Delivery.state.in_(sorted(FINISHED)))
    if ids is not None:
        query = query.where(Delivery.id.in_(ids))
    if conditions:
        query = query.where(and_(*conditions))  # type: ignore[arg-type]
    result = session.execute(
        query.values(
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            completed_at=None,
            lease_until=None,
            claimed_by=None,
        )
        .returning(Delivery.lane, Delivery.receiver)
        .execution_options(synchronize_session=False)
    )
    return _refresh_returned(session, result.all(), now)


def _refresh_returned(session: Session, rows: Sequence[Row[str, str]], now: datetime | None) -> int:
    """Refresh the lanes of the ``(lane, receiver)`` rows a statement returned; count them."""
    touched: dict[str, str] = {row[0]: row[1] for row in rows}
    lanes.refresh(session, touched, now or datetime.now(UTC))
    return len(rows)


def release_unsent(
    session: Session, worker_id: str, ids: Sequence[int], now: datetime | None = None
) -> int:
    """Give back deliveries ``worker_id`` claimed and did not send (the rest of a lane's run
    after an attempt that will be retried, or when the worker stops); caller commits."""
    if not ids:
        return 0
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(ids),
            Delivery.claimed_by == worker_id,
            # IS TRUE: by primary key, not through ix_deliveries_lease (see CLAIM_POSTGRESQL).
            (Delivery.state == DeliveryState.SENDING).is_(True),
        )
        .values(state=DeliveryState.PENDING, lease_until=None, claimed_by=None)
        .returning(Delivery.lane, Delivery.receiver)
        .execution_options(synchronize_session=False)
    )
    return _refresh_returned(session, result.all(), now)
