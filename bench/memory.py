"""Memory: peak RSS (``VmHWM``) of the service and of a worker with a large pending backlog.

``Plan.memory_pending`` due deliveries are bulk-inserted (as in ``bench.outbox_scaling``, but
addressed to a live receiver and to a configured webhook), then:
- PostgreSQL: ``rookery worker`` sends for ``Plan.memory_seconds`` (or until drained); then
  ``rookery serve --no-worker`` takes ``Plan.api_clients`` clients of API writes as long;
- SQLite: ``rookery serve`` does both (its API and its worker in two child processes; the
  figure is the larger peak of the two).
The figure is the process's peak RSS read from ``/proc/PID/status`` just before it is stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench import api_writes, outbox_scaling
from bench.figures import Figure
from bench.fixtures import ApiSetup
from bench.harness import Plan, Proc, database, start_serve, start_worker, webhook, write_webhooks
from bench.receiver import Receiver


def _backlog(url: str, hooks: Path, receiver: Receiver, pending: int) -> None:
    from rookery.webhooks.config import load_webhooks
    from rookery.webhooks.registry import webhook_key

    engine = outbox_scaling.prepare(url)
    outbox_scaling.insert_pending(engine, 1, pending, outbox_scaling.LANES)
    key = webhook_key(load_webhooks(hooks)[0])
    with Session(engine) as session:
        session.execute(
            text("UPDATE deliveries SET url = :u, webhook_key = :k, webhook_name = 'h'"),
            {"u": receiver.url("/h"), "k": key},
        )
        session.commit()
    engine.dispose()


def _watch(proc: Proc, receiver: Receiver, pending: int, seconds: float) -> tuple[float, int]:
    """Let ``proc`` work, then (peak RSS MB, deliveries arrived)."""
    stats = receiver.wait_for(pending, seconds, stall=seconds)
    return proc.peak_rss_mb(), int(stats["count"])


def run(plan: Plan, kind: str, workdir: Path) -> list[Figure]:
    worker_mb, serve_mb, sent = [], [], []
    receiver = Receiver(workdir)
    hooks = write_webhooks(
        workdir / "memory.yml", [webhook("h", "create_group_permission", receiver.url("/h"))]
    )
    try:
        for run_no in range(plan.runs):
            receiver.reset()
            with database(kind, workdir) as url:
                _backlog(url, hooks, receiver, plan.memory_pending)
                if kind == "postgresql":
                    worker = start_worker(url, hooks, workdir)
                    try:
                        peak, count = _watch(
                            worker, receiver, plan.memory_pending, plan.memory_seconds
                        )
                    finally:
                        worker.stop()
                    worker_mb.append(peak)
                    sent.append(count)
                serve, base = start_serve(url, hooks, workdir, worker=kind == "sqlite")
                try:
                    api = ApiSetup(base)
                    api.service()
                    for i in range(plan.api_clients):
                        api.group(f"w{i}")
                    api.close()
                    started = time.monotonic()
                    api_writes.measure(base, plan.api_clients, plan.memory_seconds)
                    if kind == "sqlite":
                        sent.append(receiver.stats()["count"])
                    serve_mb.append(serve.peak_rss_mb())
                    elapsed = time.monotonic() - started
                finally:
                    serve.stop()
            print(
                f"  [{kind}] run {run_no + 1}: {plan.memory_pending:,} pending; "
                + (f"worker peak {worker_mb[-1]:.0f} MB, " if worker_mb else "")
                + f"serve peak {serve_mb[-1]:.0f} MB after {elapsed:.0f}s of API writes; "
                f"{sent[-1]:,} deliveries sent meanwhile"
            )
    finally:
        receiver.close()
    pending = f"{plan.memory_pending:,} pending"
    figures = []
    if worker_mb:
        figures.append(
            Figure(
                "memory",
                kind,
                f"rookery worker, {pending}",
                "MB peak RSS",
                worker_mb,
                target="<= 150",
            )
        )
    label = "rookery serve --no-worker" if kind == "postgresql" else "rookery serve (worker in)"
    figures.append(
        Figure("memory", kind, f"{label}, {pending}, API writes", "MB peak RSS", serve_mb)
    )
    figures.append(Figure("memory", kind, "deliveries sent during the window", "count", sent))
    return figures
