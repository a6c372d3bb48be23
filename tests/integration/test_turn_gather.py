"""Under a steady load a worker's claims gather: commits that come closer together than
``gather`` share one turn, while a commit after a quiet spell, and a backlog, go at once
(delivery/runner.py, ``gather``; setting ``ROOKERY_WORKER_GATHER_MS``); on SQLite a busy
claim stretches the next gather."""

from __future__ import annotations

import time

from rookery.delivery.runner import WorkerThread
from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver

# Far longer than the requests below take, and than a turn: only the gather can explain a
# wait this long, and the commits made meanwhile cannot miss it.
GATHER = 3.0
# Long enough for the answers that just arrived to be recorded (they linger 20 ms at most).
RECORDED = 0.2


def test_commits_close_together_share_a_turn(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """After a quiet spell the first user's webhook is claimed at once; the three users
    created right after it wait for the gather and are claimed together, in one turn."""
    service = start_service([hook(receiver, "one", "/one")], worker=False)
    thread = WorkerThread(service.app, gather=GATHER).start()
    assert thread.worker is not None
    try:
        time.sleep(GATHER + 0.5)  # quiet: the start's turn is further back than the gather
        turns = thread.worker.turns
        started = time.monotonic()
        create_user(service, "first")
        receiver.wait_for(1, "/one", timeout=10)
        first = time.monotonic() - started
        for name in ("second", "third", "fourth"):
            create_user(service, name)
        receiver.wait_for(4, "/one", timeout=10)
        gathered = time.monotonic() - started
        claims = thread.worker.turns - turns
    finally:
        thread.stop()
    assert first < GATHER / 2, first
    assert gathered >= GATHER * 0.9, gathered  # the later three waited for the gather
    # One turn claimed the first, one the other three, one recorded their answers; the
    # first's answer rides on the three's claim, or takes a turn of its own when the second
    # commit comes after its linger (a loaded host). Claimed one by one, the three would
    # have taken three turns of their own.
    assert claims <= 4, claims
    users = [r.json()["user"] for r in receiver.on("/one")]
    # Each user has a lane of its own: the three claimed together go out side by side.
    assert users[0] == "first", users
    assert sorted(users[1:]) == ["fourth", "second", "third"], users


def test_a_backlog_drains_without_gathering(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Twelve users' webhooks wait in the queue; the worker may send one at a time to the
    receiver, so every claim takes all it may and leaves lanes due: none waits for the
    gather, and the twelve arrive long before a single gather would have passed."""
    service = start_service([hook(receiver, "one", "/one")], worker=False)
    names = [f"user{number}" for number in range(12)]
    for name in names:
        create_user(service, name)
    started = time.monotonic()
    thread = WorkerThread(service.app, gather=GATHER, concurrency=2).start()
    try:
        receiver.wait_for(len(names), "/one", timeout=30)
        drained = time.monotonic() - started
    finally:
        thread.stop()
    assert drained < GATHER, drained
    assert sorted(r.json()["user"] for r in receiver.on("/one")) == sorted(names)


def test_sqlite_gathers_twice_as_long_after_a_busy_claim(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """On SQLite a claim of three or more (a steady load) makes the next claim gather twice
    as long, and a claim of one brings the plain gather back; PostgreSQL keeps the plain one."""
    service = start_service([hook(receiver, "one", "/one")], worker=False)
    stretch = 2 if service.app.engine.dialect.name == "sqlite" else 1
    gather = 1.0
    thread = WorkerThread(service.app, gather=gather).start()
    try:
        time.sleep(gather + 0.5)  # quiet
        create_user(service, "first")  # claimed at once, alone
        receiver.wait_for(1, "/one", timeout=10)
        time.sleep(RECORDED)
        for name in ("second", "third", "fourth"):
            create_user(service, name)  # gathered: one claim of three
        receiver.wait_for(4, "/one", timeout=10)
        busy = time.monotonic()
        time.sleep(RECORDED)  # a commit before the answers' turn would be claimed by it
        create_user(service, "after-three")
        receiver.wait_for(5, "/one", timeout=10)
        after_three = time.monotonic() - busy
        calm = time.monotonic()
        time.sleep(RECORDED)
        create_user(service, "after-one")
        receiver.wait_for(6, "/one", timeout=10)
        after_one = time.monotonic() - calm
    finally:
        thread.stop()
    assert (stretch - 0.3) * gather <= after_three < (stretch + 0.5) * gather, after_three
    assert 0.5 * gather <= after_one < 1.5 * gather, after_one
