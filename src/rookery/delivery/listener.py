"""PostgreSQL ``LISTEN`` in a thread: wakes the worker when any process queues deliveries.

Invariants: the connection is re-made after any failure with capped backoff, the outage is
logged once (start and end, :mod:`.outage`), and the worker is woken after every
(re)connection, since notifications sent while the connection was down are lost. Polling
still finds due deliveries without it; the listener only makes the worker prompt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rookery.delivery.host import WorkerHost
from rookery.delivery.outage import Outage, OutageLog

CHANNEL = "rookery_deliveries"


class Listener:
    """Calls ``wake`` on each ``NOTIFY rookery_deliveries`` (PostgreSQL only)."""

    def __init__(self, app: WorkerHost, wake: Callable[[], Any], outages: OutageLog) -> None:
        self.app = app
        self.wake = wake
        self.outage = Outage("the LISTEN connection", outages)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start listening (does nothing on SQLite: its writers are in this process)."""
        if self.app.engine.dialect.name == "postgresql":
            self._thread = threading.Thread(target=self._run, name="rookery-listen", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop, waiting up to two seconds for the connection to close."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)

    def _run(self) -> None:
        import psycopg
        from sqlalchemy import exc

        url = self.app.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.outage.succeeded()
                    self.wake()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake()
            except psycopg.Error as error:
                # In the shape rookery.db.availability knows: an outage, named once.
                self._stop.wait(self.outage.failed(exc.OperationalError("LISTEN", None, error)))
            except Exception as error:  # reconnect after any failure
                self._stop.wait(self.outage.failed(error))
