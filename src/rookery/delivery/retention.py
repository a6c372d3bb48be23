"""The worker's retention loop: removes expired finished deliveries, off the hot path.

Invariants:
- runs as its own task, so claims and sends never wait for it; each batch is one short
  transaction (:func:`rookery.services.delivery_retention.purge_batch`), and batches follow
  each other with a pause while they come back full, then the loop sleeps ``interval``;
- survives database outages like the other loops (:mod:`.outage`): backs off, logs once,
  tries again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from rookery.delivery.host import WorkerHost
from rookery.delivery.outage import Outage, OutageLog
from rookery.services.delivery_retention import BATCH, Purged, purge_batch

LOG = logging.getLogger("rookery.delivery")
INTERVAL_SECONDS = 600.0
BETWEEN_BATCHES_SECONDS = 0.2


class Retention:
    """One worker's purge loop (run it as a task on the worker's event loop)."""

    def __init__(
        self,
        app: WorkerHost,
        outages: OutageLog,
        *,
        interval: float = INTERVAL_SECONDS,
        batch: int = BATCH,
    ) -> None:
        self.app = app
        self.interval = interval
        self.batch = batch
        self.outage = Outage("delivery retention", outages)
        self.removed = 0

    async def run(self) -> None:
        """Purge until cancelled: at start, then every ``interval`` seconds."""
        while True:
            try:
                purged = await asyncio.to_thread(self._purge)
            except Exception as error:  # never dies: back off and try again
                await asyncio.sleep(self.outage.failed(error))
                continue
            self.outage.succeeded()
            self.removed += purged.deliveries
            more = purged.full
            if not more and self.removed:
                LOG.info("removed %d deliveries past their retention", self.removed)
                self.removed = 0
            await asyncio.sleep(BETWEEN_BATCHES_SECONDS if more else self.interval)

    def _purge(self) -> Purged:
        return purge_batch(self.app.uow(), datetime.now(UTC), self.batch)
