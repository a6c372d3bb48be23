"""All SQL of the delivery queue: claim, release, finish, retry, and queue statistics.

Invariants:
- a delivery is claimed (``state = 'sending'``) by one worker at a time, under a lease;
  PostgreSQL uses ``FOR UPDATE SKIP LOCKED``, SQLite relies on its single writer
  (every transaction is ``BEGIN IMMEDIATE``) plus a conditional update;
- within a lane (receiver + subject) only the lowest open id may be claimed, so a lane's
  deliveries go out one at a time in commit order, and a waiting retry holds the lane; the
  lanes table (:mod:`rookery.db.lanes`) names each lane's head and when it is due, so a claim
  reads due lanes only (O(due lanes), whatever the backlog or the finished rows), and every
  statement here that moves a delivery in or out of ``pending``/``sending`` refreshes the
  lanes it touched in the same transaction;
- a lease that runs out returns the delivery to ``pending`` (the worker died): at-least-once;
- so does a claim whose worker's heartbeat (``worker_beats``) went silent, which is noticed
  much sooner than the lease; a claimer that never beat (``rookery webhooks test``) is left
  to its lease. A worker beats before it first claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, delete, exists, func, literal_column, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from rookery.db import lanes
from rookery.db.models import Delivery, DeliveryLane, WorkerBeat
from rookery.domain.delivery_states import FINISHED, OPEN, DeliveryState

OPEN_STATES = tuple(sorted(OPEN))
# The claim query writes states as SQL literals, not bound parameters: SQLite uses a partial
# index only when the query's WHERE visibly implies the index's (measured: 3.3 s → 0.2 ms per
# claim at 20,000 pending; docs/BENCHMARKS.md).
_PENDING: ColumnClause[str] = literal_column(f"'{DeliveryState.PENDING.value}'")


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


def claim_due(
    session: Session,
    worker_id: str,
    limit: int,
    lease: timedelta,
    now: datetime,
    skip_receivers: Sequence[str] = (),
) -> list[Delivery]:
    """Claim up to ``limit`` due deliveries that head their lane; caller commits.

    Deliveries to ``skip_receivers`` (receivers this worker already keeps busy enough) are
    left for later, so a hanging receiver cannot take every slot.
    """
    due = (
        select(DeliveryLane.lane)
        .where(
            DeliveryLane.due_at <= now,
            DeliveryLane.due_at.is_not(None),
            *((DeliveryLane.receiver.not_in(skip_receivers),) if skip_receivers else ()),
        )
        .order_by(DeliveryLane.due_at)
        .limit(limit)
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Another worker's claim holds its lanes' rows: skip them rather than wait.
        due = due.with_for_update(skip_locked=True)
    taken = (
        update(DeliveryLane)
        .where(DeliveryLane.lane.in_(due.scalar_subquery()))
        .values(due_at=None)
        .returning(DeliveryLane.head_id)
    )
    if postgres:  # one round trip: the lanes taken and their heads claimed
        heads: Any = select(taken.cte("taken").c.head_id)
    else:
        heads = session.scalars(taken.execution_options(synchronize_session=False)).all()
        if not heads:
            return []
    claimed = session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(heads), Delivery.state == _PENDING)
        .values(state=DeliveryState.SENDING, lease_until=now + lease, claimed_by=worker_id)
        .returning(Delivery)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(claimed, key=lambda d: d.id)


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
                Delivery.state == DeliveryState.SENDING,
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
