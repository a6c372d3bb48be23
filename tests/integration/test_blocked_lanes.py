"""Blocked lanes: a lane whose head has held deliveries behind it for longer than
``ROOKERY_LANE_BLOCKED_SECONDS`` is counted in ``/metrics`` and listed by the delivery log's
``blocked=true``; a failing lane with nothing behind it is not blocked."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import ServiceFactory
from tests.integration.test_health_metrics import scrape
from tests.support.delivery_log import create_user, deliveries, hook
from tests.support.receiver import Receiver
from tests.support.service import Service

THRESHOLD = 3
WAIT = {"schedule": [120]}  # fail once, then wait two minutes


@pytest.fixture
def other() -> Iterator[Receiver]:
    """A second receiver: its lanes are apart from the first one's."""
    server = Receiver().start()
    yield server
    server.stop()


def _blocked_gauge(service: Service) -> float:
    return scrape(service)[("rookery_delivery_lanes_blocked", ())]


def test_a_lane_held_past_the_threshold_is_counted_and_listed(
    start_service: ServiceFactory, receiver: Receiver, other: Receiver
) -> None:
    """Two deliveries to a failing receiver for one user: the second waits behind the first;
    once the first has led for THRESHOLD seconds the gauge says 1 and ``blocked=true`` lists
    the first only. The other receiver's lone failing delivery blocks nothing."""
    receiver.script("/fail", default=500)
    other.script("/fail", default=500)
    service = start_service(
        [
            hook(receiver, "first", "/fail", retry=WAIT),
            hook(receiver, "second", "/fail", retry=WAIT),
            hook(other, "alone", "/fail", retry=WAIT),
        ],
        lane_blocked_seconds=THRESHOLD,
    )
    started = time.monotonic()
    create_user(service, "alice")
    receiver.wait_for(1, "/fail")
    other.wait_for(1, "/fail")
    if time.monotonic() - started < THRESHOLD - 0.5:  # too slow a machine proves nothing here
        assert _blocked_gauge(service) == 0
        assert deliveries(service, blocked="true")["total"] == 0

    deadline = time.monotonic() + THRESHOLD + 10
    while _blocked_gauge(service) != 1:
        assert time.monotonic() < deadline, "the lane never counted as blocked"
        time.sleep(0.2)
    page = deliveries(service, blocked="true")
    assert page["total"] == 1
    (head,) = page["deliveries"]
    assert head["webhook_name"] == "first"
    assert head["state"] == "pending"
    assert head["attempt_count"] == 1
    assert len(receiver.on("/fail")) == 1  # the second one never left
