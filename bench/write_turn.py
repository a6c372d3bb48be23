"""SQLite writers of one process taking turns: one-row transactions from N threads.

``python -m bench.write_turn [--threads 8] [--transactions 400]`` prints the transactions per
second and the process's CPU share. It isolates the hand-over of the write turn
(``rookery.db.engine``): a turn handed on before the COMMIT made the next ``BEGIN IMMEDIATE``
sleep in SQLite's busy handler, which shows as a CPU share well under 100 %.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import text

from rookery.db.engine import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--transactions", type=int, default=400, help="per thread")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        engine = make_engine(f"sqlite:///{Path(workdir) / 'turns.db'}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))

        def write() -> None:
            for _ in range(args.transactions):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO t (v) VALUES ('x')"))

        threads = [threading.Thread(target=write) for _ in range(args.threads)]
        started, cpu = time.perf_counter(), time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        engine.dispose()
    total = args.threads * args.transactions
    share = 100 * (time.process_time() - cpu) / elapsed
    print(
        f"{args.threads} threads x {args.transactions} one-row transactions: "
        f"{total / elapsed:,.0f}/s, CPU {share:.0f} % of a core"
    )


if __name__ == "__main__":
    main()
