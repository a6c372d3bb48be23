"""Processes and databases for the benchmarks: start, measure (/proc), stop, clean up.

Every process a benchmark starts is a ``Proc``: its CPU time and peak RSS are read from
``/proc/PID`` (no psutil), its output goes to a log file, and ``stop`` ends it (SIGTERM, then
SIGKILL). ``database`` yields a fresh SQLite file or PostgreSQL database and removes it after.
All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

BIN = Path(sys.executable).parent
ROOKERY = BIN / "rookery"
PG_ADMIN_URL = os.environ.get("ROOKERY_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_PASSWORD = "bench-admin-password"
SECRET = "bench-cookie-secret"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/PID/stat``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def host_busy_seconds() -> float:
    """CPU time every core of the host has spent busy so far (``/proc/stat``), in s."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def named_cpu_seconds(name: str) -> float:
    """CPU time so far of the processes whose command is ``name`` (e.g. the database server)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] == name:
                total += cpu_seconds(int(stat.parent.name))
    return total


def backend_cpu_seconds(database_url: str) -> dict[int, tuple[str, float]]:
    """The PostgreSQL backends now connected to ``database_url``'s database: pid →
    (``application_name``, CPU seconds so far). Rookery names its connections by use."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    found = {}
    for pid, name in rows:
        with contextlib.suppress(OSError):
            found[pid] = (name or "(unnamed)", cpu_seconds(pid))
    return found


