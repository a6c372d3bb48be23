"""Engine creation for SQLite and PostgreSQL.

SQLite gets WAL, foreign keys and a busy timeout on every connection, so concurrent API threads
and the in-process worker share one file safely. A writer waits at most the busy timeout
(``ROOKERY_SQLITE_BUSY_TIMEOUT``) for the write lock in this process's queue, then as long in
SQLite's; past it the error is "database is locked", which ``db.availability`` calls an outage.
PostgreSQL URLs are routed to psycopg 3; a pooled connection is pinged before use only after
it sat idle (a busy pool saves a round trip per transaction).

Invariants for every engine: statement parameters never appear in an error's text
(``hide_parameters``: they hold password hashes and header values), and a database outage
surfaces as :class:`~rookery.errors.DatabaseUnavailableError` — translated here, once, by the
``handle_error`` hook, so every caller (API, worker, CLI) sees the same error.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker

from rookery.db.availability import is_unavailable, unavailable_error
from rookery.db.process_lock import ProcessLock
from rookery.errors import DatabaseUnavailableError

PING_AFTER_IDLE_SECONDS = 1.0
# What PostgreSQL shows for Rookery's connections (pg_stat_activity.application_name), unless
# the database URL names its own: the engine's connections are the command's ("rookery serve",
# "rookery worker"), the worker's own connections say what they are for.
APPLICATION_NAME = "rookery"


def normalize_url(url: str) -> str:
    """Route ``postgresql://`` (and Heroku-style ``postgres://``) URLs to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite (no row locks, one writer at a time)."""
    return engine.dialect.name == "sqlite"


def application_name(url: URL, name: str) -> dict[str, str]:
    """The connection parameter naming a PostgreSQL connection ``name``; none when ``url``
    names one already (the operator's choice wins)."""
    return {} if "application_name" in url.query else {"application_name": name}


def driver_conninfo(url: URL, name: str) -> str:
    """``url`` as psycopg takes it for a connection of its own (the worker's turns, its
    LISTEN), named ``name`` unless ``url`` names its connections already."""
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return make_conninfo(plain, **application_name(url, name))


def make_engine(
    url: str,
    *,
    sqlite_busy_timeout: float = 30.0,
    name: str = APPLICATION_NAME,
    **kwargs: Any,
) -> Engine:
    """Create an engine with the per-dialect settings Rookery relies on; on PostgreSQL its
    connections are named ``name`` (:func:`application_name`)."""
    url = normalize_url(url)
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout},
            **kwargs,
        )
        event.listen(engine, "connect", partial(_sqlite_pragmas, sqlite_busy_timeout))
        database = make_url(url).database
        shared = ProcessLock(f"{database}-turn") if database and database != ":memory:" else None
        _serialize_transactions(engine, sqlite_busy_timeout, shared)
    else:
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        # An unreachable server fails a connection attempt in 10 s instead of the OS's minutes.
        connect_args = {"connect_timeout": 10, **application_name(make_url(url), name)}
        kwargs.setdefault("connect_args", connect_args)
        ping_idle = "pool_pre_ping" not in kwargs
        engine = create_engine(url, **kwargs)
        if ping_idle:
            _ping_idle_connections(engine)
    event.listen(engine, "handle_error", _translate_outage)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle ``PING_AFTER_IDLE_SECONDS``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip for every
    transaction of the API and the worker. A connection handed back moments ago is as good
    as the statement that just used it; one that idled (through a restart or an outage,
    say) is pinged, and replaced transparently when the ping fails.
    """

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["rookery_idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("rookery_idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool replaces the connection and tries again
            raise exc.DisconnectionError(str(error)) from error

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def _translate_outage(context: ExceptionContext) -> BaseException | None:
    """Raise our DatabaseUnavailableError instead of the driver's error for an outage."""
    if context.is_pre_ping:  # the pool reconnects on a failed ping; let it
        return None
    error = context.sqlalchemy_exception or context.original_exception
    return unavailable_error(error) if is_unavailable(error) else None


