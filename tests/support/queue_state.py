"""What the delivery queue holds, read back through a service's own session."""

from __future__ import annotations

from sqlalchemy import func, select

from rookery.db.models import Attempt, Delivery, DeliveryLane
from rookery.domain.delivery_states import DeliveryState
from tests.support.service import Service


def queue_counts(service: Service) -> tuple[list[DeliveryState], int, int]:
    """Every delivery's state in id order, how many attempts were recorded, and how many lanes
    have a row."""
    with service.app.session() as session:
        states = list(session.scalars(select(Delivery.state).order_by(Delivery.id)))
        attempts = session.scalar(select(func.count()).select_from(Attempt)) or 0
        lanes = session.scalar(select(func.count()).select_from(DeliveryLane)) or 0
    return states, attempts, lanes
