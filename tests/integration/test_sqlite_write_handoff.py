"""SQLite writers hand the write lock on only once the transaction has ended, and take turns
across processes too (``serve``'s API and worker share one file).

SQLAlchemy's commit and rollback hooks run before its own COMMIT or ROLLBACK; a turn handed
on there let the next writer's ``BEGIN IMMEDIATE`` meet the lock still held and sleep in
SQLite's busy handler (docs/BENCHMARKS.md, "The write turn passed on before the commit").
With SQLite's own wait set to zero, any such meeting is an immediate "database is locked".
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from rookery.db.engine import make_engine

THREADS = 8
TRANSACTIONS = 150


def test_no_writer_meets_the_lock_of_a_transaction_that_handed_on_its_turn(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'handoff.db'}", sqlite_busy_timeout=10)

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)"))
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(TRANSACTIONS):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
                    if i % 10 == 0:
                        connection.rollback()  # the rollback path hands on the turn too
        except BaseException as error:  # collected, asserted below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as connection:
        written = connection.execute(text("SELECT count(*) FROM t")).scalar_one()
    assert written == THREADS * (TRANSACTIONS - TRANSACTIONS // 10)
    engine.dispose()


# A writer in another process, with SQLite's own wait at zero: only the lock file keeps it
# from meeting the other process's transactions.
_WRITER = """
import sys
from sqlalchemy import event, text
from rookery.db.engine import make_engine

engine = make_engine(sys.argv[1], sqlite_busy_timeout=10)
event.listen(engine, "connect", lambda dbapi, _r: dbapi.execute("PRAGMA busy_timeout=0"))
for _ in range(int(sys.argv[2])):
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t (n) VALUES (1)"))
"""


def test_processes_on_one_file_take_turns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)"))
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, url, str(TRANSACTIONS * 2)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    failures = [w.stderr.read() if w.stderr else "" for w in writers if w.wait(120) != 0]
    assert failures == []
    with engine.connect() as connection:
        written = connection.execute(text("SELECT count(*) FROM t")).scalar_one()
    assert written == 3 * TRANSACTIONS * 2
    engine.dispose()
