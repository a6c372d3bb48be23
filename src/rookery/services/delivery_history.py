"""Read-only views of the delivery history for the console's dashboard and delivery pages.

Invariants: nothing here writes; every time is UTC-aware; the last hour is cut into whole
minutes ending at ``now``; a receiver is the scheme, host and port of a delivery's URL (the
same key the worker's lanes use), so no credentials or paths leave through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from rookery.db.models import Attempt, Delivery
from rookery.domain.delivery_states import OPEN
from rookery.services.outbox import receiver_of

WINDOW = timedelta(hours=1)
QUEUE_SAMPLES = 13  # every five minutes over the hour, both ends included
ATTEMPT_ROWS_CAP = 200_000
UNFINISHED = tuple(sorted(OPEN))


@dataclass(frozen=True)
class MinuteOutcomes:
    """Attempts that started in one minute, by outcome."""

    start: datetime
    delivered: int
    rejected: int  # the receiver answered, but not 2xx
    unreachable: int  # no answer: connection error or time-out


@dataclass(frozen=True)
class QueuePoint:
    """Deliveries waiting (pending or being sent) at one moment, and the oldest one's age."""

    at: datetime
    depth: int
    oldest_age_seconds: float


@dataclass(frozen=True)
class ReceiverFailures:
    """One receiver's attempts over the window and how many of them failed."""

    receiver: str
    attempts: int
    failed: int

    @property
    def rate(self) -> float:
        """Failed share of attempts, 0 to 1."""
        return self.failed / self.attempts if self.attempts else 0.0


def outcomes_per_minute(session: Session, now: datetime) -> list[MinuteOutcomes]:
    """Sixty buckets, oldest first: attempts started in each minute of the last hour."""
    since = now - WINDOW
    rows = session.execute(
        select(Attempt.started_at, Attempt.status_code)
        .where(Attempt.started_at >= since)
        .limit(ATTEMPT_ROWS_CAP)
    ).all()
    counts = [[0, 0, 0] for _ in range(60)]
    for started_at, status_code in rows:
        index = min(59, int((started_at - since).total_seconds() // 60))
        if status_code is None:
            counts[index][2] += 1
        elif 200 <= status_code < 300:
            counts[index][0] += 1
        else:
            counts[index][1] += 1
    return [MinuteOutcomes(since + timedelta(minutes=i), *counts[i]) for i in range(len(counts))]


def queue_over_hour(session: Session, now: datetime) -> list[QueuePoint]:
    """Queue depth and oldest waiting age every five minutes over the last hour.

    A delivery counts as waiting at ``t`` when it was created by then and not completed by then
    (completion times of retried deliveries are their latest, so the past is an estimate).
    """
    step = WINDOW / (QUEUE_SAMPLES - 1)
    points = []
    for i in range(QUEUE_SAMPLES):
        at = now - WINDOW + step * i
        waiting = and_(
            Delivery.created_at <= at,
            or_(Delivery.completed_at.is_(None), Delivery.completed_at > at),
        )
        depth, oldest = session.execute(
            select(func.count(), func.min(Delivery.created_at)).where(waiting)
        ).one()
        age = (at - oldest).total_seconds() if oldest is not None else 0.0
        points.append(QueuePoint(at, int(depth), max(0.0, age)))
    return points


def receiver_failures(session: Session, now: datetime) -> list[ReceiverFailures]:
    """Attempts and failures per receiver over the last hour, worst rate first."""
    failed = func.sum(case((Attempt.status_code.between(200, 299), 0), else_=1))
    rows = session.execute(
        select(Delivery.url, func.count(), failed)
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .where(Attempt.started_at >= now - WINDOW)
        .group_by(Delivery.url)
    ).all()
    merged: dict[str, list[int]] = {}
    for url, attempts, failures in rows:
        totals = merged.setdefault(receiver_of(url), [0, 0])
        totals[0] += int(attempts)
        totals[1] += int(failures or 0)
    found = [ReceiverFailures(r, a, f) for r, (a, f) in merged.items()]
    return sorted(found, key=lambda r: (-r.rate, r.receiver))


def blocked_behind(session: Session, delivery_id: int) -> Delivery | None:
    """The earliest unfinished delivery of the same lane that this pending one waits for."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.state not in UNFINISHED:
        return None
    return session.scalar(
        select(Delivery)
        .where(
            Delivery.lane == delivery.lane,
            Delivery.id < delivery.id,
            Delivery.state.in_(UNFINISHED),
        )
        .order_by(Delivery.id)
        .limit(1)
    )
