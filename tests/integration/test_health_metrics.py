"""``/health`` and ``/metrics`` through the real service: database, worker heartbeat, queue
depth and age, deliveries per state and webhook, and the attempt latency histogram."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from rookery.db.engine import make_engine, make_session_factory
from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, hook, wait_for_count
from tests.support.receiver import Receiver
from tests.support.service import Service

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(service: Service) -> Samples:
    """Every sample of an anonymous ``GET /metrics``, keyed by name and sorted labels."""
    response = service.client().get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"duplicate sample {key}"
            samples[key] = sample.value
    return samples


def health(service: Service) -> tuple[int, dict[str, Any]]:
    """Status code and body of an anonymous ``GET /health``."""
    response = service.client().get("/health")
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_health_reports_live_worker_and_empty_queue(start_service: ServiceFactory) -> None:
    """With the in-process worker, /health is public and reports the database reachable, a
    recent worker heartbeat and an empty queue."""
    service = start_service()
    deadline = time.monotonic() + 10
    code, body = health(service)
    while not body["worker"]["alive"]:
        assert time.monotonic() < deadline, body
        time.sleep(0.05)
        code, body = health(service)
    assert code == 200
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    beat = datetime.fromisoformat(body["worker"]["last_beat"])
    assert abs((datetime.now(UTC) - beat).total_seconds()) < 30
    assert body["worker"]["live_workers"] >= 1
    assert body["queue"] == {
        "depth": 0,
        "oldest_pending_at": None,
        "oldest_pending_age_seconds": 0.0,
        "due": False,
    }
    assert body["worker"]["in_process_running"] is True
    assert body["problem"] is None
    assert scrape(service)[("rookery_worker_alive", ())] == 1


def test_backlog_without_worker_shows_in_health_and_metrics(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """With no worker running and a delivery due, /health answers 503 naming the cause, and
    both routes count the waiting delivery and its age."""
    service = start_service([hook(receiver, "mirror", "/h")], worker=False)
    code, body = health(service)
    assert (code, body["status"]) == (200, "degraded")  # no worker, but nothing is due
    create_user(service, "alice")
    code, body = health(service)
    assert code == 503
    assert body["status"] == "failing"
    assert "no worker" in body["problem"]
    assert body["queue"]["due"] is True
    assert body["worker"]["alive"] is False
    assert body["worker"]["live_workers"] == 0
    assert body["worker"]["last_beat"] is None
    assert body["queue"]["depth"] == 1
    assert body["queue"]["oldest_pending_age_seconds"] >= 0
    assert body["queue"]["oldest_pending_at"] is not None
    samples = scrape(service)
    assert samples[("rookery_queue_depth", ())] == 1
    assert samples[("rookery_oldest_pending_seconds", ())] >= 0
    assert samples[("rookery_workers_alive", ())] == 0
    assert samples[("rookery_delivery_up", ())] == 0
    assert ("rookery_worker_alive", ()) not in samples  # this process runs no worker
    assert samples[("rookery_deliveries_total", (("state", "pending"), ("webhook", "mirror")))] == 1
    assert receiver.requests == []


def test_health_is_503_when_the_database_is_unreachable(start_service: ServiceFactory) -> None:
    """When the database stops answering, /health says 503 and /metrics fails visibly."""
    service = start_service(worker=False)
    assert health(service)[0] == 200
    dead = make_engine("postgresql://nobody@127.0.0.1:1/none", pool_pre_ping=False)
    service.app.session_factory = make_session_factory(dead)
    service.app.read_session_factory = make_session_factory(dead)
    code, body = health(service)
    assert code == 503
    assert body["database"]["reachable"] is False
    assert service.client().get("/metrics").status_code == 503
    dead.dispose()


def test_metrics_count_deliveries_and_attempt_latencies(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    """Deliveries per state and webhook, and a cumulative latency histogram per webhook, match
    what the worker did; repeated scrapes agree (no state carried between scrapes)."""
    receiver.script("/ok", default=200)
    receiver.script("/bad", default=500)
    service = start_service(
        [
            hook(receiver, "ok-hook", "/ok"),
            hook(receiver, "bad-hook", "/bad", retry={"schedule": ["50ms"]}),
        ]
    )
    for name in ("bob", "carol"):
        create_user(service, name)
    wait_for_count(service, 2, status="delivered")
    wait_for_count(service, 2, status="failed")
    samples = scrape(service)
    assert samples == scrape(service)
    assert (
        samples[("rookery_deliveries_total", (("state", "delivered"), ("webhook", "ok-hook")))] == 2
    )
    assert (
        samples[("rookery_deliveries_total", (("state", "failed"), ("webhook", "bad-hook")))] == 2
    )
    assert samples[("rookery_queue_depth", ())] == 0
    assert samples[("rookery_oldest_pending_seconds", ())] == 0
    for webhook, attempts in (("ok-hook", 2), ("bad-hook", 4)):
        label = (("webhook", webhook),)
        assert samples[("rookery_attempt_latency_seconds_count", label)] == attempts
        assert 0 < samples[("rookery_attempt_latency_seconds_sum", label)] < 10 * attempts
        buckets = sorted(
            (float(dict(labels)["le"]), value)
            for (name, labels), value in samples.items()
            if name == "rookery_attempt_latency_seconds_bucket"
            and dict(labels)["webhook"] == webhook
        )
        counts = [value for _, value in buckets]
        assert counts == sorted(counts), "buckets are cumulative"
        assert buckets[-1] == (float("inf"), attempts)
        assert dict(buckets)[30.0] == attempts  # local attempts never take 30 s
