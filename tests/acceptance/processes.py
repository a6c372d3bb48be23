"""Running ``rookery`` as an operator would: subprocesses with an environment."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOKERY = [sys.executable, "-m", "rookery.cli"]


def rookery_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a subprocess: the test database and a known admin password."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOKERY_", "MAGPIE_"))}
    env.update(
        ROOKERY_DATABASE_URL=database_url,
        ROOKERY_ADMIN_PASSWORD="admin-password-1",
        ROOKERY_SECRET="acceptance-secret",
        ROOKERY_ENV_FILE="/nonexistent",
        **extra,
    )
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``rookery ARGS`` with its output in ``log``."""
    handle = log.open("ab")
    return subprocess.Popen([*ROOKERY, *args], env=env, stdout=handle, stderr=subprocess.STDOUT)


def kill_tree(process: subprocess.Popen[Any]) -> None:
    """SIGKILL ``process`` and every process below it at once, as a crash of the host would
    end them (the children of a ``serve`` killed alone get SIGTERM and stop in order)."""
    pids, todo = [], [process.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    for pid in reversed(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def wait_http(url: str, process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Wait until ``url`` answers (fail if the process exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"rookery exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def stop(process: subprocess.Popen[Any]) -> None:
    """Terminate a process and wait for it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
