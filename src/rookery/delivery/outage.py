"""Outages of the worker's database: how long each loop waits before trying again, and what is
logged.

Every worker loop that talks to the database keeps one :class:`Outage` and tells it how each
try went; the loops of one worker share one :class:`OutageLog`. Invariants:
- the pause after the n-th failure in a row is ``first * 2**(n-1)``, capped at ``cap``
  (0.1 s, 0.2 s, … 2 s): an outage costs the database at most one try per loop every 2 s, and
  each loop resumes within ``cap`` seconds of the database coming back;
- one WARNING line when the first loop finds the database unavailable (naming the cause, never
  a statement or its parameters) and one INFO line when the last failing loop gets through
  again (how long the outage lasted), whatever its length and however many loops noticed;
- an error that is not an outage (:func:`rookery.db.availability.is_unavailable` is false) is
  a bug: it is logged once per run of failures with its traceback, but the loop still backs
  off and goes on, since the worker never dies of one failing call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TypeVar

from rookery.db.availability import describe, is_unavailable

LOG = logging.getLogger("rookery.delivery")
T = TypeVar("T")


class OutageLog:
    """The one log line per outage, shared by the loops of a worker (thread-safe)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, log: logging.Logger = LOG
    ) -> None:
        self.clock = clock
        self.log = log
        self._lock = threading.Lock()
        self._failing: set[str] = set()
        self._started_at = 0.0
        self._tries = 0

    def unavailable(self, what: str, cause: str) -> None:
        """Loop ``what`` found the database unavailable."""
        with self._lock:
            self._tries += 1
            if not self._failing:
                self._started_at = self.clock()
                self._tries = 1
                self.log.warning(
                    "database unavailable (%s), noticed by %s; the worker retries until it is back",
                    cause,
                    what,
                )
            self._failing.add(what)

    def available(self, what: str) -> None:
        """Loop ``what`` got through; the outage ends when no loop is failing any more."""
        with self._lock:
            if what not in self._failing:
                return
            self._failing.discard(what)
            if not self._failing:
                self.log.info(
                    "database back after %.1f s (%d failed tries); the worker resumes",
                    self.clock() - self._started_at,
                    self._tries,
                )


class Outage:
    """Failure state of one loop's calls to the database (one loop each)."""

    def __init__(
        self,
        what: str,
        outages: OutageLog | None = None,
        *,
        first: float = 0.1,
        cap: float = 2.0,
    ) -> None:
        self.what = what
        self.outages = outages or OutageLog()
        self.first = first
        self.cap = cap
        self.failures = 0
        self.cause: str | None = None

    @property
    def ongoing(self) -> bool:
        """True from the first failure until the next success."""
        return self.failures > 0

    def failed(self, error: BaseException) -> float:
        """Note a failed try; return the seconds to wait before the next one."""
        first = self.failures == 0
        self.failures += 1
        if first:
            self.cause = describe(error)
        if is_unavailable(error):
            self.outages.unavailable(self.what, describe(error))
        elif first:
            self.outages.log.error(
                "%s failed (%s); retrying until it works", self.what, self.cause, exc_info=error
            )
        return self.pause()

    def pause(self) -> float:
        """The wait before the next try after the failures so far (0 when none)."""
        if self.failures == 0:
            return 0.0
        return float(min(self.cap, self.first * 2 ** min(self.failures - 1, 30)))

    def succeeded(self) -> None:
        """Note a successful try: ends this loop's part of the outage, if any."""
        if self.failures:
            self.outages.available(self.what)
        self.failures = 0
        self.cause = None


async def pause_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def keep_trying(outage: Outage, call: Callable[[], T], stop: asyncio.Event) -> T | None:
    """Run the blocking ``call`` in a thread until it succeeds (None if stopped first)."""
    while not stop.is_set():
        try:
            result = await asyncio.to_thread(call)
        except Exception as error:  # outages and bugs alike: back off, go on
            await pause_unless_stopped(stop, outage.failed(error))
            continue
        outage.succeeded()
        return result
    return None
