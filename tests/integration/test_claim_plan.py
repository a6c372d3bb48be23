"""A claim reads the runs it takes, not the backlog, even where PostgreSQL has no
statistics (a new database, a bulk load, autovacuum off: the planner then guesses that few
rows are pending and used to read every pending row through ``ix_deliveries_due``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import TextClause

from rookery.db import queue
from tests.conftest import ServiceFactory
from tests.support.plans import backlog_on_postgresql, explain_analyze, rows_read
from tests.support.receiver import Receiver

BACKLOG = 2_000
SUBJECTS = 40
TAKEN = 16  # lanes
DEPTH = 4  # deliveries of each lane


def test_a_claim_reads_only_its_runs_whatever_the_backlog(
    start_service: ServiceFactory, receiver: Receiver
) -> None:
    service = backlog_on_postgresql(start_service, receiver, BACKLOG, SUBJECTS)
    claim = queue.CLAIM_POSTGRESQL.element
    assert isinstance(claim, TextClause)
    params = queue.claim_params("w", TAKEN, timedelta(seconds=60), datetime.now(UTC), [], DEPTH)
    with service.app.engine.connect() as connection:
        plan = explain_analyze(connection, claim, params)  # rolled back: takes nothing
    # Each delivery taken is read twice: in its lane's run, then by id to be claimed.
    taken = TAKEN * DEPTH
    assert rows_read(plan, "deliveries") <= 2 * taken, json.dumps(plan, indent=1)[:4000]
