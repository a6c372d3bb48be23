"""No configured header value or signing secret is stored, shown or logged (SPEC §9; issue 9
item 9): receivers get them, while the database, the API and the log of a whole run do not."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from tests.conftest import ServiceFactory
from tests.support.delivery_log import create_user, wait_for_count
from tests.support.receiver import Receiver
from tests.support.secrets import SecretHook, database_text, leaks


@pytest.fixture
def hooks() -> Iterator[list[SecretHook]]:
    """Two webhooks on one receiver: `flaky` answers 500 once, then 200; `steady` answers 200."""
    receiver = Receiver().start()
    receiver.script("/flaky", statuses=[500])
    yield [
        SecretHook.make("flaky", receiver, retry={"schedule": ["50ms"]}),
        SecretHook.make("steady", receiver, url=receiver.url("/steady?via=query")),
    ]
    receiver.stop()


def test_no_header_value_or_secret_in_database_api_or_log(
    start_service: ServiceFactory,
    database_url: str,
    hooks: list[SecretHook],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After deliveries (one failed attempt, then success) the receivers hold every configured
    value, while no table column, no API answer and no log line (every logger at DEBUG,
    SQL statements included) holds any of them."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # statements and parameters
    service = start_service([hook.item() for hook in hooks])
    create_user(service, "alice")
    sent = wait_for_count(service, 2, status="delivered")
    receiver = hooks[0].receiver
    for hook in hooks:
        for got in receiver.on(hook.path):
            assert all(got.headers[name.lower()] == value for name, value in hook.headers.items())
    assert len(receiver.on("/flaky")) == 2

    answers = [
        service.admin.get("/webhooks"),
        service.admin.get("/webhooks/deliveries"),
        *(service.admin.get(f"/webhooks/deliveries/{d['id']}") for d in sent),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert leaks(answer.text, hooks) == [], answer.url
    listed = answers[0].json()["webhooks"]
    assert [w["headers"] for w in listed] == [dict.fromkeys(h.headers, "***") for h in hooks]
    request = answers[2].json()["delivery"]["request"]
    assert set(request["headers"].values()) <= {"***", "application/json"}

    service.stop()
    engine = create_engine(database_url)
    try:
        stored = database_text(engine)
    finally:
        engine.dispose()
    assert "deliveries: create_user/flaky" in stored
    assert leaks(stored, hooks) == []
    assert "HTTP 500" in caplog.text  # the failed attempt was logged
    assert "INSERT INTO deliveries" in caplog.text  # and so was the SQL
    assert leaks(caplog.text, hooks) == []
