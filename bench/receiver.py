"""A fast webhook receiver: raw asyncio HTTP/1.1 with keep-alive, run as its own process.

``python -m bench.receiver PORT`` answers every request ``200 ok`` and records its arrival time
(``time.monotonic_ns``: CLOCK_MONOTONIC is one clock for every process on a Linux host, so
arrival times compare with the API client's response times) and path. Control routes, not
counted: ``GET /_stats`` (count, first/last arrival, own CPU seconds), ``GET /_arrivals``
(``[[t_ns, path], ...]``), ``GET /_bodies`` (``[[t_ns, body prefix], ...]``), ``POST /_reset``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Proc, cpu_seconds, free_port

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class Recorder:
    def __init__(self) -> None:
        self.times: list[int] = []
        self.paths: list[str] = []
        self.bodies: list[str] = []

    def stats(self) -> dict[str, Any]:
        return {
            "count": len(self.times),
            "first_ns": self.times[0] if self.times else None,
            "last_ns": self.times[-1] if self.times else None,
            "cpu_s": cpu_seconds(os.getpid()),
        }


def _answer(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nContent-Type: application/json"
    return head.encode() + b"\r\n\r\n" + body


async def _serve(rec: Recorder, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            now = time.monotonic_ns()
            line, _, rest = head.partition(b"\r\n")
            method, path = line.split(b" ", 2)[:2]
            lower = rest.lower()
            length = 0
            at = lower.find(b"content-length:")
            if at >= 0:
                length = int(lower[at + 15 : lower.index(b"\r\n", at)])
            body = await reader.readexactly(length) if length else b""
            if path.startswith(b"/_"):
                writer.write(_control(rec, method, path.decode()))
            else:
                rec.times.append(now)
                rec.paths.append(path.decode())
                rec.bodies.append(body[:200].decode(errors="replace"))
                writer.write(OK)
            if writer.transport.get_write_buffer_size() > 65536:
                await writer.drain()
            if b"connection: close" in lower:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


def _control(rec: Recorder, method: bytes, path: str) -> bytes:
    if path == "/_reset" and method == b"POST":
        rec.times.clear()
        rec.paths.clear()
        rec.bodies.clear()
        return _answer({"reset": True})
    if path == "/_arrivals":
        return _answer({"arrivals": list(zip(rec.times, rec.paths, strict=True))})
    if path == "/_bodies":
        return _answer({"arrivals": list(zip(rec.times, rec.bodies, strict=True))})
    return _answer(rec.stats())


class Receiver:
    """The benchmark's handle on a receiver process: its URL, stats and arrivals."""

    def __init__(self, logdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "bench.receiver", str(self.port)]
        self.proc = Proc("receiver", argv, dict(os.environ), logdir)
        self.proc.wait_for_log("receiver listening", 20)
        self.control = httpx.Client(base_url=self.base, timeout=10)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def reset(self) -> None:
        self.control.post("/_reset").raise_for_status()

    def stats(self) -> dict[str, Any]:
        return dict(self.control.get("/_stats").json())

    def arrivals(self) -> list[tuple[int, str]]:
        return [(int(t), str(p)) for t, p in self.control.get("/_arrivals").json()["arrivals"]]

    def bodies(self) -> list[tuple[int, str]]:
        """(arrival ns, first 200 bytes of the body) of every counted request."""
        return [(int(t), str(b)) for t, b in self.control.get("/_bodies").json()["arrivals"]]

    def wait_for(self, count: int, timeout: float, stall: float = 30.0) -> dict[str, Any]:
        """Poll until ``count`` arrived, ``timeout`` passed or ``stall`` s brought nothing."""
        deadline = time.monotonic() + timeout
        last_count, last_change = -1, time.monotonic()
        while True:
            stats = self.stats()
            now = time.monotonic()
            if stats["count"] != last_count:
                last_count, last_change = stats["count"], now
            if stats["count"] >= count or now > deadline or now - last_change > stall:
                return stats
            time.sleep(0.05)

    def close(self) -> None:
        self.control.close()
        self.proc.stop()


async def main(port: int) -> None:
    rec = Recorder()
    server = await asyncio.start_server(
        lambda r, w: _serve(rec, r, w), "127.0.0.1", port, backlog=2048
    )
    print(f"receiver listening on {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
