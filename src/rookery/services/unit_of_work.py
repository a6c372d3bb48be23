"""The unit of work: one database transaction, plus what happens after it commits.

A use case opens a unit of work, changes state through ``uow.session``, records events with
``rookery.services.events.publish`` (whose outbox rows the commit writes in the same
transaction, just before it commits) and commits. Only after the commit succeeds are the
``after_commit`` callbacks run (they wake the delivery worker); a unit of work that ends
without commit rolls back and sends nothing.

A constraint violation caused by a concurrent write (flush or commit) leaves the unit of work as
:class:`~rookery.errors.ConcurrentChangeError` — the one place that translation happens (see
``rookery.services.conflicts``). Outages arrive already translated by the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from rookery.config import Settings
from rookery.db import lanes, outbox_rows
from rookery.services.conflicts import concurrent_change_error, race_kind

# The channel every worker LISTENs on (rookery.delivery.listener.CHANNEL).
CHANNEL = "rookery_deliveries"
# A NOTIFY payload names the lanes only below this size (PostgreSQL's limit is 8,000 bytes).
NOTIFY_LANES_BYTES = 7000
# What an in-process worker is told: the lanes the commit queued deliveries in (None: not
# known, e.g. a retry of deliveries by query).
WakeWorker = Callable[[frozenset[str] | None], None]

if TYPE_CHECKING:
    from rookery.db.lanes import OpenedDelivery
    from rookery.webhooks.registry import WebhookRegistry


class UnitOfWork:
    """A transaction with the context a use case needs: settings, webhooks and the actor."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        webhooks: WebhookRegistry,
        *,
        actor: str | None = None,
        wake_worker: WakeWorker | None = None,
        wake_token: str = "",
    ) -> None:
        self._session_factory = session_factory
        self.settings = settings
        self.webhooks = webhooks
        self.actor = actor
        self._wake_worker = wake_worker
        self._wake_token = wake_token  # the NOTIFY's payload: who woke its workers already
        self._after_commit: list[Callable[[], None]] = []
        self.deliveries_written = 0
        # Deliveries this transaction wrote (pending), and lanes (lane → receiver) whose
        # deliveries it moved otherwise (held for a sender): just before the commit, the
        # first become their lanes' heads in one upsert when nothing else was touched;
        # otherwise every lane's row is refreshed together, in lane order.
        self.deliveries_opened: list[OpenedDelivery] = []
        self.lanes_touched: dict[str, str] = {}
        # The outbox's rows (rookery.services.outbox) not written yet: written at commit, on
        # PostgreSQL together with their lanes and the wake-up when nothing else moved a lane.
        self.events_unwritten: list[dict[str, Any]] = []
        self.deliveries_unwritten: list[dict[str, Any]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._after_commit.clear()
        self.deliveries_written = 0
        self.deliveries_opened = []
        self.lanes_touched = {}
        self.events_unwritten = []
        self.deliveries_unwritten = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
        if exc is not None and race_kind(exc) is not None:
            raise concurrent_change_error(exc) from exc

    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (never on rollback)."""
        self._after_commit.append(callback)

    def write_outbox(self) -> list[OpenedDelivery]:
        """Write the events and deliveries published so far; the deliveries as opened (their
        lanes' rows are brought up to date at commit)."""
        events, self.events_unwritten = self.events_unwritten, []
        deliveries, self.deliveries_unwritten = self.deliveries_unwritten, []
        opened = outbox_rows.write(self.session, events, deliveries)
        self.deliveries_opened += opened
        return opened

    def commit(self) -> None:
        """Commit the transaction, then run the after-commit callbacks."""
        # The use case's own rows first, the outbox's and the lanes' last: a worker recording
        # an answer locks the user's row, then the lane's (rookery.db.outcomes), so a
        # transaction that locked a lane before its user's row (deleting the user, say) could
        # deadlock with it.
        self.session.flush()
        # Delivered by PostgreSQL only if the transaction commits: wakes every worker.
        notify = bool(self.deliveries_written) and self._postgres()
        unwritten = self.deliveries_unwritten
        if (
            notify
            and unwritten
            and self.deliveries_written == len(unwritten)
            and not self.deliveries_opened
            and not self.lanes_touched
        ):
            # The common case (a use case's events): rows, lanes and wake-up in one statement.
            woken: frozenset[str] | None = frozenset(row["lane"] for row in unwritten)
            payload = notify_payload(self._wake_token, woken)
            events, self.events_unwritten = self.events_unwritten, []
            self.deliveries_unwritten = []
            outbox_rows.write_and_open(
                self.session, events, unwritten, datetime.now(UTC), CHANNEL, payload
            )
            self._commit_and_wake(woken)
            return
        if (
            unwritten
            and not notify
            and self.deliveries_written == len(unwritten)
            and not self.deliveries_opened
            and not self.lanes_touched
            and not self._postgres()
        ):
            # The same common case on SQLite: rows and lanes straight to the driver.
            events, self.events_unwritten = self.events_unwritten, []
            self.deliveries_unwritten = []
            opened = outbox_rows.write_and_open_sqlite(
                self.session, events, unwritten, datetime.now(UTC)
            )
            self._commit_and_wake(frozenset(d.lane for d in opened))
            return
        self.write_outbox()
        opened, self.deliveries_opened = self.deliveries_opened, []
        # Every delivery written is a new one, whose lane is known: workers are told which.
        known = bool(opened) and self.deliveries_written == len(opened)
        woken = frozenset(d.lane for d in opened) if known else None
        payload = notify_payload(self._wake_token, woken)
        if opened and not self.lanes_touched:
            channel = CHANNEL if notify else None
            lanes.open_heads(
                self.session, opened, datetime.now(UTC), notify=channel, payload=payload
            )
            notify = False
        elif opened:
            self.lanes_touched.update((row.lane, row.receiver) for row in opened)
        if self.lanes_touched:
            lanes.refresh(self.session, self.lanes_touched, datetime.now(UTC))
            self.lanes_touched = {}
        if notify:
            self.session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": payload},
            )
        self._commit_and_wake(woken)

    def _commit_and_wake(self, woken: frozenset[str] | None) -> None:
        self.session.commit()
        if self.deliveries_written and self._wake_worker is not None:
            self._wake_worker(woken)
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


def notify_payload(sender: str, woken: frozenset[str] | None) -> str:
    """A NOTIFY's payload: who sent it, and the lanes it queued deliveries in when known and
    short enough (rookery.delivery.listener reads it)."""
    if woken is not None:
        named = json.dumps({"from": sender, "lanes": sorted(woken)})
        if len(named.encode()) <= NOTIFY_LANES_BYTES:
            return named
    return json.dumps({"from": sender})
