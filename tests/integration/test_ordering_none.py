"""``ordering: none``: a webhook's deliveries leave their receiver-and-subject lane and go out
in parallel, while the ordered webhooks of the same receiver and subject still go one at a time."""

from __future__ import annotations

import itertools

from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, deliveries, hook
from tests.support.receiver import Receiver

DELAY = 1.0
COUNT = 3


def test_unordered_deliveries_are_in_flight_together_and_ordered_ones_are_not(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """With a receiver that takes 1 s per request, three `ordering: none` deliveries for one
    user finish within one delay of each other (sent concurrently), while three ordered ones
    for the same user and receiver finish a full delay apart, in commit order."""
    receiver.script("/free", delay=DELAY)
    receiver.script("/ordered", delay=DELAY)
    free = [hook(receiver, f"free{i}", "/free", ordering="none") for i in range(COUNT)]
    ordered = [hook(receiver, f"ordered{i}", "/ordered") for i in range(COUNT)]
    service = start_service([*ordered, *free])
    create_user(service, "alice")

    free_at = [r.at for r in receiver.wait_for(COUNT, "/free", timeout=30)]
    ordered_got = receiver.wait_for(COUNT, "/ordered", timeout=30)
    assert max(free_at) - min(free_at) < DELAY * 0.9
    ordered_at = [r.at for r in ordered_got]
    gaps = [later - earlier for earlier, later in itertools.pairwise(ordered_at)]
    assert all(gap >= DELAY * 0.9 for gap in gaps), gaps

    log = deliveries(service, limit=50)["deliveries"]
    names = [d["webhook_name"] for d in sorted(log, key=lambda d: d["id"])]
    assert names[:COUNT] == [f"ordered{i}" for i in range(COUNT)]
