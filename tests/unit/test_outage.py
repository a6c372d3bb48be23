"""Outage bookkeeping of the worker's loops: capped backoff, one line when an outage starts
and one when it ends, with a frozen clock."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest
from sqlalchemy import exc

from rookery.delivery.outage import Outage, OutageLog, keep_trying
from rookery.errors import DatabaseUnavailableError
from tests.support.loops import run_in_fresh_loop


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def locked() -> exc.OperationalError:
    """SQLite's error for a write lock held past the busy timeout."""
    return exc.OperationalError(
        "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
    )


def test_pauses_double_from_a_tenth_of_a_second_up_to_two_seconds() -> None:
    """Successive failures wait 0.1, 0.2, 0.4, ... seconds, never more than 2 s."""
    outage = Outage("claims")
    pauses = [outage.failed(locked()) for _ in range(8)]
    assert pauses == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0])
    assert outage.failed(locked()) == 2.0


def test_a_success_ends_the_outage_and_resets_the_backoff() -> None:
    """After the database is back, the next outage starts again at 0.1 s."""
    outage = Outage("claims")
    for _ in range(5):
        outage.failed(locked())
    outage.succeeded()
    assert not outage.ongoing
    assert outage.pause() == 0.0
    assert outage.failed(locked()) == pytest.approx(0.1)


def test_one_warning_when_it_starts_and_one_info_line_with_its_length_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three loops failing 50 times over 42 s log two lines: the cause when the first loop
    fails, then how long it lasted when the last one gets through."""
    clock = Clock()
    shared = OutageLog(clock=clock)
    loops = [Outage(what, shared) for what in ("delivery claims", "heartbeat", "recording")]
    caplog.set_level(logging.DEBUG, logger="rookery.delivery")
    for number in range(50):
        loops[number % 3].failed(locked())
        clock.now += 0.84
    loops[0].succeeded()
    loops[1].succeeded()
    assert len(caplog.records) == 1
    loops[2].succeeded()
    loops[2].succeeded()
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert lines == [
        (
            logging.WARNING,
            "database unavailable (OperationalError: database is locked), noticed "
            "by delivery claims; the worker retries until it is back",
        ),
        (logging.INFO, "database back after 42.0 s (50 failed tries); the worker resumes"),
    ]


def test_an_error_that_is_not_an_outage_is_logged_with_its_traceback_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug is logged as an error with its traceback, once, and still backed off."""
    outage = Outage("recording delivery attempts")
    caplog.set_level(logging.DEBUG, logger="rookery.delivery")
    for _ in range(3):
        assert outage.failed(ValueError("bad row")) > 0
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert caplog.records[0].exc_info is not None
    assert outage.cause == "ValueError: bad row"


def test_keep_trying_runs_the_call_until_it_succeeds() -> None:
    """A call that fails twice with our unavailable error returns its third result."""
    outage = Outage("start", first=0.001, cap=0.001)
    answers: list[object] = [DatabaseUnavailableError("down"), locked(), "done"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    async def run() -> str | None:
        return await keep_trying(outage, call, asyncio.Event())

    assert run_in_fresh_loop(run()) == "done"
    assert not outage.ongoing
    assert answers == []


def test_keep_trying_gives_up_when_stopped() -> None:
    """A stop during an outage ends the retries with None instead of waiting forever."""
    outage = Outage("start", first=0.01, cap=0.01)

    def call() -> str:
        raise DatabaseUnavailableError("down")

    async def run() -> str | None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.1, stop.set)
        return await keep_trying(outage, call, stop)

    assert run_in_fresh_loop(run()) is None
    assert outage.failures >= 2
