"""What an attempt's result does: the delivery's next state, and the user's status.

Rules (SPEC §6):
- success is a 2xx answer; anything else (3xx included) or no answer is a failure;
- a failure is retried on the delivery's schedule with jitter; ``Retry-After`` on 429/503
  replaces the pause (bounded); ``410 Gone`` ends the delivery at once;
- after the last attempt the delivery is ``failed`` (still retryable by API/CLI);
- a failed ``create_user`` attempt sets the user ``WebhookError``; a later success returns it
  to ``OK`` unless someone (a callback, an admin) changed the status in between.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from rookery.db.models import Attempt, Delivery, User
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

    @property
    def succeeded(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


def next_attempt_delay(
    delivery: Delivery, result: AttemptResult, rng: random.Random = _RNG
) -> timedelta | None:
    """The pause before the next attempt, or None when the delivery is finished."""
    if result.succeeded or result.status_code == 410:
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


def apply_result(
    session: Session, delivery: Delivery, result: AttemptResult, now: datetime
) -> None:
    """Record the attempt and move the delivery (and maybe its user) on."""
    session.add(
        Attempt(
            delivery_id=delivery.id,
            number=result.number,
            started_at=result.started_at,
            latency_ms=result.latency_ms,
            status_code=result.status_code,
            error=result.error,
            response_excerpt=result.response_excerpt,
            worker=result.worker,
        )
    )
    delivery.attempt_count = result.number
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.lease_until = None
    delivery.claimed_by = None
    pause = next_attempt_delay(delivery, result)
    if result.succeeded:
        delivery.state, delivery.completed_at = "delivered", now
    elif pause is None:
        delivery.state, delivery.completed_at = "failed", now
    else:
        delivery.state, delivery.next_attempt_at = "pending", now + pause
    if delivery.user_id is not None:
        _update_user_status(session, delivery, result.succeeded)


def _update_user_status(session: Session, delivery: Delivery, succeeded: bool) -> None:
    # Conditional UPDATEs, not ORM loads: the user may be deleted or edited concurrently.
    if not succeeded and delivery.error_status_version is None:
        version = session.execute(
            update(User)
            .where(User.id == delivery.user_id, User.status != int(UserStatus.WebhookError))
            .values(status=int(UserStatus.WebhookError), status_version=User.status_version + 1)
            .returning(User.status_version)
        ).scalar()
        if version is not None:
            delivery.error_status_version = version
    elif succeeded and delivery.error_status_version is not None:
        session.execute(
            update(User)
            .where(
                User.id == delivery.user_id, User.status_version == delivery.error_status_version
            )
            .values(status=int(UserStatus.OK), status_version=User.status_version + 1)
        )
        delivery.error_status_version = None
