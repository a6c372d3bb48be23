"""How often an API process hands the interpreter lock from thread to thread.

An API process answers each request on a thread of its pool, and those threads take the
interpreter lock in turn. CPython lets a running thread keep it for the switch interval
(5 ms by default) before a waiting thread gets it. A thread that holds a database
transaction and waits for the lock keeps that transaction open meanwhile: on SQLite the
write turn, which every other process's writes queue behind (the worker's included). With
threads switching every 0.5 ms, SQLite's permission writes with a webhook rose by 14-41 %
under 8 clients and PostgreSQL's did not fall (docs/BENCHMARKS.md, "fourteenth pass").
A delivery worker in a process of its own keeps the default: it holds the turn on one thread.
"""

from __future__ import annotations

import sys

API_SWITCH_INTERVAL = 0.0005  # seconds


def switch_threads_often() -> None:
    """In an API process, before it serves: hand the interpreter lock on every 0.5 ms."""
    sys.setswitchinterval(API_SWITCH_INTERVAL)
