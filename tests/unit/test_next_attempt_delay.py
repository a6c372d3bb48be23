"""The retry decision after one attempt, as a table (db/outcomes.py ``next_attempt_delay``)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from rookery.db.models import Delivery
from rookery.db.outcomes import RETRY_AFTER_CAP, AttemptResult, next_attempt_delay
from tests.support.attempts import tried

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
SCHEDULE = [1.0, 10.0, 60.0]


class NoJitter(random.Random):
    """A random source whose jitter is always the middle of its range."""

    def uniform(self, a: float, b: float) -> float:
        """The midpoint, so a scheduled pause comes back unchanged."""
        return (a + b) / 2


def result(
    number: int, status: int | None, retry_after: str | None = None, *, final: bool = False
) -> AttemptResult:
    """Attempt ``number`` of delivery 1 at ``NOW``, answered ``status`` (None: no answer)."""
    return tried(number, status, retry_after, final=final, at=NOW)


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [
        (result(1, 200), None),  # delivered
        (result(1, 204), None),
        (result(1, 410), None),  # Gone: never again
        (result(1, 500, final=True), None),  # the webhook is gone
        (result(1, 500), timedelta(seconds=1)),  # first retry after the first pause
        (result(2, None), timedelta(seconds=10)),  # no answer counts as a failure
        (result(3, 404), timedelta(seconds=60)),
        (result(4, 500), None),  # schedule used up: failed
        (result(1, 429, "30"), timedelta(seconds=30)),  # Retry-After replaces the pause
        (result(1, 503, "7200"), RETRY_AFTER_CAP),  # ... up to the cap
        (result(1, 503, "soon"), timedelta(seconds=1)),  # unreadable: the schedule's pause
        (result(1, 500, "30"), timedelta(seconds=1)),  # only 429/503 are heeded
        (result(4, 429, "30"), None),  # Retry-After never adds an attempt
    ],
)
def test_next_attempt_delay(attempt: AttemptResult, expected: timedelta | None) -> None:
    """Success, 410 and a final refusal end a delivery; failures follow the schedule."""
    delivery = Delivery(id=1, retry_schedule=SCHEDULE)
    assert next_attempt_delay(delivery, attempt, NoJitter()) == expected
