"""Another process holding a SQLite file's write lock, as another ``rookery`` process's
transaction would (``rookery.db.process_lock``)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Holds the lock until its stdin closes.
_HOLDER = """
import sys
from rookery.db.process_lock import ProcessLock

lock = ProcessLock(sys.argv[1])
assert lock.acquire(10)
print("holding", flush=True)
sys.stdin.read()
lock.release()
"""


@contextmanager
def held_by_another_process(database: str) -> Iterator[Callable[[], None]]:
    """While inside, another process holds ``database``'s write lock; the value lets it go
    (it goes at the latest on leaving)."""
    other = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, f"{database}-turn"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdin is not None
    assert other.stdout is not None
    stdin = other.stdin
    try:
        assert other.stdout.readline().strip() == "holding"
        yield stdin.close
    finally:
        if not stdin.closed:
            stdin.close()
        other.wait(30)
        other.stdout.close()


def lock_is_free(database: str) -> bool:
    """Whether nobody holds ``database``'s write lock: tried on a descriptor of its own, which
    conflicts with any holder, this process's own included."""
    fd = os.open(f"{database}-turn", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)
