"""Delivery health for ``/health`` and ``/metrics``: one snapshot, and why delivery fails.

Invariants:
- the figures come from :mod:`rookery.db.queue_stats`, read in one session;
- delivery is failing (``/health`` 503) when this process's own worker has stopped or cannot
  reach the database, or when no worker is alive while deliveries are due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rookery.db.queue_stats import (
    LATENCY_BUCKETS_SECONDS,
    WORKER_ALIVE_SECONDS,
    LatencyHistogram,
    QueueStatus,
    WorkerStatus,
    attempt_latencies,
    blocked_lanes,
    check_database,
    deliveries_by_state,
    queue_status,
    worker_status,
)
from rookery.services.context import AppContext

__all__ = [
    "LATENCY_BUCKETS_SECONDS",
    "WORKER_ALIVE_SECONDS",
    "HealthFigures",
    "InProcessWorker",
    "LatencyHistogram",
    "QueueStatus",
    "Snapshot",
    "WorkerStatus",
    "delivery_problem",
    "health_figures",
    "snapshot",
]


@dataclass(frozen=True)
class InProcessWorker:
    """This process's own worker thread: running or not, and the outage it is in, if any."""

    running: bool
    database_trouble: str | None


def delivery_problem(
    workers: WorkerStatus, queued: QueueStatus, own: InProcessWorker | None
) -> str | None:
    """Why deliveries are not going out (None when they are, or when nothing is due)."""
    if own is not None and not own.running:
        return "the in-process worker has stopped"
    if own is not None and own.database_trouble:
        return f"the in-process worker cannot use the database ({own.database_trouble})"
    if queued.due and not workers.alive:
        return f"deliveries are due and no worker beat in the last {WORKER_ALIVE_SECONDS:.0f} s"
    return None


@dataclass(frozen=True)
class Snapshot:
    """Everything ``/metrics`` exports, read at one moment."""

    workers: WorkerStatus
    queue: QueueStatus
    by_state: list[tuple[str, str, int]]
    latencies: list[LatencyHistogram]
    # Lanes whose head has not moved for ROOKERY_LANE_BLOCKED_SECONDS with deliveries behind.
    blocked_lanes: int = 0


def snapshot(app: AppContext) -> Snapshot:
    """Read every figure in one session."""
    now = datetime.now(UTC)
    blocked_since = now - timedelta(seconds=app.settings.lane_blocked_seconds)
    with app.session() as session:
        return Snapshot(
            workers=worker_status(session, now),
            queue=queue_status(session, now),
            by_state=deliveries_by_state(session),
            latencies=attempt_latencies(session),
            blocked_lanes=blocked_lanes(session, blocked_since),
        )


@dataclass(frozen=True)
class HealthFigures:
    """What ``/health`` reports: heartbeats, the queue and why delivery fails (if it does)."""

    workers: WorkerStatus
    queue: QueueStatus
    problem: str | None


def health_figures(app: AppContext, own: InProcessWorker | None) -> HealthFigures:
    """Check the database answers, then read the heartbeat and queue figures (raises if not)."""
    now = datetime.now(UTC)
    with app.read_session() as session:
        check_database(session)
        workers = worker_status(session, now)
        queued = queue_status(session, now)
    return HealthFigures(workers, queued, delivery_problem(workers, queued, own))
