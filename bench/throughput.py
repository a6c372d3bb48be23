"""Throughput against the ceiling: drain a queued backlog into one fast receiver.

For each database and each shape (N events x 1 webhook, N/10 events x 10 webhooks) the events
are queued once through the outbox writer with no worker running (``bench.fixtures``). Each run
then puts every delivery back to ``pending`` (``rookery.db.queue.requeue``, the code behind
``rookery deliveries retry``), starts the worker — ``rookery worker`` on PostgreSQL, ``rookery
serve`` on SQLite (its worker runs in a child process, counted in the worker's CPU) — and times
the receiver's first to last arrival, until the backlog is drained or ``Plan.drain_seconds``
have passed (a sustained rate, bounded time). On PostgreSQL each run then drains the same
backlog once more with two ``rookery worker`` processes sharing the queue (the "2 / 1" figure,
with the receiver's CPU beside it, and the most the host's CPU allows: the cores' capacity over
the one-process drain's CPU use, the ratio no number of processes beats at that CPU per
delivery). In the same run the ceiling clients send the very same
requests (URL, headers, body) to the same receiver.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from bench import ceiling
from bench.figures import Figure
from bench.fixtures import queue_group_permission_events
from bench.harness import (
    Plan,
    Proc,
    database,
    host_busy_seconds,
    named_cpu_seconds,
    start_serve,
    start_worker,
    webhook,
    write_webhooks,
)
from bench.receiver import Receiver


def _engine(url: str) -> Any:
    from rookery.db.engine import make_engine

    return make_engine(url)


def _requeue(url: str) -> None:
    from sqlalchemy.orm import Session

    from rookery.db import queue
    from rookery.db.models import Attempt

    engine = _engine(url)
    with Session(engine) as session:
        session.execute(delete(Attempt))
        queue.requeue(session, None, datetime.now(UTC))
        session.commit()
    engine.dispose()


def _delivered(url: str) -> int:
    from sqlalchemy.orm import Session

    from rookery.db.models import Delivery

    engine = _engine(url)
    with Session(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")
        )
    engine.dispose()
    return int(count or 0)


def _requests(url: str) -> list[ceiling.Request]:
    from sqlalchemy.orm import Session

    from rookery.db.models import Delivery

    engine = _engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(Delivery.url, Delivery.headers, Delivery.body).order_by(Delivery.id)
        ).all()
    engine.dispose()
    return [(u, dict(h), bytes(b or b"")) for u, h, b in rows]


@dataclass(frozen=True)
class Drain:
    """One drain: its rate, and where the host's CPU went meanwhile (% of one core)."""

    rate: float  # deliveries/s from first to last arrival
    workers: float
    receiver: float
    server: float  # the PostgreSQL server's processes (0 on SQLite)
    host: float  # every process of the host, out of 100 x the number of cores


def drain(
    kind: str,
    url: str,
    hooks: Path,
    receiver: Receiver,
    expected: int,
    workdir: Path,
    window: float,
    workers: int = 1,
) -> Drain:
    """Run ``workers`` worker processes on the backlog for ``window`` s or until drained."""
    receiver.reset()
    procs: list[Proc] = []
    try:
        if kind == "sqlite":
            procs.append(start_serve(url, hooks, workdir, worker=True)[0])
        else:
            procs += [start_worker(url, hooks, workdir) for _ in range(workers)]
        first = receiver.wait_for(1, 60)
        t0, w0, r0 = time.monotonic(), _cpu(procs), receiver.proc.cpu()
        s0, h0 = named_cpu_seconds("postgres"), host_busy_seconds()
        stats = receiver.wait_for(expected, window)
        elapsed = time.monotonic() - t0
        w1, r1 = _cpu(procs), receiver.proc.cpu()
        s1, h1 = named_cpu_seconds("postgres"), host_busy_seconds()
    finally:
        for proc in procs:
            proc.stop()
    if stats["count"] < 2:
        logs = "\n".join(proc.tail(10) for proc in procs)
        print(f"    ! only {stats['count']}/{expected} arrived; worker log:\n{logs}")
    span = (stats["last_ns"] - first["first_ns"]) / 1e9
    rate = (stats["count"] - 1) / span if span > 0 else float("nan")
    return Drain(
        rate,
        100 * (w1 - w0) / elapsed,
        100 * (r1 - r0) / elapsed,
        100 * (s1 - s0) / elapsed,
        100 * (h1 - h0) / elapsed,
    )


def _cpu(procs: list[Proc]) -> float:
    return sum(proc.cpu() for proc in procs)


def _ceiling(
    client: str, receiver: Receiver, requests: list[ceiling.Request], conc: int, window: float
) -> tuple[float, float]:
    """Requests/s the bare client reaches, and the receiver's CPU % meanwhile."""
    receiver.reset()
    r0, t0 = receiver.proc.cpu(), time.monotonic()
    send = ceiling.raw_asyncio if client == "raw" else ceiling.aiohttp_client
    asyncio.run(send(requests, conc, window))
    elapsed = time.monotonic() - t0
    stats = receiver.stats()
    span = (stats["last_ns"] - stats["first_ns"]) / 1e9
    return (stats["count"] - 1) / span, 100 * (receiver.proc.cpu() - r0) / elapsed


def run(plan: Plan, kind: str, workdir: Path) -> list[Figure]:
    figures: list[Figure] = []
    receiver = Receiver(workdir)
    try:
        for hooks_n, events in ((1, plan.single_events), (plan.multi_webhooks, plan.multi_events)):
            figures += _shape(plan, kind, workdir, receiver, hooks_n, events)
    finally:
        receiver.close()
    return figures


