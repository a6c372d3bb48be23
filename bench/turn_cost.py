"""What one worker turn costs PostgreSQL when deliveries come one at a time.

``python -m bench.turn_cost [--rows 4000] [--turns 400]``

At a light load (a webhook per API call, tens per second) each delivery takes two turns of
its own: one claims it, one records its answer. This queues ``--rows`` deliveries in 200
lanes on a fresh PostgreSQL database, then ``--turns`` times claims one delivery and records
a 200 answer for it, each with the worker's own turn (``rookery.db.turns.record_and_claim``,
the statements the worker sends), and prints the mean wall time of each kind of turn and the
CPU time the server's backend spent on it (``/proc``, the backend's process on this host).
Compare checkouts by running it in each. A statement that reads the whole table shows here
as a cost that grows with ``--rows``.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.fixtures import queued_database
from bench.harness import cpu_seconds

LANES = 200
WORKER = "bench-turns"


def measure(url: str, turns: int) -> tuple[float, float, float, float, int]:
    """Mean wall and backend CPU seconds of a claim turn and of a record turn; turns done."""
    from rookery.db.engine import make_engine
    from rookery.db.outcomes import AttemptResult
    from rookery.db.turns import record_and_claim

    engine = make_engine(url)
    claim_wall = claim_cpu = record_wall = record_cpu = 0.0
    done = 0
    try:
        with engine.connect() as connection, Session(bind=connection) as session:
            backend = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            session.commit()
            for _ in range(turns):
                now = datetime.now(UTC)
                wall, cpu = time.perf_counter(), cpu_seconds(backend)
                claimed = record_and_claim(
                    session, WORKER, {}, [], 1, timedelta(seconds=60), now, depth=1
                )
                claim_wall += time.perf_counter() - wall
                claim_cpu += cpu_seconds(backend) - cpu
                if not claimed:
                    break
                delivery = claimed[0]
                answer = AttemptResult(
                    delivery_id=delivery.id,
                    number=1,
                    started_at=now,
                    latency_ms=1.0,
                    status_code=200,
                    error=None,
                    response_excerpt="ok",
                    retry_after=None,
                    worker=WORKER,
                )
                wall, cpu = time.perf_counter(), cpu_seconds(backend)
                record_and_claim(
                    session,
                    WORKER,
                    {delivery.id: delivery},
                    [answer],
                    0,
                    timedelta(seconds=60),
                    now,
                )
                record_wall += time.perf_counter() - wall
                record_cpu += cpu_seconds(backend) - cpu
                done += 1
    finally:
        engine.dispose()
    n = max(done, 1)
    return claim_wall / n, claim_cpu / n, record_wall / n, record_cpu / n, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.turn_cost", description=__doc__)
    parser.add_argument("--rows", type=int, default=4_000)
    parser.add_argument("--turns", type=int, default=400)
    args = parser.parse_args(argv)
    with queued_database("postgresql", args.rows, LANES, "rookery-turns-") as (url, queued):
        claim_wall, claim_cpu, record_wall, record_cpu, done = measure(url, args.turns)
    print(f"turn_cost on postgresql: {queued:,} deliveries in {LANES} lanes, {done} turns of each")
    for kind, wall, cpu in (("claim", claim_wall, claim_cpu), ("record", record_wall, record_cpu)):
        print(f"  {kind} one: {1e6 * wall:,.0f} µs wall, backend CPU {1e6 * cpu:,.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
