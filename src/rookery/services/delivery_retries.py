"""Retrying finished deliveries: one by id, or every one matching a filter (API, console, CLI).

Invariants:
- nothing here sends; a retry only puts finished deliveries back in the queue
  (``queue.requeue``) and rings the worker, through a unit of work so that PostgreSQL workers
  in other processes are woken by the same ``NOTIFY`` a new event uses;
- without a status only ``failed`` deliveries are retried; retrying a delivery still queued is
  :class:`ConflictError`, an unknown id :class:`NotFoundError`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rookery.db.models import Delivery
from rookery.domain.delivery_states import FINISHED, DeliveryState
from rookery.errors import ConflictError, InvalidInputError, NotFoundError
from rookery.services import outbox
from rookery.services.context import AppContext
from rookery.services.delivery_log import DeliveryFilter, delivery_summary, parse_id

RETRYABLE_STATES = tuple(sorted(FINISHED))
RETRY_ACTOR = "rookery-retry"


def retry_delivery(app: AppContext, delivery_id: int | str) -> dict[str, Any]:
    """Queue one finished delivery for another attempt now; returns its summary."""
    number = parse_id(delivery_id)
    with app.uow(RETRY_ACTOR) as uow:
        delivery = uow.session.get(Delivery, number)
        if delivery is None:
            raise NotFoundError(f"delivery {number} does not exist", param="id", value=number)
        if delivery.state not in RETRYABLE_STATES or not outbox.requeue(
            uow, [number], datetime.now(UTC)
        ):
            raise ConflictError(
                f"delivery {number} is still {delivery.state}: it is already queued",
                param="id",
                value=number,
            )
        uow.commit()
        uow.session.refresh(delivery)
        return delivery_summary(delivery)


def retry_matching(
    app: AppContext,
    *,
    status: str | None = None,
    action: str | None = None,
    webhook: str | None = None,
    subject: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> int:
    """Queue every matching finished delivery again; returns how many.

    Without ``status`` only ``failed`` deliveries are retried: sending delivered ones again
    must be asked for (``status="delivered"``).
    """
    if status is not None and status not in RETRYABLE_STATES:
        raise InvalidInputError(
            "only failed or delivered deliveries can be retried", param="status", value=status
        )
    where = DeliveryFilter.parse(
        status=status or DeliveryState.FAILED,
        action=action,
        webhook=webhook,
        subject=subject,
        since=since,
        until=until,
    ).conditions()
    with app.uow(RETRY_ACTOR) as uow:
        count = outbox.requeue(uow, None, datetime.now(UTC), *where)
        uow.commit()
        return count