def _sqlite_pragmas(busy_timeout: float, dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is turned off so that `begin` below issues
    # BEGIN IMMEDIATE: writers queue on the busy timeout instead of failing on upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class WriteTurn:
    """Whose turn it is to write in this process: one holder (re-entrant, like an RLock);
    when it ends, the turn is handed to one waiter: a *first* one (the delivery worker's)
    before requests, each kind in arrival order.

    The worker's transactions are few and short (a claim, a batch of outcomes) while up to
    40 request threads queue for theirs; in arrival order a claim waited behind all of them
    and the webhook's latency with it (a third of the worker's database time in py-spy).
    Requests still get every turn the worker does not ask for. Each waiter sleeps on its own
    gate, so a release wakes exactly one thread.
    """

    _HANDED = -1  # holder while the turn passes to a woken waiter

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._holder: int | None = None
        self._depth = 0
        self._waiting: tuple[deque[threading.Lock], deque[threading.Lock]] = (deque(), deque())

    def acquire(self, *, first: bool, timeout: float) -> bool:
        """Take the turn, waiting ``timeout`` seconds at most (0: only if it is free now)."""
        me = threading.get_ident()
        with self._mutex:
            if self._holder == me:
                self._depth += 1
                return True
            if self._holder is None:
                self._holder, self._depth = me, 1
                return True
            if timeout <= 0:
                return False
            gate = threading.Lock()
            gate.acquire()
            queue = self._waiting[0 if first else 1]
            queue.append(gate)
        handed = gate.acquire(timeout=timeout)
        with self._mutex:
            if not handed:
                if gate in queue:
                    queue.remove(gate)
                    return False
                # Handed over just as the wait ran out: take it and pass it on.
                self._holder, self._depth = me, 1
                self._pass_on()
                return False
            self._holder, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth == 0:
                self._pass_on()

    def depth_here(self) -> int:
        """How many times the calling thread holds the turn (0: it does not)."""
        with self._mutex:
            return self._depth if self._holder == threading.get_ident() else 0

    def _pass_on(self) -> None:
        for queue in self._waiting:
            if queue:
                self._holder = self._HANDED
                queue.popleft().release()
                return
        self._holder = None


class WriteGate:
    """What a SQLite writer holds for its transaction: its process's :class:`WriteTurn`, then
    the file's :class:`~rookery.db.process_lock.ProcessLock` (when the file is shared).

    Re-entrant for the thread that holds it: a use case run inside a hold of its own
    (:mod:`rookery.services.loop_writes`) enters and leaves it for each of its transactions,
    and only the outermost leave hands the file's lock on."""

    def __init__(self, turn: WriteTurn, shared: ProcessLock | None, busy_timeout: float) -> None:
        self._turn = turn
        self._shared = shared
        self._busy_timeout = busy_timeout

    def enter(self, *, first: bool, wait: bool = True) -> bool:
        """Take both, each within the busy timeout (``wait`` False: only if both are free
        now); False when they could not be had, and then neither is held."""
        if self._turn.depth_here():  # inside this thread's own hold: the file's lock is ours
            return self._turn.acquire(first=first, timeout=0)
        timeout = self._busy_timeout if wait else 0.0
        if not self._turn.acquire(first=first, timeout=timeout):
            return False
        if self._shared is not None and not self._shared.acquire(timeout, first=first):
            self._turn.release()
            return False
        return True

    async def enter_from_loop(self, *, first: bool = True) -> bool | None:
        """Take both (as a first writer unless ``first`` is False), from an event loop that
        keeps running meanwhile:
        None when another thread of this process holds its turn (wait on a thread instead);
        else the file's lock, waited for on the loop at most the busy timeout (False when it
        ran out, and then neither is held). The process's turn is held by the loop's thread
        while it waits: nothing else on that loop may write."""
        if not self._turn.acquire(first=first, timeout=0):
            return None
        try:
            if self._shared is None or await self._shared.acquire_on_loop(
                self._busy_timeout, first=first
            ):
                return True
        except BaseException:
            self._turn.release()
            raise
        self._turn.release()
        return False

    def leave(self) -> None:
        """Hand both on (the file's first: a thread of this process may be next); from
        inside an outer hold of the same thread, only that inner entry ends."""
        if self._turn.depth_here() > 1:
            self._turn.release()
            return
        if self._shared is not None:
            self._shared.release()
        self._turn.release()


# Each SQLite engine's gate, for writers that go past SQLAlchemy (the worker's turns).
_GATES: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def write_gate(engine: Engine) -> WriteGate:
    """The gate every writing transaction on SQLite ``engine`` takes (:class:`WriteGate`)."""
    return _GATES[engine]


def sqlite_gate(engine: Engine) -> WriteGate | None:
    """``engine``'s :class:`WriteGate` on SQLite; None on PostgreSQL."""
    return _GATES.get(engine)


def _serialize_transactions(
    engine: Engine, busy_timeout: float, shared: ProcessLock | None = None
) -> None:
    """One SQLite transaction at a time: in this process, queued on a :class:`WriteTurn`; across
    processes on the same file, on a :class:`ProcessLock` taken next.

    Every writing transaction is ``BEGIN IMMEDIATE`` (no deadlocking read-to-write upgrades);
    sessions marked ``rookery_read_only`` take a plain ``BEGIN`` and no turn; sessions marked
    ``rookery_first`` (the worker's) are served before waiting requests. Waiting
    for the write lock inside SQLite's busy handler sleeps in steps of up to 100 ms, which
    showed as a 100 ms latency tail; threads of one process queue here instead
    and are woken the moment the previous transaction ends, and so are processes (``serve``'s
    API and worker, the CLI: :mod:`rookery.db.process_lock`). Each wait (the turn,
    the lock file, then SQLite's own) is bounded by the busy timeout: a lock held longer
    makes writers fail, not pile up.
    """
    gate = WriteGate(WriteTurn(), shared, busy_timeout)
    _GATES[engine] = gate

    def begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("rookery_read_only"):
            # WAL readers see the last commit and never block writers: no lock, no IMMEDIATE.
            connection.exec_driver_sql("BEGIN")
            return
        if not gate.enter(first=bool(options.get("rookery_first"))):
            raise locked_error()
        connection.info["rookery_locked"] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            connection.info.pop("rookery_locked", None)
            gate.leave()
            raise

    def end(connection: Any, finish: Callable[[Any], None]) -> None:
        # SQLAlchemy calls these hooks *before* its own COMMIT or ROLLBACK. Handing the turn
        # on then let the next writer's BEGIN IMMEDIATE meet the lock still held, and wait in
        # SQLite's busy handler (1 ms at least) for a commit that took microseconds. So the
        # transaction ends here, then the turn passes; the driver's own commit or rollback
        # that follows finds no transaction and does nothing. Should ending fail, the turn
        # still passes, and the driver's own attempt raises the error through SQLAlchemy.
        if connection.info.pop("rookery_locked", False):
            try:
                finish(connection.connection.dbapi_connection)
            except Exception:  # noqa: S110 -- the driver's own attempt reports it
                pass
            finally:
                gate.leave()

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", partial(end, finish=lambda dbapi: dbapi.commit()))
    event.listen(engine, "rollback", partial(end, finish=lambda dbapi: dbapi.rollback()))


def locked_error() -> DatabaseUnavailableError:
    """The outage a writer that waited the whole busy timeout for its turn raises."""
    locked = sqlite3.OperationalError("database is locked")
    return unavailable_error(exc.OperationalError("BEGIN IMMEDIATE", None, locked))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built then)."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read, marked ``rookery_read_only``.

    On PostgreSQL they run in autocommit: at READ COMMITTED (the server's default, and ours)
    every statement takes its own snapshot anyway, so a transaction around reads adds no
    consistency, only a ``BEGIN`` and a ``ROLLBACK``, two of the four round trips a request's
    sign-in check used to cost. Setting psycopg's autocommit is local to the client: no round
    trip either way. On SQLite the mark alone takes a plain ``BEGIN`` and no write turn.
    """
    options: dict[str, Any] = {"rookery_read_only": True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    return make_session_factory(engine.execution_options(**options))
