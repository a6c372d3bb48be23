"""PostgreSQL's NOTIFY wakes a worker in another process's place: a commit made through
another application object reaches the receiver long before the worker's poll would."""

from __future__ import annotations

import time

import pytest

from rookery.bootstrap import build
from rookery.delivery.runner import WorkerThread
from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, hook
from tests.support.receiver import Receiver

POLL_SECONDS = 60.0


def test_a_commit_elsewhere_wakes_the_worker_through_listen(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """With a 60 s poll and no in-process doorbell (the API is another application object,
    as another process would be), each new user's webhook arrives within 5 s: the LISTEN
    connection woke the worker, after it connected and for each later commit."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    if service.app.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the worker shares the process")
    worker_app = build(service.settings, migrate=False)
    worker = WorkerThread(worker_app, poll_seconds=POLL_SECONDS).start()
    try:
        create_user(service, "alice")
        receiver.wait_for(1, "/h", timeout=5)
        for count, name in enumerate(("bob", "carol", "dave"), start=2):
            created = time.monotonic()
            create_user(service, name)
            receiver.wait_for(count, "/h", timeout=5)
            assert time.monotonic() - created < 5
        probe = worker.probe()
        assert probe.running
        assert probe.database_trouble is None
    finally:
        worker.stop()
        worker_app.engine.dispose()
