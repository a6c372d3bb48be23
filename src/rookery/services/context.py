"""What a use case needs from the running application, as a protocol (no import of bootstrap).

Invariants:
- ``rookery.bootstrap.Rookery`` satisfies :class:`AppContext` structurally; services, the
  console and the API name this protocol, so only the entry points import ``bootstrap``;
- ``session()`` is for reads and work outside a use case; writes go through ``uow()``, which
  owns the transaction.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from rookery.config import Settings
from rookery.services.passwords import PasswordPool
from rookery.services.unit_of_work import UnitOfWork
from rookery.webhooks.registry import WebhookRegistry


class AppContext(Protocol):
    """The application as services, the API and the console see it."""

    settings: Settings
    webhooks: WebhookRegistry
    engine: Engine
    session_factory: sessionmaker[Session]
    secret: str
    generated_admin_password: str | None

    @property
    def password_pool(self) -> PasswordPool:
        """Where sign-ins verify passwords off the event loop."""
        ...

    def session(self) -> AbstractContextManager[Session]:
        """A plain session (the caller commits, if it writes)."""
        ...

    def read_session(self) -> AbstractContextManager[Session]:
        """A session that only reads."""
        ...

    def read_connection(self) -> AbstractContextManager[Connection]:
        """A connection that only reads, as a read session's, for Core statements."""
        ...

    def uow(self, actor: str | None = None) -> UnitOfWork:
        """A fresh unit of work acting as ``actor``."""
        ...
