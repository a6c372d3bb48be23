"""What an attempt's result does: the delivery's next state, and the user's status.

Rules (SPEC §6):
- success is a 2xx answer; anything else (3xx included) or no answer is a failure;
- a failure is retried on the delivery's schedule with jitter; ``Retry-After`` on 429/503
  replaces the pause (bounded); ``410 Gone`` ends the delivery at once;
- after the last attempt the delivery is ``failed`` (still retryable by API/CLI), and so is
  a delivery refused at once because its webhook is gone (``AttemptResult.final``);
- a failed ``create_user`` attempt sets the user ``WebhookError``; a later success returns it
  to ``OK`` unless someone (a callback, an admin) changed the status in between.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session

from rookery.db import lanes
from rookery.db.models import Attempt, Delivery, User
from rookery.domain.delivery_states import DeliveryState
from rookery.domain.statuses import UserStatus
from rookery.webhooks.retry import RetryPolicy, retry_after_delay

RETRY_AFTER_CAP = timedelta(hours=1)
_RNG = random.Random()


@dataclass(frozen=True)
class AttemptResult:
    """What happened when a worker sent a delivery once."""

    delivery_id: int
    number: int
    started_at: datetime
    latency_ms: float
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    retry_after: str | None
    worker: str
    # True when retrying cannot help (the webhook is gone): the delivery fails now.
    final: bool = False

    @property
    def succeeded(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


def next_attempt_delay(
    delivery: Delivery, result: AttemptResult, rng: random.Random = _RNG
) -> timedelta | None:
    """The pause before the next attempt, or None when the delivery is finished."""
    if result.succeeded or result.final or result.status_code == 410:
        return None
    policy = RetryPolicy(tuple(timedelta(seconds=s) for s in delivery.retry_schedule))
    pause = policy.delay_before_attempt(result.number + 1, rng)
    if pause is None:
        return None
    if result.status_code in (429, 503):
        asked = retry_after_delay(result.retry_after, result.started_at, RETRY_AFTER_CAP)
        if asked is not None:
            return asked
    return pause


def record_results(
    session: Session,
    worker_id: str,
    deliveries: Mapping[int, Delivery],
    results: Sequence[AttemptResult],
    now: datetime,
) -> None:
    """Record a batch of attempts and move each delivery (and maybe its user) on.

    Two statements for the whole batch (an INSERT of the attempts, an executemany UPDATE of
    the deliveries); the UPDATE only touches rows this worker still holds, so a delivery
    whose lease ran out and was claimed elsewhere is left to its new owner. The attempt
    itself is recorded either way: it happened. The lanes of the batch are refreshed last
    (their heads move on), in the same transaction.
    """
    if not results:
        return
    session.execute(insert(Attempt), [_attempt_row(r) for r in results])
    rows = [_delivery_row(session, deliveries[r.delivery_id], r, now) for r in results]
    table = cast(Table, Delivery.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.claimed_by == bindparam("b_worker"))
        .values({key: bindparam(key) for key in rows[0] if not key.startswith("b_")})
    )
    session.execute(statement, [{**row, "b_worker": worker_id} for row in rows])
    moved = (deliveries[r.delivery_id] for r in results)
    lanes.refresh(session, {d.lane: d.receiver for d in moved}, now)


def apply_result(
    session: Session, delivery: Delivery, result: AttemptResult, now: datetime
) -> None:
    """Record one attempt of a delivery held by ``delivery.claimed_by``."""
    record_results(session, delivery.claimed_by or "", {delivery.id: delivery}, [result], now)


def _attempt_row(result: AttemptResult) -> dict[str, Any]:
    return {
        "delivery_id": result.delivery_id,
        "number": result.number,
        "started_at": result.started_at,
        "latency_ms": result.latency_ms,
        "status_code": result.status_code,
        "error": result.error,
        "response_excerpt": result.response_excerpt,
        "worker": result.worker,
    }


def _delivery_row(
    session: Session, delivery: Delivery, result: AttemptResult, now: datetime
) -> dict[str, Any]:
    pause = next_attempt_delay(delivery, result)
    if result.succeeded:
        state, completed, due = DeliveryState.DELIVERED, now, delivery.next_attempt_at
    elif pause is None:
        state, completed, due = DeliveryState.FAILED, now, delivery.next_attempt_at
    else:
        state, completed, due = DeliveryState.PENDING, None, now + pause
    version = delivery.error_status_version
    if delivery.user_id is not None:
        version = _update_user_status(session, delivery, result.succeeded)
    return {
        "b_id": delivery.id,
        "state": state,
        "completed_at": completed,
        "next_attempt_at": due,
        "attempt_count": result.number,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "lease_until": None,
        "claimed_by": None,
        "error_status_version": version,
    }


def _update_user_status(session: Session, delivery: Delivery, succeeded: bool) -> int | None:
    """Apply SPEC §6's status rule; returns the delivery's new ``error_status_version``."""
    # Conditional UPDATEs, not ORM loads: the user may be deleted or edited concurrently.
    if not succeeded and delivery.error_status_version is None:
        version = session.execute(
            update(User)
            .where(User.id == delivery.user_id, User.status != int(UserStatus.WebhookError))
            .values(status=int(UserStatus.WebhookError), status_version=User.status_version + 1)
            .returning(User.status_version)
        ).scalar()
        return version if version is not None else delivery.error_status_version
    if succeeded and delivery.error_status_version is not None:
        session.execute(
            update(User)
            .where(
                User.id == delivery.user_id, User.status_version == delivery.error_status_version
            )
            .values(status=int(UserStatus.OK), status_version=User.status_version + 1)
        )
        return None
    return delivery.error_status_version
