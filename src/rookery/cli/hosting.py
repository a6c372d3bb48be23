"""``rookery serve`` across processes: N API processes on one socket and a delivery worker.

Invariants:

- Everything that must happen once (settings and ``.env``, migrations, the bootstrap
  administrator, the cookie secret, binding the socket) happens in the parent before any
  fork; the children inherit the built application and the listening socket and never
  repeat it. The parent disposes of its connection pool before forking, so no database
  connection is ever shared by two processes.
- Each API process runs uvicorn on the inherited socket (the kernel hands each connection
  to one of them); the delivery worker runs alone in its own process and is woken by
  PostgreSQL's ``NOTIFY``, which every commit that queues deliveries sends.
- SIGTERM or SIGINT to the parent is passed to every child (one arriving while forking is
  held until every child exists); the parent exits when all have exited (children still
  running after ``STOP_GRACE_SECONDS`` are killed). On Linux a child also gets SIGTERM when
  the parent dies, even by SIGKILL, so no orphaned half-tree keeps the port.
- A child that exits while the parent is not stopping brings the whole tree down, with one
  log line naming it and its exit status, and ``serve`` exits 1: a supervisor (systemd,
  Kubernetes, Docker) restarts one thing, never a half-running service.
- On SQLite ``serve`` runs its API processes (the cores, like PostgreSQL) and the delivery
  worker in a process of its own, so none shares an interpreter lock with another. They
  share the database file as SQLite allows: any number of readers, and one writing
  transaction at a time across all of them (``db.engine``'s write turn, made cross-process
  by a lock file, the worker's turns first); the worker is woken by a doorbell the API
  processes ring after each commit that queued deliveries (``delivery.doorbell``), as
  ``NOTIFY`` does on PostgreSQL. Each process does its reading, parsing, rendering and
  hashing outside the write turn, so a second API process raised SQLite's write rates by
  14-81 % (docs/BENCHMARKS.md, "fourteenth pass"). Several workers are refused on SQLite
  rather than silently lowered: a SQLite worker re-queues at start whatever another worker
  holds.
- ``rookery worker --processes N`` (or ``ROOKERY_WORKER_PROCESSES``) supervises N worker
  processes the same way, without a socket; they share the queue as workers on several
  hosts do (each delivery claimed by one worker at a time).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable

from rookery.bootstrap import Rookery
from rookery.cli.heap import freeze_startup_objects
from rookery.cli.switching import switch_threads_often
from rookery.delivery.doorbell import Doorbell
from rookery.errors import InvalidInputError

LOG = logging.getLogger("rookery.serve")
STOP_GRACE_SECONDS = 10.0
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
_PR_SET_PDEATHSIG = 1


def api_processes(setting: int) -> int:
    """How many API processes to run: the setting, or (0) one per core."""
    if setting < 0:
        raise InvalidInputError(
            f"ROOKERY_API_PROCESSES: {setting} is negative (0 means automatic)",
            param="ROOKERY_API_PROCESSES",
        )
    return setting or os.cpu_count() or 1


def worker_processes(setting: int, backend: str) -> int:
    """How many delivery worker processes to run: the setting; SQLite accepts only 1."""
    if backend == "sqlite" and setting > 1:
        raise InvalidInputError(
            f"ROOKERY_WORKER_PROCESSES: SQLite has one delivery worker, under `rookery serve` "
            f"(got {setting}; use PostgreSQL for several)",
            param="ROOKERY_WORKER_PROCESSES",
        )
    if setting < 1:
        raise InvalidInputError(
            f"ROOKERY_WORKER_PROCESSES: {setting} is not a positive number of processes",
            param="ROOKERY_WORKER_PROCESSES",
        )
    return setting


def _run_api(rookery: Rookery, sock: socket.socket, doorbell: Doorbell | None = None) -> None:
    import uvicorn

    from rookery.web import SERVER_OPTIONS, create_app

    if doorbell is not None:
        doorbell.keep_ringer()
        rookery.on_wake(lambda _lanes: doorbell.ring())
    app = create_app(rookery, None)
    config = uvicorn.Config(app, log_level="warning", access_log=False, **SERVER_OPTIONS)
    freeze_startup_objects()
    switch_threads_often()
    uvicorn.Server(config).run(sockets=[sock])


def _run_worker(
    rookery: Rookery, sock: socket.socket | None, doorbell: Doorbell | None = None
) -> None:
    from rookery.delivery.runner import run_forever

    if sock is not None:
        sock.close()  # the worker accepts no connections
    if doorbell is not None:
        doorbell.keep_listener()
    freeze_startup_objects()
    run_forever(rookery, doorbell)


def _worker_targets(
    rookery: Rookery, count: int, sock: socket.socket | None, doorbell: Doorbell | None = None
) -> list[tuple[str, Callable[[], None]]]:
    return [
        (f"delivery worker {i + 1}/{count}", lambda: _run_worker(rookery, sock, doorbell))
        for i in range(count)
    ]


def _fork(rookery: Rookery, target: Callable[[], None]) -> int:
    """Start ``target`` in a forked child that exits with its outcome; the child's pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        _die_with_parent()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        rookery.engine.dispose(close=False)  # nothing inherited is ever used
        target()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except KeyboardInterrupt:
        code = 0
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: SIGTERM this child if the parent dies (even by SIGKILL): no orphaned tree."""
    if sys.platform != "linux":
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def _describe(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def serve_processes(rookery: Rookery, sock: socket.socket, count: int, *, workers: int) -> int:
    """Run ``count`` API processes and ``workers`` worker processes until a signal or a death."""
    # PostgreSQL's NOTIFY reaches every worker; SQLite's one worker needs the doorbell.
    doorbell = Doorbell() if workers and rookery.engine.dialect.name == "sqlite" else None
    targets: list[tuple[str, Callable[[], None]]] = [
        (f"API process {i + 1}/{count}", lambda: _run_api(rookery, sock, doorbell))
        for i in range(count)
    ]
    targets += _worker_targets(rookery, workers, sock, doorbell)
    try:
        return supervise(rookery, targets, sock, "rookery serve")
    finally:
        if doorbell is not None:
            doorbell.close()


def worker_processes_forever(rookery: Rookery, count: int) -> int:
    """Run ``count`` delivery worker processes until a signal or a child's death."""
    return supervise(rookery, _worker_targets(rookery, count, None), None, "rookery worker")


