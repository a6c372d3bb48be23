"""What the worker needs from the application that hosts it, as a protocol.

Invariants:
- the worker never imports ``rookery.bootstrap``: the entry points (``rookery serve``,
  ``rookery worker``, tests) hand it an object with these members, and
  ``rookery.bootstrap.Rookery`` is one;
- ``on_wake`` listeners are called after each commit that queued deliveries in this process;
  the ``NOTIFY`` of such a commit carries ``wake_token``, so a worker it woke directly
  skips it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine

from rookery.services.context import AppContext


class WorkerHost(AppContext, Protocol):
    """The application as the worker sees it: what a use case sees, the engine and the doorbell."""

    engine: Engine

    @property
    def wake_token(self) -> str:
        """The sender named in this process's NOTIFYs (a worker hosted here skips them)."""
        ...

    def on_wake(self, listener: Callable[[frozenset[str] | None], None]) -> None:
        """Call ``listener`` after each local commit that queued deliveries, with their
        lanes (None when not known)."""
        ...