def backend_cpu_by_name(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds each ``application_name`` spent between two :func:`backend_cpu_seconds`
    (a backend that connected meanwhile counts from its start)."""
    spent: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        spent[name] = spent.get(name, 0.0) + seconds - before.get(pid, (name, 0.0))[1]
    return spent


def tree_pids(pid: int) -> list[int]:
    """``pid`` and every process below it (``/proc/PID/task/*/children``)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


ESTABLISHED, LISTENING = "01", "0A"  # TCP states as /proc/net/tcp writes them


def sockets_held(port: int, pids: list[int], state: str = ESTABLISHED) -> list[int]:
    """How many TCP sockets on local ``port`` in ``state`` each of ``pids`` holds
    (``/proc/net/tcp*`` for the sockets, ``/proc/PID/fd`` for their owners)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                    inodes.add(fields[9])
    held = []
    for pid in pids:
        count = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = str(fd.readlink())
                    count += target.startswith("socket:[") and target[8:-1] in inodes
        held.append(count)
    return held


def memory_mb(pid: int, key: str = "VmHWM") -> float:
    """``VmHWM`` (peak RSS) or ``VmRSS`` of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Proc:
    """A child process with its log file, CPU and memory readings."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.log = logdir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu(self) -> float:
        """CPU seconds of the process and of every live process below it (``serve`` runs its
        worker in a child on both databases)."""
        total = 0.0
        for pid in tree_pids(self.pid):
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def peak_rss_mb(self) -> float:
        """The largest peak RSS of the process and the processes below it."""
        peaks = [0.0]
        for pid in tree_pids(self.pid):
            with contextlib.suppress(OSError):
                peaks.append(memory_mb(pid, "VmHWM"))
        return max(peaks)

    def rss_mb(self) -> float:
        return memory_mb(self.pid, "VmRSS")

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_log(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log.read_text(errors="replace"):
                return
            if not self.alive():
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not log {needle!r}:\n{self.tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


@contextlib.contextmanager
def running(proc: Proc) -> Iterator[Proc]:
    """Stop ``proc`` however the block ends."""
    try:
        yield proc
    finally:
        proc.stop()


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True)


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database URL of ``kind`` (sqlite or postgresql), dropped afterwards."""
    name = f"rookery_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if kind == "sqlite":
        path = workdir / f"{name}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_leftover_databases() -> None:
    """Remove ``rookery_bench_*`` databases an interrupted earlier run left behind."""
    with contextlib.suppress(Exception), _pg_admin() as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'rookery_bench_%'"
            )
        ]
        for name in names:
            pid = int(name.split("_")[2])
            if not Path(f"/proc/{pid}").exists():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def webhook(name: str, action: str, url: str, **extra: Any) -> dict[str, Any]:
    """One webhook item whose payload carries a group permission event."""
    item: dict[str, Any] = {
        "name": name,
        "action": action,
        "method": "POST",
        "url": url,
        "payload": {
            "event": "{{event.id}}",
            "action": "{{event.action}}",
            "group": "{{group.name}}",
            "resource_id": "{{resource.id}}",
            "permission": "{{permission}}",
        },
    }
    item.update(extra)
    return item


def write_webhooks(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"webhooks": items}, sort_keys=False))
    return path


def rookery_env(database_url: str, webhooks: Path | None, port: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOKERY_", "MAGPIE_"))}
    env.update(
        ROOKERY_ENV_FILE="/nonexistent/.env",
        ROOKERY_DATABASE_URL=database_url,
        ROOKERY_ADMIN_PASSWORD=ADMIN_PASSWORD,
        ROOKERY_SECRET=SECRET,
        ROOKERY_HOST="127.0.0.1",
        ROOKERY_PORT=str(port or free_port()),
        ROOKERY_LOG_LEVEL="WARNING",
    )
    if webhooks is not None:
        env["ROOKERY_WEBHOOKS_CONFIG_PATH"] = str(webhooks)
    return env


def start_serve(
    database_url: str, webhooks: Path | None, logdir: Path, *, worker: bool = True
) -> tuple[Proc, str]:
    """``rookery serve`` as a subprocess; returns it with its base URL once it answers."""
    port = free_port()
    argv = [str(ROOKERY), "serve"] + ([] if worker else ["--no-worker"])
    proc = Proc("serve", argv, rookery_env(database_url, webhooks, port), logdir)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not proc.alive():
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/version", timeout=2).status_code == 200:
                return proc, base
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"rookery serve did not start:\n{proc.tail()}")


def start_worker(database_url: str, webhooks: Path | None, logdir: Path) -> Proc:
    """``rookery worker`` as a subprocess, once it has logged that it started."""
    proc = Proc("worker", [str(ROOKERY), "worker"], rookery_env(database_url, webhooks), logdir)
    try:
        proc.wait_for_log("worker started", 60)
    except Exception:
        proc.stop()
        raise
    return proc


def admin_cookies(base: str) -> httpx.Cookies:
    """Sign in as the administrator and return the session cookie."""
    response = httpx.post(
        f"{base}/signin", json={"user_name": "admin", "password": ADMIN_PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return response.cookies


def settings_for(database_url: str, webhooks: Path | None) -> Any:
    """In-process settings matching the subprocesses' environment (for loaders)."""
    from rookery.config import Settings

    return Settings(
        database_url=database_url,
        admin_password=ADMIN_PASSWORD,
        secret=SECRET,
        webhooks_config_path=str(webhooks) if webhooks else None,
    )


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True)
class Plan:
    """How much each benchmark does: the full run, or ``--quick``."""

    runs: int = 3
    latency_events: int = 1000
    latency_gap_s: float = 0.005
    single_events: int = 20_000
    multi_events: int = 2_000
    multi_webhooks: int = 10
    lanes: int = 200
    drain_seconds: float = 15.0
    ceiling_seconds: float = 6.0
    api_seconds: float = 8.0
    api_clients: int = 8
    outbox_sizes: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"postgresql": (1_000, 1_000_000), "sqlite": (1_000, 100_000)}
    )
    memory_pending: int = 100_000
    memory_seconds: float = 12.0
    retention_rows: int = 100_000

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            runs=1,
            latency_events=300,
            single_events=4_000,
            multi_events=400,
            drain_seconds=8.0,
            ceiling_seconds=3.0,
            api_seconds=3.0,
            outbox_sizes={"postgresql": (1_000, 100_000), "sqlite": (1_000, 20_000)},
            memory_pending=20_000,
            memory_seconds=8.0,
            retention_rows=20_000,
        )
