"""Latency: API response → arrival at a local receiver, at a low rate.

One client creates and deletes the permission ``read`` of one group on one service, one call
at a time with a short pause between calls; two webhooks (create_group_permission →
``/create``, delete_group_permission → ``/delete``) make every call one delivery. All events
are about one group, so they share a lane and arrive in commit order: the i-th arrival
belongs to the i-th response (checked by path). Latency = arrival time at the receiver minus
the moment the client had the API response, both ``time.monotonic_ns`` (CLOCK_MONOTONIC, one
clock for every process on the host). A negative value means the delivery arrived before
the response reached the client.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.figures import Figure
from bench.fixtures import SERVICE, ApiSetup
from bench.harness import (
    Plan,
    Proc,
    database,
    percentile,
    start_serve,
    start_worker,
    webhook,
    write_webhooks,
)
from bench.receiver import Receiver

GROUP = "latency"
WARMUP_CALLS = 20


def _calls(api: ApiSetup, count: int, gap: float) -> list[tuple[int, str]]:
    """Alternate create/delete ``count`` times; (response time ns, expected path) each."""
    path = f"/groups/{GROUP}/services/{SERVICE}/permissions"
    done: list[tuple[int, str]] = []
    for i in range(count):
        if i % 2 == 0:
            response = api.client.post(path, json={"permission": "read"})
            expected = "/create"
        else:
            response = api.client.delete(f"{path}/read")
            expected = "/delete"
        done.append((time.monotonic_ns(), expected))
        assert response.status_code in (200, 201), response.text
        time.sleep(gap)
    return done


def _one_run(api: ApiSetup, receiver: Receiver, plan: Plan) -> list[float]:
    receiver.reset()
    sent = _calls(api, plan.latency_events, plan.latency_gap_s)
    receiver.wait_for(len(sent), 60, stall=15)
    arrivals = receiver.arrivals()
    if len(arrivals) != len(sent):
        print(f"    ! {len(arrivals)} arrivals for {len(sent)} calls")
    latencies = []
    for (responded, expected), (arrived, path) in zip(sent, arrivals, strict=False):
        if path != expected:
            print(f"    ! arrival order differs from call order ({path} for {expected})")
            break
        latencies.append((arrived - responded) / 1e6)
    return latencies


def run(plan: Plan, kind: str, workdir: Path, *, separate_worker: bool = False) -> list[Figure]:
    mode = "serve + worker process" if separate_worker else "serve with its worker"
    receiver = Receiver(workdir)
    hooks = write_webhooks(
        workdir / "latency.yml",
        [
            webhook("create", "create_group_permission", receiver.url("/create")),
            webhook("delete", "delete_group_permission", receiver.url("/delete")),
        ],
    )
    p50, p95, p99, worst, rates = [], [], [], [], []
    procs: list[Proc] = []
    try:
        with database(kind, workdir) as url:
            serve, base = start_serve(url, hooks, workdir, worker=not separate_worker)
            procs.append(serve)
            if separate_worker:
                procs.append(start_worker(url, hooks, workdir))
            api = ApiSetup(base)
            api.service()
            api.group(GROUP)
            _calls(api, WARMUP_CALLS, plan.latency_gap_s)
            receiver.wait_for(WARMUP_CALLS, 30, stall=10)
            for run_no in range(plan.runs):
                started = time.monotonic()
                lat = _one_run(api, receiver, plan)
                rate = len(lat) / (time.monotonic() - started)
                p50.append(percentile(lat, 50))
                p95.append(percentile(lat, 95))
                p99.append(percentile(lat, 99))
                worst.append(max(lat))
                rates.append(rate)
                print(
                    f"  [{kind}, {mode}] run {run_no + 1}: {len(lat)} events at {rate:.0f}/s: "
                    f"p50 {p50[-1]:.1f} ms, p95 {p95[-1]:.1f} ms, p99 {p99[-1]:.1f} ms, "
                    f"max {worst[-1]:.1f} ms"
                )
            api.close()
            for proc in reversed(procs):
                proc.stop()
    finally:
        for proc in procs:
            proc.stop()
        receiver.close()
    name = f"{mode}, {plan.latency_events} events"
    return [
        Figure("latency", kind, f"{name}: p50", "ms", p50),
        Figure("latency", kind, f"{name}: p95", "ms", p95),
        Figure("latency", kind, f"{name}: p99", "ms", p99, target="<= 20"),
        Figure("latency", kind, f"{name}: max", "ms", worst),
        Figure("latency", kind, f"{name}: event rate", "events/s", rates),
    ]
