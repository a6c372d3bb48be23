"""SQLite's write turn across processes (:mod:`rookery.db.process_lock`), with real processes.

A held turn is waited for by a blocking ``flock``: the waiter gets it when it is released,
gives up at its timeout without keeping it, and a waiting worker goes before waiting requests.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from rookery.db.process_lock import ProcessLock

# Takes the turn, says so on stdout, holds it until its stdin closes (or for ever).
_HOLDER = """
import sys
from rookery.db.process_lock import ProcessLock

lock = ProcessLock(sys.argv[1])
assert lock.acquire(10, first=sys.argv[2] == "first")
print(sys.argv[3], flush=True)
sys.stdin.read()
lock.release()
"""


def _holder(path: Path, name: str, *, first: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), "first" if first else "other", name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _says(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def _let_go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(30) == 0


def test_a_held_turn_is_waited_for_and_taken_once_released(tmp_path: Path) -> None:
    path = tmp_path / "db-turn"
    holder = _holder(path, "holder")
    assert _says(holder) == "holder"
    waiter = _holder(path, "waiter")
    time.sleep(0.2)  # the waiter is now blocked on the turn
    _let_go(holder)
    assert _says(waiter) == "waiter"
    _let_go(waiter)


def test_a_wait_gives_up_at_its_timeout_and_keeps_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db-turn"
    holder = _holder(path, "holder")
    assert _says(holder) == "holder"
    lock = ProcessLock(str(path))
    assert lock.acquire(0.1) is False
    assert lock.acquire(0.1, first=True) is False
    _let_go(holder)
    # The waiter thread took the turn for the callers that gave up, and gave it back.
    other = _holder(path, "other")
    assert _says(other) == "other"
    assert lock.acquire(0.1) is False
    _let_go(other)
    assert lock.acquire(5) is True
    lock.release()


def test_a_waiting_worker_goes_before_a_request_that_waited_longer(tmp_path: Path) -> None:
    path = tmp_path / "db-turn"
    holder = _holder(path, "holder")
    assert _says(holder) == "holder"
    request = _holder(path, "request")
    time.sleep(0.2)  # the request waits first
    worker = _holder(path, "worker", first=True)
    time.sleep(0.2)
    _let_go(holder)
    assert _says(worker) == "worker"
    _let_go(worker)
    assert _says(request) == "request"
    _let_go(request)


def test_the_turn_is_taken_at_once_when_free_and_given_back(tmp_path: Path) -> None:
    lock = ProcessLock(str(tmp_path / "db-turn"))
    assert lock.acquire(0.0) is True
    lock.release()
    assert lock.acquire(0.0, first=True) is True
    lock.release()
    other = _holder(tmp_path / "db-turn", "other")
    assert _says(other) == "other"
    _let_go(other)


def test_a_turn_asked_without_waiting_is_refused_at_once_and_leaves_no_wait(
    tmp_path: Path,
) -> None:
    """A zero timeout (the worker's turns from its event loop) never blocks: held by another
    process, the turn is refused at once, and no wait is left behind to take it later."""
    path = tmp_path / "db-turn"
    holder = _holder(path, "holder")
    assert _says(holder) == "holder"
    lock = ProcessLock(str(path))
    began = time.monotonic()
    assert lock.acquire(0.0, first=True) is False
    assert lock.acquire(0.0) is False
    assert time.monotonic() - began < 0.5
    _let_go(holder)
    assert lock.acquire(0.0) is True  # free at once: no waiter of ours holds it
    lock.release()
    other = _holder(path, "other")
    assert _says(other) == "other"
    _let_go(other)


def test_a_wait_on_the_event_loop_lets_the_loop_run_and_ends_when_the_turn_is_free(
    tmp_path: Path,
) -> None:
    """The worker's turns wait for another process's transaction on their event loop: the
    loop keeps running meanwhile, the turn is theirs once released, and a wait that runs out
    keeps nothing."""
    path = tmp_path / "db-turn"
    holder = _holder(path, "holder")
    assert _says(holder) == "holder"
    lock = ProcessLock(str(path))

    async def go() -> tuple[bool, bool, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        gave_up = await lock.acquire_on_loop(0.2, first=True)
        waiting = asyncio.create_task(lock.acquire_on_loop(10, first=True))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await asyncio.to_thread(_let_go, holder)
        got = await waiting
        ticker.cancel()
        return gave_up, got, ticks

    gave_up, got, ticks = asyncio.run(go())
    assert gave_up is False
    assert got is True
    assert ticks >= 20  # the loop ran on while both waits were pending
    other = _holder(path, "other")
    time.sleep(0.2)  # the other process waits: the turn is held here
    lock.release()
    assert _says(other) == "other"
    _let_go(other)
