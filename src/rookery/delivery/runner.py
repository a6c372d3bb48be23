"""The delivery worker: claim due deliveries, send them concurrently, record the outcomes.

One asyncio loop per worker. Database calls run in threads (SQLAlchemy is synchronous);
HTTP runs on the loop with one pooled aiohttp session. The worker wakes at once when a commit
in this process queued deliveries (``Rookery.wake_worker``) or, on PostgreSQL, when any
process did (``LISTEN rookery_deliveries``); otherwise it polls. Outcomes are written in
batches, and every write is followed by another claim so a lane's next delivery goes out
right after the previous one is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from rookery.bootstrap import Rookery
from rookery.db import queue
from rookery.db.models import Delivery, WorkerBeat
from rookery.delivery.outcomes import AttemptResult, record_results
from rookery.delivery.sender import make_client, refused, send, webhook_for
from rookery.services.tokens import purge_expired
from rookery.webhooks.registry import WebhookRegistry

LOG = logging.getLogger("rookery.delivery")
CHANNEL = "rookery_deliveries"
TOKEN_PURGE_SECONDS = 300.0


class Worker:
    """Sends deliveries until told to stop; safe to run many against one PostgreSQL."""

    def __init__(
        self,
        app: Rookery,
        *,
        concurrency: int | None = None,
        poll_seconds: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.app = app
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.concurrency = concurrency or app.settings.worker_concurrency
        # At most this many requests in flight per receiver: a hanging receiver holds half
        # the slots at most, and the others flow on (SPEC §6 "Isolation").
        self.per_receiver = max(1, self.concurrency // 2)
        # Commits seen so far, and the count at which a claim that skipped full receivers
        # last found nothing (-1: none): the claim loop does not scan again until a newer
        # commit (or a poll interval) could have brought work for other receivers.
        self._commits = 0
        self._idle_since = -1
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.registry: WebhookRegistry = app.webhooks
        self._inflight: dict[int, Delivery] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: asyncio.Queue[AttemptResult] = asyncio.Queue()
        self._wake = asyncio.Event()
        self.sent = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then let in-flight sends finish (bounded)."""
        loop = asyncio.get_running_loop()
        self.app.on_wake(lambda: _call(loop, self._new_deliveries))
        listener = _Listener(self.app, lambda: _call(loop, self._new_deliveries))
        listener.start()
        if self.app.engine.dialect.name == "sqlite":
            await asyncio.to_thread(self._release_orphans)
        async with make_client(self.concurrency) as client:
            tasks = [
                asyncio.create_task(self._record_loop()),
                asyncio.create_task(self._heartbeat_loop()),
            ]
            try:
                await self._claim_loop(client, stop)
            finally:
                listener.stop()
                await self._drain()
                for task in tasks:
                    task.cancel()
                with suppress(asyncio.CancelledError):
                    await asyncio.gather(*tasks)

    async def _claim_loop(self, client: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            # Counted here, on the loop that owns _inflight, not in the claim thread.
            busy = Counter(receiver_of_lane(d.lane) for d in self._inflight.values())
            full = [r for r, n in busy.items() if n >= self.per_receiver]
            room = [self.per_receiver - n for r, n in busy.items() if r not in full]
            # No single claim can push any receiver past its share: nothing to hand back.
            want = min(self.concurrency - len(self._inflight), min(room, default=self.per_receiver))
            if want > 0 and not (full and self._idle_since == self._commits):
                seen = self._commits
                claimed = await asyncio.to_thread(self._claim, want, full)
                # Nothing for anyone but full receivers, as of commit `seen`: scan again only
                # after a later commit (or a poll interval).
                self._idle_since = seen if (full and not claimed) else -1
                self._start(client, claimed)
                if len(claimed) == want:
                    continue
            waiter = asyncio.create_task(self._wake.wait())
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait(
                {waiter, stopper}, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            stopper.cancel()
            if not done:
                self._idle_since = -1  # retries may have come due for other receivers

    def _start(self, client: aiohttp.ClientSession, claimed: list[Delivery]) -> None:
        for delivery in claimed:
            self._inflight[delivery.id] = delivery
            task = asyncio.create_task(self._send(client, delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _new_deliveries(self) -> None:
        """A commit queued deliveries (this process, or any via NOTIFY): look again."""
        self._commits += 1
        self._wake.set()

    def _release_orphans(self) -> None:
        # With SQLite the worker lives inside the one `rookery serve`: whatever is still
        # claimed was claimed by a process that is gone, so it is sent again now, not after
        # the lease (at-least-once; receivers drop duplicates by webhook-id).
        with self.app.session() as session:
            released = queue.release_all_claims(session)
            session.commit()
        if released:
            LOG.warning("re-queued %d deliveries claimed before a restart", released)

    def _claim(self, limit: int, full: list[str]) -> list[Delivery]:
        now = datetime.now(UTC)
        with self.app.session() as session:
            claimed = queue.claim_due(session, self.id, limit, self.lease, now, full)
            session.commit()
            return claimed

    async def _send(self, client: aiohttp.ClientSession, delivery: Delivery) -> None:
        webhook, reason = webhook_for(delivery, self.registry)
        if webhook is None:
            result = refused(delivery, reason or "webhook not found", self.id)
        else:
            result = await send(client, delivery, webhook, self.id)
        _log_attempt(delivery, result)
        await self._results.put(result)

    async def _record_loop(self) -> None:
        while True:
            batch = [await self._results.get()]
            while not self._results.empty():
                batch.append(self._results.get_nowait())
            try:
                await asyncio.to_thread(self._record, batch)
            except Exception:
                # The lease will return these deliveries to the queue: at-least-once.
                LOG.exception("could not record %d attempt(s); they will be retried", len(batch))
            for result in batch:
                self._inflight.pop(result.delivery_id, None)
            self.sent += len(batch)
            self._wake.set()

    def _record(self, batch: list[AttemptResult]) -> None:
        try:
            self._record_together(batch)
        except Exception:
            if len(batch) == 1:
                raise
            LOG.warning(
                "recording %d attempts together failed; recording one by one",
                len(batch),
                exc_info=True,
            )
            for result in batch:
                try:
                    self._record_together([result])
                except Exception:
                    LOG.exception(
                        "could not record attempt %d of delivery %s",
                        result.number,
                        result.delivery_id,
                    )

    def _record_together(self, batch: list[AttemptResult]) -> None:
        with self.app.session() as session:
            record_results(session, self.id, self._inflight, batch, datetime.now(UTC))
            session.commit()

    async def _heartbeat_loop(self) -> None:
        next_purge = 0.0
        loop = asyncio.get_running_loop()
        while True:
            with suppress(Exception):
                await asyncio.to_thread(self._beat)
            if loop.time() >= next_purge:
                next_purge = loop.time() + TOKEN_PURGE_SECONDS
                with suppress(Exception):
                    purged = await asyncio.to_thread(purge_expired, self.app.uow())
                    if purged:
                        LOG.info("purged %d expired callback token(s)", purged)
            await asyncio.sleep(max(1.0, self.lease.total_seconds() / 4))

    def _beat(self) -> None:
        now = datetime.now(UTC)
        with self.app.session() as session:
            # Leases of workers that died are released here, not on every claim.
            released = queue.release_expired_leases(session, now)
            if released:
                LOG.warning("released %d deliveries whose worker lease ran out", released)
            queue.renew_leases(session, self.id, list(self._inflight), now + self.lease)
            beat = session.get(WorkerBeat, self.id)
            if beat is None:
                session.add(WorkerBeat(worker_id=self.id, beat_at=now))
            else:
                beat.beat_at = now
            session.commit()

    async def _drain(self, timeout: float = 15.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self._inflight and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)


def receiver_of_lane(lane: str) -> str:
    """The receiver part of a lane (``scheme://host:port``)."""
    return lane.split("|", 1)[0]


def _call(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Run ``callback`` on ``loop`` from any thread (ignored once the loop has closed)."""
    with suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


def _log_attempt(delivery: Delivery, result: AttemptResult) -> None:
    outcome = "delivered" if result.succeeded else "failed"
    LOG.log(
        logging.DEBUG if result.succeeded else logging.WARNING,
        "delivery %s %s: webhook=%r event=%s attempt=%d status=%s latency_ms=%.1f%s",
        delivery.id,
        outcome,
        delivery.webhook_name,
        delivery.event_id,
        result.number,
        result.status_code,
        result.latency_ms,
        f" error={result.error!r}" if result.error else "",
    )


class _Listener:
    """PostgreSQL LISTEN in a thread: wakes the worker when any process queues deliveries."""

    def __init__(self, app: Rookery, wake: Callable[[], Any]) -> None:
        self.app = app
        self.wake = wake
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.app.engine.dialect.name == "postgresql":
            self._thread = threading.Thread(target=self._run, name="rookery-listen", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import psycopg

        url = self.app.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake()
            except Exception:
                LOG.warning("LISTEN connection lost; retrying in 1s", exc_info=True)
                self._stop.wait(1.0)


class WorkerThread:
    """A worker on its own thread and event loop, inside ``rookery serve``."""

    def __init__(self, app: Rookery, **options: Any) -> None:
        self.app = app
        self.options = options
        self.worker: Worker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="rookery-worker", daemon=True)

    def start(self) -> WorkerThread:
        self._thread.start()
        self._ready.wait(10)
        return self

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.worker = Worker(self.app, **self.options)
        self._ready.set()
        await self.worker.run(self._stop)

    def stop(self, timeout: float = 20.0) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)


def worker_lifespan(app: Rookery) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that runs the in-process worker while the API serves."""

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        thread = WorkerThread(app).start()
        try:
            yield
        finally:
            await asyncio.to_thread(thread.stop)

    return lifespan


def run_forever(app: Rookery) -> None:
    """``rookery worker``: run until SIGINT/SIGTERM."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        LOG.info("worker started")
        await Worker(app).run(stop)

    asyncio.run(main())
