"""Fault injection with real processes: a receiver that goes away and comes back, and a
receiver that hangs next to a fast one. Nothing may be lost; the latency figures are
printed (speed is judged by the numbers in docs/BENCHMARKS.md, not by timed asserts).
CI runs the bounded sizes; ``make chaos`` (ROOKERY_CHAOS_FULL=1) the issue's full ones."""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.acceptance.processes import rookery_env, start, stop, wait_http
from tests.support.receiver import Receiver
from tests.support.service import free_port, write_config

FULL = os.environ.get("ROOKERY_CHAOS_FULL") == "1"


def _serve(tmp_path: Path, hooks: list[dict[str, object]]) -> tuple[str, object]:
    port = free_port()
    config = write_config(tmp_path, hooks)
    env = rookery_env(
        f"sqlite:///{tmp_path / 'rookery.db'}",
        ROOKERY_PORT=str(port),
        ROOKERY_WEBHOOKS_CONFIG_PATH=str(config),
    )
    server = start(["serve"], env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/version", server)
    return base, server


@contextmanager
def _admin(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        assert (
            client.post(
                "/signin", json={"user_name": "admin", "password": "admin-password-1"}
            ).status_code
            == 200
        )
        yield client


def _create_groups(client: httpx.Client, prefix: str, count: int) -> list[float]:
    """Create groups one after another; return each call's latency in ms."""
    latencies = []
    for number in range(count):
        started = time.perf_counter()
        assert client.post("/groups", json={"group_name": f"{prefix}{number}"}).status_code == 201
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


@pytest.mark.slow
def test_receiver_outage_loses_nothing(tmp_path: Path) -> None:
    """Deliveries made while the receiver is down all arrive once it is back."""
    count = 1_000 if FULL else 150
    port = free_port()
    url = f"http://127.0.0.1:{port}/groups"
    base, server = _serve(
        tmp_path,
        [
            {
                "name": "mirror",
                "action": "create_group",
                "method": "POST",
                "url": url,
                "payload": {"group": "{{group.name}}"},
                "timeout": 2,
                # Retries must outlast the outage (1,000 API calls at full size).
                "retry": {"schedule": ["200ms", "500ms", "1s", "2s"] + ["5s"] * 12},
            }
        ],
    )
    receiver: Receiver | None = None
    try:
        with _admin(base) as client:
            normal = _create_groups(client, "warm", 30)  # warm-up, receiver down too
            down = _create_groups(client, "down", count)
            receiver = _receiver_on(port)
            up = _create_groups(client, "up", count // 3)
            got = receiver.wait_for(30 + count + count // 3, "/groups", timeout=120)
    finally:
        stop(server)  # type: ignore[arg-type]
        if receiver is not None:
            receiver.stop()
    names = Counter(r.json()["group"] for r in got)
    print(
        f"\noutage: {count} events while down; p50 API latency down "
        f"{statistics.median(down):.1f} ms vs up {statistics.median(up):.1f} ms "
        f"(ratio {statistics.median(down) / statistics.median(up):.2f}); warm-up "
        f"{statistics.median(normal):.1f} ms; {sum(names.values()) - len(names)} duplicates"
    )
    expected = {f"down{i}" for i in range(count)} | {f"up{i}" for i in range(count // 3)}
    assert expected <= set(names)


def _receiver_on(port: int) -> Receiver:
    """A recording receiver bound to a given port (the one the webhook points at)."""
    from http.server import ThreadingHTTPServer

    receiver = Receiver()
    handler = receiver.server.RequestHandlerClass
    receiver.server.server_close()
    receiver.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    receiver.server.daemon_threads = True
    receiver.port = port
    return receiver.start()


@pytest.mark.slow
def test_hanging_receiver_does_not_slow_the_fast_one(tmp_path: Path) -> None:
    """With one receiver hanging, the other's delivery latency stays as it was."""
    count = 300 if FULL else 60
    fast, slow = Receiver().start(), Receiver().start()
    slow.script("/slow", delay=30)
    base, server = _serve(
        tmp_path,
        [
            {
                "name": "fast",
                "action": "create_group",
                "method": "POST",
                "url": fast.url("/fast"),
                "payload": {"group": "{{group.name}}"},
            },
            {
                "name": "slow",
                "action": "create_group",
                "method": "POST",
                "url": slow.url("/slow"),
                "payload": {"group": "{{group.name}}"},
                "timeout": 60,
            },
        ],
    )
    try:
        with _admin(base) as client:
            lags = []
            for number in range(count):
                assert client.post("/groups", json={"group_name": f"g{number}"}).status_code == 201
                answered = time.perf_counter()
                arrived = fast.wait_for(number + 1, "/fast", timeout=10)[-1]
                lags.append(max(0.0, arrived.at - answered) * 1000)
    finally:
        stop(server)  # type: ignore[arg-type]
        fast.stop()
        slow.stop()
    lags.sort()
    print(
        f"\nhanging neighbour: API response -> fast receiver p50 {lags[len(lags) // 2]:.1f} ms, "
        f"p95 {lags[int(len(lags) * 0.95)]:.1f} ms over {count} events"
    )
    assert len(fast.on("/fast")) == count
