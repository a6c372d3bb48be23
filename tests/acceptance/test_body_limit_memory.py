"""An operator's view of the body limit: ``rookery serve`` stays flat under huge request bodies.

Several clients at once stream 100 MB bodies (chunked, no Content-Length) at ``/signin``; each
gets a 413 and the server's resident memory does not grow with them. The log holds no password
hash afterwards.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from tests.acceptance.processes import rookery_env, start, stop, wait_http
from tests.support.oversized import Outcome, post_oversized
from tests.support.service import free_port

HUNDRED_MB = 100 * 1024 * 1024
CLIENTS = 5


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def flood(port: int, path: str) -> list[Outcome]:
    """``CLIENTS`` concurrent 100 MB chunked bodies; the outcome of each."""
    outcomes: list[Outcome] = []
    threads = [
        threading.Thread(
            target=lambda: outcomes.append(post_oversized("127.0.0.1", port, path, HUNDRED_MB))
        )
        for _ in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_huge_chunked_bodies_leave_memory_flat(database_url: str, tmp_path: Path) -> None:
    """Three rounds of five concurrent 100 MB chunked bodies: all 413, RSS grows < 25 MB."""
    port = free_port()
    log = tmp_path / "serve.log"
    process = start(
        ["serve", "--no-worker"],
        rookery_env(database_url, ROOKERY_PORT=str(port), ROOKERY_HOST="127.0.0.1"),
        log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/version", process, timeout=90)
        signed_in = httpx.post(
            f"{base}/signin", json={"user_name": "admin", "password": "admin-password-1"}
        )
        assert signed_in.status_code == 200, signed_in.text
        flood(port, "/signin")  # warm-up: first-use allocations are not growth
        before = rss_mb(process.pid)
        outcomes = [o for _ in range(3) for o in flood(port, "/signin")]
        after = rss_mb(process.pid)
        assert [o.status for o in outcomes] == [413] * len(outcomes), outcomes
        assert all(o.sent < HUNDRED_MB for o in outcomes), "the server read a whole body"
        sent = sum(o.sent for o in outcomes) / 1024 / 1024
        print(
            f"\nRSS {before:.1f} -> {after:.1f} MB over {len(outcomes)} bodies ({sent:.0f} MB sent)"
        )
        assert after - before < 25, f"RSS grew from {before:.0f} MB to {after:.0f} MB"
        assert httpx.get(f"{base}/version").status_code == 200
    finally:
        stop(process)
    text = log.read_text(errors="replace")
    assert "rookery: serving" in text, text[-2000:]
    assert "$argon2" not in text