def supervise(
    rookery: Rookery,
    targets: list[tuple[str, Callable[[], None]]],
    sock: socket.socket | None,
    command: str,
) -> int:
    """Fork one child per target and wait: a signal stops all, a child's death stops all."""
    rookery.engine.dispose()
    stopping = threading.Event()
    children: dict[int, str] = {}

    def stop_all(signum: int = signal.SIGTERM) -> None:
        if stopping.is_set():
            return
        stopping.set()
        for pid in list(children):
            _signal(pid, signum)
        timer = threading.Timer(STOP_GRACE_SECONDS, _kill_all, args=(children,))
        timer.daemon = True
        timer.start()

    previous = {
        sig: signal.signal(sig, lambda signum, _frame: stop_all(signum))
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        # A stop signal arriving while forking waits until every child is known, then stops all.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            for name, target in targets:
                children[_fork(rookery, target)] = name
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        if sock is not None:
            sock.close()  # the API processes hold it now
        LOG.info("running %s", ", ".join(f"{n} (pid {p})" for p, n in children.items()))
        failed = False
        while children:
            pid, status = os.waitpid(-1, 0)
            name = children.pop(pid, "")
            if not name or stopping.is_set():
                continue
            LOG.error(
                "%s (pid %d) stopped (%s); stopping %s", name, pid, _describe(status), command
            )
            failed = True
            stop_all()
        return 1 if failed else 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _kill_all(children: dict[int, str]) -> None:
    for pid, name in list(children.items()):
        LOG.error("%s (pid %d) did not stop in %.0f s; killing it", name, pid, STOP_GRACE_SECONDS)
        _signal(pid, signal.SIGKILL)
