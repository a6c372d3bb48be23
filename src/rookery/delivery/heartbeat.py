"""The worker's heartbeat: it says "alive", keeps its leases, and frees what dead workers held.

Every ``BEAT_SECONDS`` each worker writes its beat (``worker_beats``), renews the leases of
the deliveries it holds (once a quarter of a lease has passed since the last renewal: a worker
holds up to 32 deliveries per lane it sends, and rewriting them at every beat was write load
for nothing), and returns to the queue the claims of every worker silent for
``SILENT_AFTER`` — so a killed worker's deliveries are sent again by any live worker within
``SILENT_AFTER + BEAT_SECONDS`` (10 s), not after the 60 s lease, which stays as the last
resort. Invariants:
- a worker beats before it claims anything (the turn loop waits for :attr:`Heartbeat.beaten`),
  so every claim of a beating worker is covered by its beat;
- a worker's own beat is written in the same transaction that releases silent workers' claims,
  before the release: a worker never frees its own claims;
- database outages are retried with capped backoff and logged once (:mod:`.outage`); a worker
  that could not beat for ``SILENT_AFTER`` may lose its claims to another worker and then
  send them twice between them (at-least-once; receivers drop duplicates by ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rookery.db import queue
from rookery.delivery.host import WorkerHost
from rookery.delivery.outage import Outage, OutageLog
from rookery.services.tokens import purge_expired

LOG = logging.getLogger("rookery.delivery")
BEAT_SECONDS = 2.0
SILENT_AFTER = timedelta(seconds=8)
FORGET_AFTER = timedelta(hours=1)
TOKEN_PURGE_SECONDS = 300.0


class Heartbeat:
    """One worker's beat loop (run it as a task on the worker's event loop)."""

    def __init__(
        self,
        app: WorkerHost,
        worker_id: str,
        held: Callable[[], list[int]],
        lease: timedelta,
        outages: OutageLog,
    ) -> None:
        self.app = app
        self.worker_id = worker_id
        self.held = held
        self.lease = lease
        self.beaten = asyncio.Event()
        self._renewed_at: datetime | None = None  # when leases were last renewed
        self.outage = Outage("worker heartbeat", outages)
        self.purge_outage = Outage("callback token purge", outages)

    async def run(self) -> None:
        """Beat until cancelled; purge expired callback tokens every few minutes."""
        loop = asyncio.get_running_loop()
        next_purge = 0.0  # at the first beat, then every TOKEN_PURGE_SECONDS
        while True:
            try:
                await asyncio.to_thread(self.beat, self.held())
            except Exception as error:  # never dies: back off and beat again
                await asyncio.sleep(self.outage.failed(error))
                continue
            self.outage.succeeded()
            self.beaten.set()
            if loop.time() >= next_purge:
                next_purge = loop.time() + self._purge_pause(await self._purge())
            await asyncio.sleep(BEAT_SECONDS)

    def beat(self, held: list[int], now: datetime | None = None) -> None:
        """Write this worker's beat, renew its leases when a quarter of a lease has passed
        since the last renewal, free what silent workers hold."""
        now = now or datetime.now(UTC)
        renew = self._renewed_at is None or now - self._renewed_at >= self.lease / 4
        with self.app.session() as session:
            queue.beat(session, self.worker_id, now)
            session.flush()
            if renew:
                queue.renew_leases(session, self.worker_id, held, now + self.lease)
            silent = queue.release_claims_of_silent_workers(session, now - SILENT_AFTER)
            expired = queue.release_expired_leases(session, now)
            queue.forget_workers(session, now - FORGET_AFTER)
            session.commit()
        if renew:
            self._renewed_at = now
        if silent:
            LOG.warning("re-queued %d deliveries held by workers silent for 8 s or more", silent)
        if expired:
            LOG.warning("re-queued %d deliveries whose worker lease ran out", expired)

    async def _purge(self) -> bool:
        try:
            purged = await asyncio.to_thread(purge_expired, self.app.uow())
        except Exception as error:  # tried again at a later beat
            self.purge_outage.failed(error)
            return False
        self.purge_outage.succeeded()
        if purged:
            LOG.info("purged %d expired callback token(s)", purged)
        return True

    def _purge_pause(self, done: bool) -> float:
        return TOKEN_PURGE_SECONDS if done else max(BEAT_SECONDS, self.purge_outage.pause())

    def forget(self) -> None:
        """Delete this worker's beat (a clean stop; it holds nothing any more)."""
        with self.app.session() as session:
            queue.forget_workers(session, datetime.min.replace(tzinfo=UTC), self.worker_id)
            session.commit()
