"""A lane's run as tables (delivery/runs.py): how claims split into runs, and when a run goes
on past a delivery (exactly when the recording will call that delivery finished)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rookery.db.outcomes import AttemptResult
from rookery.db.queue import ClaimedDelivery
from rookery.delivery.runs import run_goes_on, split_runs

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def claimed(delivery_id: int, lane: str, *, attempts: int = 0) -> ClaimedDelivery:
    """A claimed delivery of ``lane`` with ``attempts`` made, retried on a 2-pause schedule."""
    return ClaimedDelivery(
        id=delivery_id,
        uid=f"msg_{delivery_id}",
        event_id="e",
        action="create_user",
        webhook_name="h",
        webhook_key="create_user/h",
        lane=lane,
        receiver="http://127.0.0.1:1",
        attempt_count=attempts,
        next_attempt_at=NOW,
        claimed_by="w",
        method="POST",
        url="http://127.0.0.1:1/h",
        headers={},
        body=b"{}",
        timeout_seconds=5.0,
        retry_schedule=[1.0, 10.0],
        user_id=None,
        error_status_version=None,
    )


def result(number: int, status: int | None, *, final: bool = False) -> AttemptResult:
    """Attempt ``number`` of delivery 1, answered ``status`` (None: no answer)."""
    return AttemptResult(
        delivery_id=1,
        number=number,
        started_at=NOW,
        latency_ms=1.0,
        status_code=status,
        error=None if status == 200 else "failed",
        response_excerpt=None,
        retry_after=None,
        worker="w",
        final=final,
    )


def test_claims_split_into_runs_by_lane_in_id_order() -> None:
    """Whatever order the claim returned them in, each lane's deliveries form one run, lowest
    id first; runs keep the order of their lowest ids."""
    rows = [claimed(7, "b"), claimed(3, "a"), claimed(5, "b"), claimed(4, "a"), claimed(9, "c")]
    runs = split_runs(rows)
    assert [[d.id for d in run] for run in runs] == [[3, 4], [5, 7], [9]]


def test_no_claims_make_no_runs() -> None:
    """An empty claim starts nothing."""
    assert split_runs([]) == []


@pytest.mark.parametrize(
    ("attempts_made", "status", "final", "goes_on"),
    [
        (0, 200, False, True),  # delivered
        (0, 204, False, True),  # any 2xx is delivered
        (0, 500, False, False),  # retried later: the lane waits for it
        (0, None, False, False),  # no answer: retried too
        (0, 429, False, False),  # asked to wait: the lane waits
        (0, 410, False, True),  # gone: failed for good, the lane moves on
        (0, None, True, True),  # refused (webhook gone): failed for good
        (2, 500, False, True),  # third attempt of three failed: failed for good
        (1, 500, False, False),  # second of three failed: one more to come
    ],
)
def test_a_run_goes_on_only_past_a_finished_delivery(
    attempts_made: int, status: int | None, final: bool, goes_on: bool
) -> None:
    """The run sends the next delivery of the lane only when this one will not be tried again."""
    delivery = claimed(1, "a", attempts=attempts_made)
    assert run_goes_on(delivery, result(attempts_made + 1, status, final=final)) is goes_on
