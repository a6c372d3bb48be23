"""A lane's run as tables (delivery/runs.py): how claims split into runs, and when a run goes
on past a delivery (exactly when the recording will call that delivery finished)."""

from __future__ import annotations

import pytest

from rookery.db.outcomes import AttemptResult
from rookery.db.queue import ClaimedDelivery
from rookery.delivery.runs import run_goes_on, split_runs
from tests.support.attempts import tried
from tests.support.claims import NOW, claimed


def in_lane(delivery_id: int, lane: str, *, attempts: int = 0) -> ClaimedDelivery:
    """A claimed delivery of ``lane`` with ``attempts`` made, retried on a 2-pause schedule."""
    return claimed(delivery_id, lane=lane, attempt_count=attempts, retry_schedule=[1.0, 10.0])


def result(number: int, status: int | None, *, final: bool = False) -> AttemptResult:
    """Attempt ``number`` of delivery 1, answered ``status`` (None: no answer)."""
    return tried(number, status, final=final, at=NOW)


def test_claims_split_into_runs_by_lane_in_id_order() -> None:
    """Whatever order the claim returned them in, each lane's deliveries form one run, lowest
    id first; runs keep the order of their lowest ids."""
    rows = [in_lane(7, "b"), in_lane(3, "a"), in_lane(5, "b"), in_lane(4, "a"), in_lane(9, "c")]
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
    delivery = in_lane(1, "a", attempts=attempts_made)
    assert run_goes_on(delivery, result(attempts_made + 1, status, final=final)) is goes_on
