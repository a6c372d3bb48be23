"""Short use cases run on the API's event loop on SQLite, holding the write turn there.

On SQLite every writer of every process queues for one write turn
(:class:`rookery.db.engine.WriteGate`). A request thread that holds it shares the interpreter
lock with its process's other threads and event loop: each statement hands that lock away
(the driver releases it) and waits to get it back, with the turn held and every other
process waiting. Under 8 clients a permission write held the turn twice as long as its own
CPU time (docs/BENCHMARKS.md, seventeenth pass). :func:`run_write` waits for the turn on the
loop, without a thread, then runs the use case on the loop itself: nothing else of its
process runs Python meanwhile but the threads of reads.

Invariants:
- only use cases with no slow work of their own (no password hashing, no e-mail, no call
  out) come here: the loop serves nothing else while one runs;
- one of them at a time per loop (the write turn is re-entrant for the loop's thread, so a
  second one must not share it); the use case's own transactions enter the turn inside the
  hold and leave it to the hold;
- on PostgreSQL, and on SQLite while a thread of this process holds the turn, the use case
  runs on a thread, as every other route's does.

The price: a writer that bypasses Rookery's turn (an ``sqlite3`` shell holding a write
transaction on the file) makes the use case wait in SQLite's own busy handler, on the loop, up
to the busy timeout, and the loop serves nothing meanwhile. Rookery's own processes, the CLI
included, all take the turn, so only such a foreign writer can do that.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import Engine

from rookery.db.engine import locked_error, sqlite_gate

T = TypeVar("T")

_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def run_write(engine: Engine, call: Callable[..., T], *args: Any) -> T:
    """``call(*args)``, a use case that writes to ``engine``: on SQLite on this event loop once
    it holds the write turn, else on a thread (see the module's invariants)."""
    gate = sqlite_gate(engine)
    if gate is not None:
        async with _loop_lock():
            entered = await gate.enter_from_loop(first=False)
            if entered is not None:
                if not entered:
                    raise locked_error()
                try:
                    return call(*args)
                finally:
                    gate.leave()
    return await to_thread.run_sync(call, *args)


def _loop_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _LOCKS.get(loop)
    if lock is None:
        lock = _LOCKS[loop] = asyncio.Lock()
    return lock
