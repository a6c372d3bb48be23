"""The SQLite write turn across processes: ``rookery serve``'s API and worker, and the CLI.

Invariants:
- the turn is an exclusive ``flock`` on a file beside the database, taken by the thread that
  holds its process's write turn (:class:`rookery.db.engine.WriteTurn`), so one thread per
  process at most asks for it at a time;
- a *first* writer (the delivery worker) goes before the others: while it waits it holds a
  second lock (``-first``) exclusively, and another writer that gets the turn meanwhile
  gives it back and waits until the first one has it, so the worker waits for one
  transaction at most rather than for the API's whole queue;
- a free turn is taken at once, without leaving the calling thread; a held one is waited
  for by a blocking ``flock`` in the process's waiter thread, which the kernel wakes the
  moment the turn is released. Polling instead cost the worker ~0.2 ms of CPU per
  contended turn and up to 2 ms of idle lock per hand-over (docs/BENCHMARKS.md, "A
  blocking wait for the write turn");
- every wait is bounded by its timeout: a caller that gives up returns False, and the
  waiter thread releases the turn as soon as it gets it on that caller's behalf;
- the files are opened, and the waiter started, once per process (a descriptor inherited
  over ``fork`` would share its lock with the parent); the kernel drops a dead process's
  locks with its descriptors.
"""

from __future__ import annotations

import asyncio
import enum
import fcntl
import os
import queue
import threading
from collections.abc import Callable
from contextlib import suppress


class _Answer(enum.Enum):
    WAITING = "waiting"
    GRANTED = "granted"
    ABANDONED = "abandoned"


class Request:
    """One caller's wait for the turn, answered once: granted, or abandoned by its caller."""

    def __init__(self, first: bool, on_grant: Callable[[], None] | None = None) -> None:
        self.first = first
        self.granted = threading.Event()
        self._on_grant = on_grant
        self._mutex = threading.Lock()
        self._answer = _Answer.WAITING

    def grant(self) -> bool:
        """The waiter took the turn: False when the caller gave up (the turn must go back)."""
        with self._mutex:
            if self._answer is _Answer.ABANDONED:
                return False
            self._answer = _Answer.GRANTED
        self.granted.set()
        if self._on_grant is not None:
            self._on_grant()
        return True

    def abandon(self) -> bool:
        """The caller's time ran out: True when the turn was granted meanwhile (keep it)."""
        with self._mutex:
            if self._answer is _Answer.GRANTED:
                return True
            self._answer = _Answer.ABANDONED
            return False


class _Files:
    """The two lock files of one process, and its waiter thread."""

    def __init__(self, path: str) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        self.turn = os.open(path, flags, 0o600)
        self.ahead = os.open(f"{path}-first", flags, 0o600)
        self.pid = os.getpid()
        self.outstanding = 0  # requests the waiter has not finished (guarded by mutex)
        self.mutex = threading.Lock()
        self._requests: queue.SimpleQueue[Request] = queue.SimpleQueue()
        threading.Thread(target=self._wait_loop, name="rookery-write-turn", daemon=True).start()

    def ask(self, request: Request) -> None:
        with self.mutex:
            self.outstanding += 1
        self._requests.put(request)

    def _wait_loop(self) -> None:
        while True:
            request = self._requests.get()
            try:
                self._take(first=request.first)
                if not request.grant():
                    fcntl.flock(self.turn, fcntl.LOCK_UN)
            finally:
                with self.mutex:
                    self.outstanding -= 1

    def _take(self, *, first: bool) -> None:
        if first:
            fcntl.flock(self.ahead, fcntl.LOCK_EX)  # announced: the others let us go first
            try:
                fcntl.flock(self.turn, fcntl.LOCK_EX)
            finally:
                fcntl.flock(self.ahead, fcntl.LOCK_UN)
            return
        while True:
            fcntl.flock(self.turn, fcntl.LOCK_EX)
            if _try_flock(self.ahead, fcntl.LOCK_SH, keep=False):
                return
            # A first writer waits: give it the turn, and wait until it has taken it.
            fcntl.flock(self.turn, fcntl.LOCK_UN)
            fcntl.flock(self.ahead, fcntl.LOCK_SH)
            fcntl.flock(self.ahead, fcntl.LOCK_UN)


class ProcessLock:
    """The write turn on one database file, shared by every process that writes it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._files: _Files | None = None

    def acquire(self, timeout: float, *, first: bool = False) -> bool:
        """Take the turn within ``timeout`` seconds (0: only if it is free now, without
        leaving the calling thread); False when it could not be had."""
        files = self._here()
        with files.mutex:
            # While the waiter works for an abandoned request it may hold the turn on these
            # very descriptors, where a flock of ours would succeed: queue behind it then.
            idle = files.outstanding == 0
        if idle and _free(files, first=first):
            return True
        if timeout <= 0:
            return False
        request = Request(first)
        files.ask(request)
        if request.granted.wait(timeout):
            return True
        return request.abandon()

    async def acquire_on_loop(self, timeout: float, *, first: bool = False) -> bool:
        """:meth:`acquire`, from an event loop that keeps running while it waits: the waiter
        thread takes the turn and wakes the loop (no thread of the caller's blocks)."""
        files = self._here()
        with files.mutex:
            idle = files.outstanding == 0
        if idle and _free(files, first=first):
            return True
        loop = asyncio.get_running_loop()
        granted: asyncio.Future[None] = loop.create_future()

        def wake() -> None:  # on the waiter thread
            with suppress(RuntimeError):  # the loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, granted)

        request = Request(first, wake)
        files.ask(request)
        try:
            await asyncio.wait_for(granted, timeout)
        except TimeoutError:
            return request.abandon()
        except BaseException:  # cancelled: a turn granted meanwhile goes back
            if request.abandon():
                self.release()
            raise
        return True

    def release(self) -> None:
        if self._files is not None and self._files.pid == os.getpid():
            fcntl.flock(self._files.turn, fcntl.LOCK_UN)

    def _here(self) -> _Files:
        if self._files is None or self._files.pid != os.getpid():
            self._files = _Files(self.path)
        return self._files


def _free(files: _Files, *, first: bool) -> bool:
    """Take the turn if nobody holds it and no first writer waits for it (unless ``first``)."""
    if not first and not _try_flock(files.ahead, fcntl.LOCK_SH, keep=False):
        return False
    return _try_flock(files.turn, fcntl.LOCK_EX)


def _try_flock(fd: int, kind: int, *, keep: bool = True) -> bool:
    """Take ``kind`` on ``fd`` if nobody holds a conflicting lock (and drop it unless ``keep``)."""
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    if not keep:
        fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():  # a caller that gave up cancelled it
        future.set_result(None)
