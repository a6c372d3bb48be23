"""Wiring: settings → webhooks → engine → schema → built-ins → the application object.

Everything that connects the parts lives here, so each part can be built alone in tests.
``build`` validates the webhook configuration *before* touching the database: an invalid
configuration stops the start with a message naming file, item and key.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from rookery.config import Settings
from rookery.db.engine import APPLICATION_NAME, make_read_session_factory, make_session_factory
from rookery.db.schema import upgrade
from rookery.db.startup import open_database
from rookery.services.auth import cookie_secret, ensure_built_ins
from rookery.services.mail_templates import check_templates
from rookery.services.passwords import PasswordPool, limit_hashing
from rookery.services.unit_of_work import UnitOfWork, WakeWorker
from rookery.webhooks.config import load_webhooks
from rookery.webhooks.registry import WebhookRegistry

LOG = logging.getLogger("rookery")


@dataclass
class Rookery:
    """The running application: settings, database, webhooks and the worker's doorbell."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    webhooks: WebhookRegistry
    read_session_factory: sessionmaker[Session]
    secret: str = ""
    generated_admin_password: str | None = None
    _wake_listeners: list[WakeWorker] = field(default_factory=list)
    _instance: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _first: tuple[sessionmaker[Session], sessionmaker[Session]] | None = None

    def uow(self, actor: str | None = None) -> UnitOfWork:
        """A fresh unit of work acting as ``actor`` (None for config/start-up changes)."""
        return UnitOfWork(
            self.session_factory,
            self.settings,
            self.webhooks,
            actor=actor,
            wake_worker=self.wake_worker,
            wake_token=self.wake_token,
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for work outside a use case (the worker, start-up, the CLI).

        Marked ``rookery_first``: on SQLite its writes go before waiting requests' (the
        worker's claims and outcomes are what a webhook's latency waits on).
        """
        factory = self.session_factory
        if self._first is None or self._first[0] is not factory:  # built again if replaced
            bind = factory.kw["bind"].execution_options(rookery_first=True)
            self._first = (factory, make_session_factory(bind))
        with self._first[1]() as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session that only reads: on SQLite it neither waits for nor blocks writers."""
        with self.read_session_factory() as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A read session's connection without the session: the session check's one Core
        statement costs a third less CPU this way (docs/BENCHMARKS.md, thirteenth pass)."""
        with self.read_session_factory.kw["bind"].connect() as connection:
            yield connection

    @property
    def wake_token(self) -> str:
        """Sent with each NOTIFY of this application's commits in this process: its own
        workers, woken directly (:meth:`wake_worker`), skip those notifications. The process
        id is part of it: ``serve`` forks its API and worker processes from one application."""
        return f"{os.getpid()}:{self._instance}"

    def on_wake(self, listener: WakeWorker) -> None:
        """Call ``listener`` after each commit that queued deliveries, with their lanes when
        known (thread-safe callers)."""
        with self._lock:
            self._wake_listeners.append(listener)

    def wake_worker(self, lanes: frozenset[str] | None = None) -> None:
        """Tell in-process workers that new deliveries are waiting (in ``lanes``, if known)."""
        for listener in list(self._wake_listeners):
            listener(lanes)

    @cached_property
    def password_pool(self) -> PasswordPool:
        """Where sign-ins verify passwords: a few threads behind a bounded queue."""
        return PasswordPool(self.settings.hash_workers, self.settings.hash_backlog)


def load_registry(settings: Settings) -> WebhookRegistry:
    """Load and validate the configured webhooks (none when no path is set)."""
    source = settings.webhook_source
    return WebhookRegistry(load_webhooks(source) if source else [])


def build(settings: Settings, *, migrate: bool = True, name: str = APPLICATION_NAME) -> Rookery:
    """Validate configuration, prepare the database and return the application object; on
    PostgreSQL the engine's connections are named ``name`` (the command: ``rookery serve``)."""
    registry = load_registry(settings)
    check_templates(settings)  # an operator's broken e-mail template stops the start
    limit_hashing(settings.hash_workers)  # every Argon2id of the process, not only sign-ins
    engine = open_database(  # one sentence when unusable
        settings.database_url, sqlite_busy_timeout=settings.sqlite_busy_timeout_seconds, name=name
    )
    if migrate:
        upgrade(engine)
    app = Rookery(
        settings,
        engine,
        make_session_factory(engine),
        registry,
        make_read_session_factory(engine),
    )
    with app.session() as session:
        app.generated_admin_password = ensure_built_ins(
            session,
            settings.admin_user,
            settings.admin_password,
            settings.admin_email,
            settings.password_min_length,
            users_group=settings.users_group,
        )
        app.secret = cookie_secret(session, settings.secret)
        session.commit()
    if settings.registration_sources:
        from rookery.services.registration import register_config_objects

        for path in settings.registration_sources:
            register_config_objects(app.uow(), path)
    LOG.info("loaded %d webhook(s)", len(registry))
    return app
