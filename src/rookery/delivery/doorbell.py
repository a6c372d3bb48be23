"""A doorbell from the API processes of one ``rookery serve`` to its delivery worker (SQLite).

PostgreSQL wakes workers with ``NOTIFY``; SQLite has nothing like it, so ``serve`` makes a
doorbell before it forks: a pair of connected Unix datagram sockets. The API processes keep
the ringing end and ring it after each commit that queued deliveries; the worker keeps the
listening end on its event loop (:class:`rookery.delivery.listener.Listener`).

Invariants: ringing never blocks and never fails the commit that rings (a full socket buffer
means the worker has rings it has not read yet, which is as good); one read drains every ring
waiting, so a burst of commits costs the worker one wake-up; polling still finds whatever a
lost ring would have announced.
"""

from __future__ import annotations

import socket
from contextlib import suppress


class Doorbell:
    """Both ends of the doorbell; each process keeps the end it uses (:meth:`keep_ringer`,
    :meth:`keep_listener`)."""

    def __init__(self) -> None:
        self._listener, self._ringer = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._listener.setblocking(False)
        self._ringer.setblocking(False)

    def keep_ringer(self) -> None:
        """In a process that rings (an API process): close the listening end."""
        self._listener.close()

    def keep_listener(self) -> None:
        """In the process that listens (the worker): close the ringing end."""
        self._ringer.close()

    def close(self) -> None:
        """Close both ends (the parent, once every child holds its own)."""
        self._listener.close()
        self._ringer.close()

    def ring(self) -> None:
        """Tell the worker that deliveries are waiting (from any thread, never blocks)."""
        with suppress(OSError):  # full: unread rings are waiting; closed: nobody listens
            self._ringer.send(b"\0")

    def fileno(self) -> int:
        """The listening end, for the event loop's ``add_reader``."""
        return self._listener.fileno()

    def drain(self) -> int:
        """Read every ring waiting; how many there were."""
        rings = 0
        with suppress(BlockingIOError, InterruptedError):
            while self._listener.recv(16):
                rings += 1
        return rings
