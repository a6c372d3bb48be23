"""SQLite's in-process write turn: one holder at a time, the worker's waits served first."""

from __future__ import annotations

import threading
import time

from rookery.db.engine import WriteTurn


def _wait_until(condition: threading.Event, timeout: float = 10) -> None:
    assert condition.wait(timeout), "timed out"


def test_a_waiting_worker_goes_before_requests_that_waited_longer() -> None:
    """With the turn held, a request waits, then a worker: the worker writes next."""
    turn = WriteTurn()
    assert turn.acquire(first=False, timeout=1)
    order: list[str] = []
    waiting = {name: threading.Event() for name in ("request", "worker")}

    def take(name: str, *, first: bool) -> None:
        waiting[name].set()
        assert turn.acquire(first=first, timeout=10)
        order.append(name)
        turn.release()

    request = threading.Thread(target=take, args=("request",), kwargs={"first": False})
    request.start()
    _wait_until(waiting["request"])
    time.sleep(0.05)  # the request is now queued on the turn
    worker = threading.Thread(target=take, args=("worker",), kwargs={"first": True})
    worker.start()
    _wait_until(waiting["worker"])
    time.sleep(0.05)
    turn.release()
    request.join(10)
    worker.join(10)
    assert order == ["worker", "request"]


def test_the_turn_is_reentrant_and_exclusive() -> None:
    """The holder may take the turn again; another thread times out until it is fully released."""
    turn = WriteTurn()
    assert turn.acquire(first=False, timeout=1)
    assert turn.acquire(first=True, timeout=1)
    results: list[bool] = []
    other = threading.Thread(target=lambda: results.append(turn.acquire(first=True, timeout=0.1)))
    other.start()
    other.join(10)
    assert results == [False]
    turn.release()
    turn.release()
    other = threading.Thread(target=lambda: results.append(turn.acquire(first=False, timeout=1)))
    other.start()
    other.join(10)
    assert results == [False, True]


def test_many_threads_never_hold_the_turn_together() -> None:
    """Eight threads (two of them first) taking the turn 200 times each never overlap,
    and every one of them gets all its turns."""
    turn = WriteTurn()
    inside: list[int] = []
    taken = [0] * 8
    overlaps: list[int] = []

    def writer(number: int) -> None:
        for _ in range(200):
            assert turn.acquire(first=number < 2, timeout=30)
            inside.append(number)
            if len(inside) > 1:
                overlaps.append(number)
            taken[number] += 1
            inside.remove(number)
            turn.release()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert overlaps == []
    assert taken == [200] * 8


def test_a_turn_asked_without_waiting_is_refused_at_once_and_not_queued() -> None:
    """A zero timeout refuses a held turn without waiting, and leaves nothing queued: once
    released, the turn is free for the next thread that asks without waiting."""
    turn = WriteTurn()
    assert turn.acquire(first=False, timeout=1)
    results: list[bool] = []

    def ask() -> None:
        began = time.monotonic()
        results.append(turn.acquire(first=True, timeout=0))
        results.append(time.monotonic() - began < 0.5)

    other = threading.Thread(target=ask)
    other.start()
    other.join(10)
    assert results == [False, True]
    turn.release()
    again: list[bool] = []
    third = threading.Thread(target=lambda: again.append(turn.acquire(first=False, timeout=0)))
    third.start()
    third.join(10)
    assert again == [True]  # not handed to a gate left behind by the refused ask
