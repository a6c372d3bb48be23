"""Which batches a turn may record without a session (db/outcomes.py ``RecordedBatch.plain``):
only those whose outcomes change no user's status, as a table (SPEC §6)."""

from __future__ import annotations

import pytest

from rookery.db.outcomes import RecordedBatch
from rookery.db.queue import ClaimedDelivery
from rookery.domain.delivery_states import DeliveryState
from tests.support.attempts import answered
from tests.support.claims import NOW, claimed

FIRST_FAILURE = (claimed(1, user_id=7), 500)
SUCCESS_AFTER_FAILURE = (claimed(1, user_id=7, error_status_version=3), 200)


@pytest.mark.parametrize(
    ("delivery", "status", "plain"),
    [
        (claimed(1), 200, True),  # no user behind the delivery
        (claimed(1), 500, True),
        (claimed(1, user_id=7), 200, True),  # create_user delivered: status stays OK
        (*FIRST_FAILURE, False),  # the user becomes WebhookError
        (claimed(1, user_id=7, error_status_version=3), 500, True),  # already WebhookError
        (*SUCCESS_AFTER_FAILURE, False),  # back to OK
    ],
)
def test_a_batch_is_plain_unless_a_user_status_changes(
    delivery: ClaimedDelivery, status: int, plain: bool
) -> None:
    result = answered(1, "w", status=status, at=NOW)
    batch = RecordedBatch.plain("w", {1: delivery}, [result], NOW)
    assert (batch is not None) is plain


def test_one_status_change_makes_the_whole_batch_go_the_long_way() -> None:
    deliveries = {1: claimed(1), 2: claimed(2, user_id=7, lane="r|t")}
    results = [answered(1, "w", at=NOW), answered(2, "w", status=500, at=NOW)]
    assert RecordedBatch.plain("w", deliveries, results, NOW) is None


def test_a_plain_batch_holds_what_the_long_way_would_write() -> None:
    deliveries = {1: claimed(1), 2: claimed(2, lane="r|t", receiver="r")}
    results = [answered(1, "w", at=NOW), answered(2, "w", status=500, at=NOW)]
    batch = RecordedBatch.plain("w", deliveries, results, NOW)
    assert batch is not None
    assert batch.lanes == {"r|s": "r", "r|t": "r"}
    delivered, retried = batch.rows
    assert (delivered["state"], delivered["completed_at"]) == (DeliveryState.DELIVERED, NOW)
    assert (retried["state"], retried["completed_at"]) == (DeliveryState.PENDING, None)
    assert retried["next_attempt_at"] > NOW
    assert delivered["error_status_version"] is None
