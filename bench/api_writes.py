"""API write throughput: permission create+delete cycles/s through the REST API.

``Plan.api_clients`` clients (threads, each with its own keep-alive ``httpx.Client`` and its
own group, so they never conflict) repeat POST then DELETE of a group permission for
``Plan.api_seconds``. Once with one webhook configured (create_group_permission → a live
receiver, so the in-process worker delivers meanwhile) and once with none.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from bench.figures import Figure
from bench.fixtures import SERVICE, ApiSetup
from bench.harness import Plan, admin_cookies, database, percentile, start_serve, webhook
from bench.harness import write_webhooks as write_hooks
from bench.receiver import Receiver


def _client_loop(base: str, group: str, until: float, out: list[float]) -> None:
    path = f"/groups/{group}/services/{SERVICE}/permissions"
    with httpx.Client(base_url=base, cookies=admin_cookies(base), timeout=30) as client:
        while time.monotonic() < until:
            started = time.monotonic()
            created = client.post(path, json={"permission": "read"})
            deleted = client.delete(f"{path}/read")
            if created.status_code != 201 or deleted.status_code != 200:
                raise RuntimeError(f"{created.status_code} {deleted.status_code} {created.text}")
            out.append(time.monotonic() - started)


def measure(base: str, clients: int, seconds: float) -> tuple[float, float]:
    """(cycles/s, p99 cycle time in ms) for ``clients`` concurrent clients."""
    until = time.monotonic() + seconds
    samples: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=_client_loop, args=(base, f"w{i}", until, samples[i]))
        for i in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - started
    cycles = [s for per in samples for s in per]
    return len(cycles) / elapsed, percentile(cycles, 99) * 1000


def run(plan: Plan, kind: str, workdir: Path) -> list[Figure]:
    figures: list[Figure] = []
    receiver = Receiver(workdir)
    try:
        for with_hook in (True, False):
            label = "1 webhook" if with_hook else "no webhook"
            items = [webhook("h", "create_group_permission", receiver.url("/h"))]
            hooks = write_hooks(workdir / "api.yml", items) if with_hook else None
            rates, p99s, serve_cpu = [], [], []
            with database(kind, workdir) as url:
                serve, base = start_serve(url, hooks, workdir, worker=True)
                try:
                    api = ApiSetup(base)
                    api.service()
                    for i in range(plan.api_clients):
                        api.group(f"w{i}")
                    api.close()
                    measure(base, plan.api_clients, 1.0)  # warm-up
                    for run_no in range(plan.runs):
                        receiver.reset()
                        c0, t0 = serve.cpu(), time.monotonic()
                        rate, p99 = measure(base, plan.api_clients, plan.api_seconds)
                        cpu = 100 * (serve.cpu() - c0) / (time.monotonic() - t0)
                        arrived = receiver.stats()["count"]
                        print(
                            f"  [{kind}, {label}] run {run_no + 1}: {rate:.0f} cycles/s, "
                            f"p99 cycle {p99:.0f} ms, serve CPU {cpu:.0f}%, "
                            f"{arrived} deliveries arrived meanwhile"
                        )
                        rates.append(rate)
                        p99s.append(p99)
                        serve_cpu.append(cpu)
                finally:
                    serve.stop()
            name = f"{plan.api_clients} clients, {label}"
            figures += [
                Figure("api writes", kind, f"{name}: create+delete", "cycles/s", rates),
                Figure("api writes", kind, f"{name}: p99 cycle", "ms", p99s),
                Figure("api writes", kind, f"{name}: serve CPU", "% of a core", serve_cpu),
            ]
    finally:
        receiver.close()
    with_rate, without_rate = figures[0].value, figures[3].value
    figures.append(
        Figure(
            "api writes",
            kind,
            "cycles/s with 1 webhook / with none",
            "ratio",
            [with_rate / without_rate],
        )
    )
    return figures