def _shape(
    plan: Plan, kind: str, workdir: Path, receiver: Receiver, hooks_n: int, events: int
) -> list[Figure]:
    label = f"{events:,} ev x {hooks_n} wh"
    items = [
        webhook(f"h{i}", "create_group_permission", receiver.url(f"/h{i}")) for i in range(hooks_n)
    ]
    hooks = write_webhooks(workdir / f"throughput-{hooks_n}.yml", items)
    ones: list[Drain] = []
    pairs: list[Drain] = []  # two worker processes (PostgreSQL)
    raw, raw_cpu, hx = [], [], []
    with database(kind, workdir) as url:
        started = time.monotonic()
        expected = queue_group_permission_events(url, hooks, events, plan.lanes)
        print(
            f"  [{kind}] {label}: queued {expected:,} deliveries in "
            f"{time.monotonic() - started:.1f}s ({plan.lanes} lanes)"
        )
        requests = _requests(url)
        for run_no in range(plan.runs):
            if run_no:
                _requeue(url)
            one = drain(kind, url, hooks, receiver, expected, workdir, plan.drain_seconds)
            got = _delivered(url)
            ceil_raw, ceil_cpu = _ceiling("raw", receiver, requests, 64, plan.ceiling_seconds)
            ceil_hx, _ = _ceiling("aiohttp", receiver, requests, 64, plan.ceiling_seconds)
            print(
                f"    run {run_no + 1}: worker {one.rate:,.0f}/s ({_where(one)}),"
                f" {got:,} delivered; ceiling raw {ceil_raw:,.0f}/s (receiver {ceil_cpu:.0f}%),"
                f" aiohttp {ceil_hx:,.0f}/s"
            )
            if kind == "postgresql":
                # Side by side with the one-process drain above: the same backlog again.
                _requeue(url)
                two = drain(
                    kind, url, hooks, receiver, expected, workdir, plan.drain_seconds, workers=2
                )
                print(
                    f"    run {run_no + 1}: 2 worker processes {two.rate:,.0f}/s "
                    f"({_where(two)}), {two.rate / one.rate:.2f} x one"
                )
                pairs.append(two)
            ones.append(one)
            raw.append(ceil_raw)
            raw_cpu.append(ceil_cpu)
            hx.append(ceil_hx)
    rates = [d.rate for d in ones]
    figures = [
        Figure("throughput", kind, f"{label}: worker", "deliveries/s", rates),
        *_cpu_figures(kind, f"{label}:", "drain", ones),
        Figure("throughput", kind, f"{label}: ceiling, raw asyncio", "requests/s", raw),
        Figure("throughput", kind, f"{label}: receiver CPU at ceiling", "% of a core", raw_cpu),
        Figure("throughput", kind, f"{label}: ceiling, aiohttp client", "requests/s", hx),
        Figure(
            "throughput",
            kind,
            f"{label}: worker / aiohttp ceiling",
            "ratio",
            [a / b for a, b in zip(rates, hx, strict=True)],
            target=">= 0.5",
        ),
        Figure(
            "throughput",
            kind,
            f"{label}: worker / raw ceiling",
            "ratio",
            [a / b for a, b in zip(rates, raw, strict=True)],
        ),
    ]
    if len(rates) > 1:  # decay needs runs to compare (--quick has one)
        figures.append(
            Figure(
                "throughput",
                kind,
                f"{label}: worker, last run / first run",
                "ratio",
                [rates[-1] / rates[0]],
                target=">= 0.9",
            )
        )
    if pairs:
        figures += [
            Figure(
                "throughput",
                kind,
                f"{label}: 2 worker processes",
                "deliveries/s",
                [d.rate for d in pairs],
            ),
            *_cpu_figures(kind, f"{label}: 2 worker processes,", "2-process drain", pairs),
            Figure(
                "throughput",
                kind,
                f"{label}: 2 worker processes / 1",
                "ratio",
                [b.rate / a.rate for a, b in zip(ones, pairs, strict=True)],
                target=">= 1.6",
            ),
            # At the one-process drain's CPU per delivery, the host's cores all busy: what no
            # number of processes can beat on this host.
            Figure(
                "throughput",
                kind,
                f"{label}: 2 worker processes / 1, the most this host's CPU allows",
                "ratio",
                [_CORES * 100 / a.host for a in ones],
            ),
        ]
    return figures


def _where(drain: Drain) -> str:
    """Where the CPU went during a drain, for the progress line."""
    return (
        f"cpu: workers {drain.workers:.0f}%, receiver {drain.receiver:.0f}%, "
        f"postgres {drain.server:.0f}%, host {drain.host:.0f}% of {_CORES * 100}%"
    )


_CORES = os.cpu_count() or 1


def _cpu_figures(kind: str, prefix: str, during: str, drains: list[Drain]) -> list[Figure]:
    """Where the host's CPU went during ``drains``: the workers, the receiver, the database."""
    figures = [
        Figure(
            "throughput", kind, f"{prefix} worker CPU", "% of a core", [d.workers for d in drains]
        ),
        Figure(
            "throughput",
            kind,
            f"{prefix} receiver CPU during the {during}",
            "% of a core",
            [d.receiver for d in drains],
        ),
    ]
    if kind == "postgresql":
        figures.append(
            Figure(
                "throughput",
                kind,
                f"{prefix} PostgreSQL server CPU during the {during}",
                "% of a core",
                [d.server for d in drains],
            )
        )
    figures.append(
        Figure(
            "throughput",
            kind,
            f"{prefix} host CPU busy during the {during}",
            f"% of {_CORES} cores",
            [d.host / _CORES for d in drains],
        )
    )
    return figures
