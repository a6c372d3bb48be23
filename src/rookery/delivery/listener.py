"""PostgreSQL ``LISTEN`` (or, on SQLite, ``serve``'s doorbell) on the worker's event loop:
wakes the worker when any process queues deliveries.

The connection is an asyncio one, read by the worker's own loop: a notification wakes the
claim loop in the same loop iteration, with no thread to hand the GIL to and back (a
listener thread cost up to two GIL switch intervals, 5 ms each, per wake-up on a busy worker).

Invariants: the connection is re-made after any failure with capped backoff, the outage is
logged once (start and end, :mod:`.outage`), and the worker is woken after every
(re)connection, since notifications sent while the connection was down are lost. Polling
still finds due deliveries without it; the listener only makes the worker prompt. A
notification's payload names its sender and, when it fits, the lanes its commit queued
deliveries in (``rookery.services.unit_of_work``); one sent by the hosting application's
process (its ``wake_token``) is skipped: that commit woke the worker directly already
(``on_wake``), and a second wake-up would cost a second turn.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from rookery.db.engine import driver_conninfo
from rookery.delivery.doorbell import Doorbell
from rookery.delivery.host import WorkerHost
from rookery.delivery.outage import Outage, OutageLog

CHANNEL = "rookery_deliveries"
LISTEN_NAME = "rookery worker listen"  # pg_stat_activity.application_name of its connection


class Listener:
    """Calls ``wake`` on each ``NOTIFY rookery_deliveries`` (PostgreSQL), or on each ring of
    ``doorbell`` (SQLite under ``serve``, whose API runs in another process)."""

    def __init__(
        self,
        app: WorkerHost,
        wake: Callable[[frozenset[str] | None], Any],
        outages: OutageLog,
        doorbell: Doorbell | None = None,
    ) -> None:
        self.app = app
        self.wake = wake
        self.doorbell = doorbell
        self.outage = Outage("the LISTEN connection", outages)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = threading.Event()

    def start(self) -> None:
        """Start listening on the running loop (on SQLite without a doorbell, nothing to do:
        the writers are in this process and wake the worker directly)."""
        if self.app.engine.dialect.name == "postgresql":
            self._loop = asyncio.get_running_loop()
            self._task = self._loop.create_task(self._run())
        elif self.doorbell is not None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self.doorbell.fileno(), self._rung)
            self.wake(None)  # rings from before the loop listened were not read as wake-ups

    def _rung(self) -> None:
        if self.doorbell is not None and self.doorbell.drain():
            self.wake(None)

    def stop(self) -> None:
        """Stop from any thread, waiting up to two seconds for the connection to close."""
        if self._loop is not None and self.doorbell is not None:
            with suppress(RuntimeError):  # the loop has closed: so has the reader
                self._loop.call_soon_threadsafe(self._loop.remove_reader, self.doorbell.fileno())
        if self._loop is None or self._task is None:
            return
        task = self._task
        with suppress(RuntimeError):  # the loop has closed: so has the task
            self._loop.call_soon_threadsafe(task.cancel)
        if not _on_loop(self._loop):
            self._stopped.wait(2.0)

    async def _run(self) -> None:
        try:
            while True:
                await self._listen()
        finally:
            self._stopped.set()

    async def _listen(self) -> None:
        import psycopg
        from sqlalchemy import exc

        url = driver_conninfo(self.app.engine.url, LISTEN_NAME)
        try:
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5)
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                self.outage.succeeded()
                self.wake(None)
                own = self.app.wake_token  # commits of the app this worker's on_wake hears
                async for note in conn.notifies():
                    sender, lanes = read_notification(note.payload)
                    if sender != own:
                        self.wake(lanes)
        except psycopg.Error as error:
            # In the shape rookery.db.availability knows: an outage, named once.
            await asyncio.sleep(self.outage.failed(exc.OperationalError("LISTEN", None, error)))
        except Exception as error:  # reconnect after any failure
            await asyncio.sleep(self.outage.failed(error))


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def read_notification(payload: str) -> tuple[str | None, frozenset[str] | None]:
    """A notification's sender and lanes (None for what it does not say)."""
    try:
        found = json.loads(payload)
    except ValueError:
        return None, None
    if not isinstance(found, dict):
        return None, None
    sender = found.get("from")
    lanes = found.get("lanes")
    named: frozenset[str] | None = None
    if isinstance(lanes, list) and all(isinstance(lane, str) for lane in lanes):
        named = frozenset(lanes)
    return (sender if isinstance(sender, str) else None), named
