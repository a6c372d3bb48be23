"""Recording a batch reads the batch's deliveries, not the table: the planner takes the
batch's JSON for a hundred rows, and joined against it by ``claimed_by`` alone it read every
delivery (a sequential scan: 2 ms a turn at 4,000 rows, O(table) per turn; docs/BENCHMARKS.md,
"The record's sequential scan")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rookery.db import queue
from rookery.db.outcomes import RECORD_POSTGRESQL, RecordedBatch
from tests.conftest import ServiceFactory
from tests.support.attempts import answered
from tests.support.plans import backlog_on_postgresql, explain_analyze, rows_read
from tests.support.receiver import Receiver

BACKLOG = 2_000
SUBJECTS = 40
RECORDED = 3


def test_a_record_reads_only_its_batch_whatever_the_table(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = backlog_on_postgresql(start_service, receiver, BACKLOG, SUBJECTS)
    now = datetime.now(UTC)
    with service.app.session() as session:
        claimed = queue.claim_due(session, "w", RECORDED, timedelta(seconds=60), now)
        session.commit()
    assert len(claimed) == RECORDED
    held = {delivery.id: delivery for delivery in claimed}
    results = [answered(delivery.id, "w") for delivery in claimed]
    batch = RecordedBatch.plain("w", held, results, now)
    assert batch is not None
    with service.app.engine.connect() as connection:
        plan = explain_analyze(connection, RECORD_POSTGRESQL, batch.params())
    assert rows_read(plan, "deliveries") <= RECORDED, plan
