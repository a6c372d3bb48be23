"""Read queries behind ``/health`` and ``/metrics``: heartbeats, queue depth, latencies.

Invariants:
- everything is computed from the tables, so every API process reports the same cluster-wide
  figures whichever process (``rookery serve`` or ``rookery worker``) did the sending;
- the attempt latency histogram counts every recorded attempt (attempts are never updated),
  so its buckets, count and sum only grow between scrapes, as Prometheus expects;
- a worker is alive when its heartbeat is younger than ``WORKER_ALIVE_SECONDS`` (workers beat
  every 2 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, case, exists, func, literal_column, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnClause

from rookery.db import queue
from rookery.db.models import Attempt, Delivery, DeliveryLane, WorkerBeat
from rookery.domain.delivery_states import OPEN

WORKER_ALIVE_SECONDS = 10.0
# Literals, so the open-lane partial index serves the "waiting behind" probe on SQLite too.
_OPEN: tuple[ColumnClause[str], ...] = tuple(literal_column(f"'{s.value}'") for s in sorted(OPEN))
LATENCY_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class WorkerStatus:
    """Whether some worker beat recently, and when the last one did."""

    alive: bool
    live_workers: int
    last_beat: datetime | None


@dataclass(frozen=True)
class QueueStatus:
    """Unfinished deliveries and the age of the oldest."""

    depth: int
    oldest_open_at: datetime | None
    oldest_age_seconds: float
    due: bool = False


@dataclass(frozen=True)
class LatencyHistogram:
    """One webhook's attempt latencies: cumulative counts per upper bound (seconds)."""

    webhook: str
    buckets: tuple[tuple[float, int], ...]
    count: int
    sum_seconds: float


def check_database(session: Session) -> None:
    """Raise if the database does not answer ``SELECT 1``."""
    session.execute(text("SELECT 1"))


def worker_status(session: Session, now: datetime) -> WorkerStatus:
    """The heartbeat summary of every worker sharing this database."""
    since = now - timedelta(seconds=WORKER_ALIVE_SECONDS)
    last = session.scalar(select(func.max(WorkerBeat.beat_at)))
    live = session.scalar(
        select(func.count()).select_from(WorkerBeat).where(WorkerBeat.beat_at >= since)
    )
    return WorkerStatus(alive=bool(live), live_workers=int(live or 0), last_beat=_aware(last))


def queue_status(session: Session, now: datetime) -> QueueStatus:
    """Depth of the queue and how long its oldest delivery has waited."""
    oldest = _aware(queue.oldest_open_created_at(session))
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    next_due = _aware(queue.next_due_time(session))
    due = next_due is not None and next_due <= now
    return QueueStatus(queue.queue_depth(session), oldest, age, due)


def blocked_heads(since: datetime) -> Select[int]:
    """Ids of the deliveries heading a blocked lane: a lane whose head has led since before
    ``since`` while another unfinished delivery waits behind it."""
    behind = aliased(Delivery)
    waiting = exists().where(
        behind.lane == DeliveryLane.lane,
        behind.id > DeliveryLane.head_id,
        behind.state.in_(_OPEN),
    )
    return select(DeliveryLane.head_id).where(DeliveryLane.head_since < since, waiting)


def blocked_lanes(session: Session, since: datetime) -> int:
    """How many lanes are blocked since before ``since`` (see :func:`blocked_heads`)."""
    heads = blocked_heads(since).subquery()
    return int(session.scalar(select(func.count()).select_from(heads)) or 0)


def deliveries_by_state(session: Session) -> list[tuple[str, str, int]]:
    """``(state, webhook name, count)`` for every combination present."""
    rows = session.execute(
        select(Delivery.state, Delivery.webhook_name, func.count())
        .group_by(Delivery.state, Delivery.webhook_name)
        .order_by(Delivery.state, Delivery.webhook_name)
    )
    return [(state, webhook, int(count)) for state, webhook, count in rows]


def attempt_latencies(session: Session) -> list[LatencyHistogram]:
    """Per-webhook latency histograms over every recorded attempt."""
    bounds = [
        func.sum(case((Attempt.latency_ms <= bound * 1000, 1), else_=0))
        for bound in LATENCY_BUCKETS_SECONDS
    ]
    rows = session.execute(
        select(
            Delivery.webhook_name,
            func.count(Attempt.id),
            func.coalesce(func.sum(Attempt.latency_ms), 0.0),
            *bounds,
        )
        .join(Delivery, Delivery.id == Attempt.delivery_id)
        .group_by(Delivery.webhook_name)
        .order_by(Delivery.webhook_name)
    )
    found = []
    for webhook, count, total_ms, *cumulative in rows:
        buckets = tuple(
            (bound, int(n or 0))
            for bound, n in zip(LATENCY_BUCKETS_SECONDS, cumulative, strict=True)
        )
        found.append(LatencyHistogram(webhook, buckets, int(count), float(total_ms) / 1000))
    return found


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
