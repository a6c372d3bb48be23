"""Retention of the delivery log: finished deliveries leave after their retention period.

Invariants:
- ``delivered`` rows are kept ``ROOKERY_DELIVERY_RETENTION_DAYS`` after they finished,
  ``failed`` ones ``ROOKERY_FAILED_RETENTION_DAYS`` (longer by default: an operator may still
  want to retry them); their attempts go with them, and so do events left without deliveries
  once older than the shorter of the two periods;
- one call is one short transaction removing at most ``BATCH`` rows of each kind; the worker
  calls it again while batches come back full (:mod:`rookery.delivery.retention`);
- open deliveries are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rookery.db import retention
from rookery.domain.delivery_states import DeliveryState
from rookery.services.unit_of_work import UnitOfWork

BATCH = 500


@dataclass(frozen=True)
class Purged:
    """What one batch removed, and whether a kind filled its batch (more may be left)."""

    deliveries: int
    events: int
    full: bool


def purge_batch(uow: UnitOfWork, now: datetime, batch: int = BATCH) -> Purged:
    """Remove one batch of expired deliveries (of each state) and of orphan events."""
    settings = uow.settings
    delivered_before = now - timedelta(days=settings.delivery_retention_days)
    failed_before = now - timedelta(days=settings.failed_retention_days)
    with uow:
        session = uow.session
        counts = [
            retention.purge_finished(session, DeliveryState.DELIVERED, delivered_before, batch),
            retention.purge_finished(session, DeliveryState.FAILED, failed_before, batch),
        ]
        counts.append(
            retention.purge_orphan_events(session, max(delivered_before, failed_before), batch)
        )
        uow.commit()
    return Purged(counts[0] + counts[1], counts[2], max(counts) >= batch)
