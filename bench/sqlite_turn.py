"""What one SQLite worker turn costs the worker's process, through the session and at the driver.

``python -m bench.sqlite_turn [--rows 12000] [--turns 1000] [--want 2] [--rounds 2]``

Queues ``--rows`` deliveries in 200 lanes on a fresh SQLite file, then takes ``--turns`` turns
the way a worker under a steady load does: each records the answers (200) to what the turn
before it claimed and claims up to ``--want`` more, in one transaction. It does so through
the session (:func:`rookery.db.turns.record_and_claim`, the path of the rare turns and of
every turn before the driver path existed) and at the driver
(:class:`rookery.db.sqlite_turns.SQLiteTurns`, the usual turn now), alternating, ``--rounds``
times each, and prints each block's CPU time of this process per turn (SQLite's own work
included: it runs in this process) and wall time per turn.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bench.fixtures import queued_database

LANES = 200
WORKER = "bench-sqlite-turns"
LEASE = timedelta(seconds=60)

if TYPE_CHECKING:
    from rookery.db.queue import ClaimedDelivery

Turn = Callable[[list["ClaimedDelivery"], int], list["ClaimedDelivery"]]


def _paths(url: str) -> tuple[dict[str, Turn], Callable[[], None]]:
    """A turn function per path (answers to record, how many to claim → claimed), and a close."""
    from sqlalchemy.orm import Session

    from rookery.db import queue
    from rookery.db.engine import make_engine
    from rookery.db.outcomes import AttemptResult, RecordedBatch
    from rookery.db.sqlite_turns import SQLiteTurns
    from rookery.db.turns import record_and_claim

    engine = make_engine(url)
    connection = engine.execution_options(rookery_first=True).connect()
    driver = SQLiteTurns(engine)

    def answers(sent: list[ClaimedDelivery], now: datetime) -> list[AttemptResult]:
        return [
            AttemptResult(d.id, d.attempt_count + 1, now, 1.0, 200, None, "ok", None, WORKER)
            for d in sent
        ]

    def through_session(sent: list[ClaimedDelivery], want: int) -> list[ClaimedDelivery]:
        now = datetime.now(UTC)
        with Session(bind=connection) as session:
            held = {d.id: d for d in sent}
            return record_and_claim(session, WORKER, held, answers(sent, now), want, LEASE, now)

    def at_the_driver(sent: list[ClaimedDelivery], want: int) -> list[ClaimedDelivery]:
        now = datetime.now(UTC)
        results = answers(sent, now)
        batch = RecordedBatch.plain(WORKER, {d.id: d for d in sent}, results, now)
        claim = queue.claim_params(WORKER, want, LEASE, now, ())
        done = driver.record_and_claim(batch if results else None, claim, now, wait=True)
        assert done is not None
        return done[0]

    def close() -> None:
        driver.close()
        connection.close()
        engine.dispose()

    paths: dict[str, Turn] = {
        "through the session": through_session,
        "at the driver": at_the_driver,
    }
    return paths, close


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_turn", description=__doc__)
    parser.add_argument("--rows", type=int, default=12_000)
    parser.add_argument("--turns", type=int, default=1_000)
    parser.add_argument("--want", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if args.rows < 2 * args.rounds * args.turns * args.want:
        parser.error("--rows must be at least 2 * rounds * turns * want: every turn claims")
    with queued_database("sqlite", args.rows, LANES, "rookery-sqlite-turns-") as (url, queued):
        print(
            f"sqlite_turn: {queued:,} deliveries in {LANES} lanes; turns that record the "
            f"last turn's answers and claim up to {args.want}",
            flush=True,
        )
        paths, close = _paths(url)
        try:
            for _ in range(args.rounds):
                for name, turn in paths.items():
                    sent: list[ClaimedDelivery] = []
                    cpu, wall = time.process_time(), time.perf_counter()
                    for _ in range(args.turns):
                        sent = turn(sent, args.want)
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    print(
                        f"  {name}: {1e6 * cpu / args.turns:,.0f} µs of CPU per turn, "
                        f"{1e6 * wall / args.turns:,.0f} µs wall",
                        flush=True,
                    )
        finally:
            close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
