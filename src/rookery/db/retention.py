"""The SQL of retention: finished deliveries, their attempts and their events, in small batches.

Invariants:
- only ``delivered`` and ``failed`` rows whose ``completed_at`` is older than the cutoff are
  removed (an operator's retry clears ``completed_at``, so a re-queued delivery is never
  touched), with their attempts; open deliveries are never read here;
- one call removes at most ``batch`` deliveries: a transaction stays short, and workers
  sending in the meantime wait for no long lock; on PostgreSQL rows another purge holds are
  skipped, so two workers purging at once do not queue behind each other;
- an event goes once it is older than the cutoff and no delivery refers to it any more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, literal_column, select
from sqlalchemy.orm import Session

from rookery.db.models import Attempt, Delivery, Event
from rookery.domain.delivery_states import DeliveryState


def purge_finished(session: Session, state: DeliveryState, before: datetime, batch: int) -> int:
    """Delete up to ``batch`` deliveries in ``state`` finished before ``before``; caller commits."""
    # A literal state, so SQLite sees the query match the index on (state, completed_at).
    picked = (
        select(Delivery.id)
        .where(
            Delivery.state == literal_column(f"'{state.value}'"),
            Delivery.completed_at < before,
        )
        .order_by(Delivery.completed_at)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    ids = list(session.scalars(picked))
    if not ids:
        return 0
    session.execute(
        delete(Attempt)
        .where(Attempt.delivery_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Delivery).where(Delivery.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return len(ids)


def purge_orphan_events(session: Session, before: datetime, batch: int) -> int:
    """Delete up to ``batch`` events older than ``before`` that no delivery refers to."""
    orphans = (
        select(Event.id)
        .where(Event.created_at < before, ~exists().where(Delivery.event_id == Event.id))
        .order_by(Event.created_at)
        .limit(batch)
    )
    ids = list(session.scalars(orphans))
    if ids:
        session.execute(
            delete(Event).where(Event.id.in_(ids)).execution_options(synchronize_session=False)
        )
    return len(ids)
