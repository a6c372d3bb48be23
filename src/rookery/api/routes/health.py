"""``/health`` and ``/metrics``: public, for load balancers, orchestrators and Prometheus.

Both are public, as exporters and health probes usually are: they reveal counts, webhook
names and ages, never a URL, header, payload or user. ``/health`` is 503 when the database
does not answer, when this process's own worker has stopped or cannot reach the database, or
when deliveries are due and no worker anywhere has beaten lately (``stats.delivery_problem``),
so a liveness probe restarts what is stuck; 200 otherwise. ``/metrics`` builds a fresh registry per
scrape from the database, so every process reports the same cluster-wide figures and no
global collector state leaks between apps or tests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from rookery.api.auth import rookery
from rookery.api.responses import respond
from rookery.services import delivery_metrics as stats
from rookery.services.context import AppContext

LOG = logging.getLogger("rookery.api")

router = APIRouter(tags=["health"])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def own_worker(request: Request) -> stats.InProcessWorker | None:
    """This process's worker thread, when it runs one (set by the worker's lifespan)."""
    probe = getattr(request.app.state, "worker_probe", None)
    return probe() if probe is not None else None


def health_report(app: AppContext, own: stats.InProcessWorker | None) -> dict[str, Any]:
    """Database, worker heartbeat and queue figures (raises when the database fails)."""
    figures = stats.health_figures(app, own)
    workers, queued, problem = figures.workers, figures.queue, figures.problem
    return {
        "status": "failing" if problem else "ok" if workers.alive else "degraded",
        "problem": problem,
        "database": {"reachable": True, "dialect": app.engine.dialect.name},
        "worker": {
            "alive": workers.alive,
            "live_workers": workers.live_workers,
            "last_beat": _iso(workers.last_beat),
            "in_process": app.settings.run_worker,
            "in_process_running": own.running if own is not None else None,
            "in_process_database_trouble": own.database_trouble if own is not None else None,
        },
        "queue": {
            "depth": queued.depth,
            "oldest_pending_at": _iso(queued.oldest_open_at),
            "oldest_pending_age_seconds": round(queued.oldest_age_seconds, 3),
            "due": queued.due,
        },
    }


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """200 when the database answers and deliveries can go out (with figures), else 503."""
    app = rookery(request)
    try:
        report = await run_in_threadpool(health_report, app, own_worker(request))
    except Exception as error:  # any failure to reach the database is the answer, not a 500
        LOG.warning("health check: database unreachable: %s", error)
        return respond(
            503,
            "database unreachable",
            status="unavailable",
            database={"reachable": False, "error": type(error).__name__},
        )
    if report["problem"]:
        return respond(503, f"delivery is failing: {report['problem']}", **report)
    detail = "healthy" if report["worker"]["alive"] else "healthy, but no worker is alive"
    return respond(200, detail, **report)


class SnapshotCollector(Collector):
    """Exposes one database snapshot as Prometheus metric families."""

    def __init__(self, snapshot: stats.Snapshot, own: stats.InProcessWorker | None) -> None:
        self.snapshot = snapshot
        self.own = own

    def collect(self) -> Iterator[Metric]:
        """The metric families of the snapshot."""
        snap = self.snapshot
        by_state = GaugeMetricFamily(
            "rookery_deliveries_total",
            "Deliveries currently in each state, per webhook.",
            labels=["state", "webhook"],
        )
        for state, webhook, count in snap.by_state:
            by_state.add_metric([state, webhook], count)
        yield by_state
        yield GaugeMetricFamily(
            "rookery_queue_depth", "Deliveries not finished yet.", value=snap.queue.depth
        )
        yield GaugeMetricFamily(
            "rookery_oldest_pending_seconds",
            "Age of the oldest unfinished delivery (0 when none).",
            value=snap.queue.oldest_age_seconds,
        )
        yield GaugeMetricFamily(
            "rookery_delivery_lanes_blocked",
            "Lanes (receiver and subject) whose first unfinished delivery has held the "
            "deliveries behind it for longer than ROOKERY_LANE_BLOCKED_SECONDS.",
            value=snap.blocked_lanes,
        )
        yield GaugeMetricFamily(
            "rookery_workers_alive",
            f"Workers with a heartbeat in the last {stats.WORKER_ALIVE_SECONDS:.0f} seconds.",
            value=snap.workers.live_workers,
        )
        problem = stats.delivery_problem(snap.workers, snap.queue, self.own)
        yield GaugeMetricFamily(
            "rookery_delivery_up",
            "1 when deliveries can go out (the same verdict as GET /health), else 0.",
            value=0 if problem else 1,
        )
        if self.own is not None:
            yield GaugeMetricFamily(
                "rookery_worker_alive",
                "1 when this process's own worker runs and reaches the database, else 0.",
                value=int(self.own.running and not self.own.database_trouble),
            )
        yield _latency_family(snap.latencies)


def _latency_family(histograms: list[stats.LatencyHistogram]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "rookery_attempt_latency_seconds",
        "Time from sending a delivery attempt to its answer (or failure).",
        labels=["webhook"],
    )
    for item in histograms:
        buckets = [(repr(bound), count) for bound, count in item.buckets]
        buckets.append(("+Inf", item.count))
        family.add_metric([item.webhook], buckets, item.sum_seconds)
    return family


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition of delivery figures (503 when the database fails)."""
    app = rookery(request)
    try:
        snap = await run_in_threadpool(stats.snapshot, app)
    except Exception as error:  # the scrape fails visibly; Prometheus marks the target down
        LOG.warning("metrics: database unreachable: %s", error)
        return Response("database unreachable\n", status_code=503, media_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snap, own_worker(request)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
