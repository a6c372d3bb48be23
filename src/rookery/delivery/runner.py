"""The delivery worker: claim due deliveries, send them concurrently, record the outcomes.

One asyncio loop per worker. Database calls run in threads (SQLAlchemy is synchronous),
except the usual turn, which goes from the loop: on PostgreSQL on an asyncio connection
(:mod:`rookery.db.turns`), on SQLite at the driver, waiting on the loop for other processes'
transactions (:mod:`rookery.db.sqlite_turns`). HTTP runs on the loop with one pooled aiohttp
session. The worker wakes at once when a commit in this process queued deliveries
(``Rookery.wake_worker``) or, on PostgreSQL, when any process did (``LISTEN
rookery_deliveries``); otherwise it polls. The database work is done
in *turns* (:mod:`rookery.db.turns`): one transaction records every answer that arrived since
the last turn and claims up to the budget, and a burst of wake-ups (commits, answers) costs
one turn, not one claim each. When the worker is quiet, an answer waits (20 ms at most) for
the next commit's turn, unless a delivery may be waiting behind it: wake-ups name the lanes
their commit queued into, so the worker knows. Under a steady load the claims gather: after
a turn that saw every due lane, the next claim waits until ``gather`` (setting
``ROOKERY_WORKER_GATHER_MS``, 10 ms) has passed since that turn began, so commits that come
closer together than that share one turn (on SQLite, twice as long after a claim of three or
more: a steady load). A commit after a quiet spell is claimed at once, and a backlog (a
claim that took all it could) is drained without waiting.

A claim takes a *run* from each due lane (:mod:`.runs`): its head and the deliveries behind
it, sent one after another with no turn in between, so a busy lane's next delivery goes out
as soon as the previous one's answer is in. A claim may take a run more than the worker has
slots for (:mod:`.slots`): it waits on the loop, and starts the moment a slot frees, not a
turn later. Nothing per delivery is an ORM object: claims are plain values
(``ClaimedDelivery``) and the unsigned request headers are prepared once per webhook, for
all its deliveries and their attempts (:class:`.sender.PreparedRequests`).

Outages (:mod:`.outage`): every loop survives the database going away. The turn loop backs
off (0.1 s doubling to 2 s) and tries again; sends already under way finish, and their
outcomes stay in memory and are recorded once the database is back (if the process stops
first, the heartbeat of any live worker, or the lease, returns those deliveries to the
queue and they are sent again: at-least-once). Heartbeats (:mod:`.heartbeat`), retention
(:mod:`.retention`) and the ``LISTEN`` connection (:mod:`.listener`) retry the same way.
Each outage is logged once when it starts and once when it ends. Only a signal stops a
worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from rookery.db import lanes, queue
from rookery.db.availability import is_unavailable
from rookery.db.outcomes import AttemptResult, RecordedBatch
from rookery.db.queue import ClaimedDelivery
from rookery.db.sqlite_turns import SQLiteTurns
from rookery.db.turns import LoopTurns, record_and_claim
from rookery.delivery.doorbell import Doorbell
from rookery.delivery.heartbeat import Heartbeat
from rookery.delivery.host import WorkerHost
from rookery.delivery.listener import Listener
from rookery.delivery.outage import Outage, OutageLog, keep_trying, pause_unless_stopped
from rookery.delivery.retention import Retention
from rookery.delivery.runs import RUN_DEPTH, run_goes_on, split_runs
from rookery.delivery.sender import PreparedRequests, make_client, refused, send, webhook_for
from rookery.delivery.slots import Run, Slots
from rookery.domain.delivery_states import DeliveryState
from rookery.services.delivery_metrics import InProcessWorker
from rookery.webhooks.registry import WebhookRegistry

LOG = logging.getLogger("rookery.delivery")
# Once stopped, a worker records the answers of sends under way for at most this long.
DRAIN_SECONDS = 15.0
# A quiet worker keeps answers this long for the turn of the next commit (one turn for the
# commit's claim and the answers' record, not one each), when no lane of theirs can have a
# delivery waiting behind them.
RECORD_LINGER_SECONDS = 0.02
# Lanes whose last queueing the worker remembers (beyond, it forgets them all at once).
QUEUED_LANES_KEPT = 4096
# SQLite: after a claim of this many deliveries or more (a steady load), the next claim
# gathers for STRETCHED_GATHER times the gather. Each of the worker's turns holds the one
# write turn every API writer waits for; a claim of fewer goes back to the plain gather, so
# one client's webhooks still go at once.
BUSY_CLAIM = 3
STRETCHED_GATHER = 2


class Worker:
    """Sends deliveries until told to stop; safe to run many against one PostgreSQL."""

    def __init__(
        self,
        app: WorkerHost,
        *,
        concurrency: int | None = None,
        poll_seconds: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
        doorbell: Doorbell | None = None,
        depth: int = RUN_DEPTH,
        linger: float = RECORD_LINGER_SECONDS,
        gather: float | None = None,
    ) -> None:
        self.app = app
        # Seconds from the start of a turn that claimed, and saw every due lane, to the
        # next claim.
        self.gather = app.settings.worker_gather_ms / 1000 if gather is None else gather
        self._turn_at = float("-inf")  # when the last turn that claimed began (loop.time())
        self._stretch = STRETCHED_GATHER if app.engine.dialect.name == "sqlite" else 1
        self._busy = False  # whether the last claim took BUSY_CLAIM deliveries or more
        self.depth = depth
        self.linger = linger  # keep at most poll_seconds: a lingering loop does not poll
        self.doorbell = doorbell
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.concurrency = concurrency or app.settings.worker_concurrency
        # At most this many runs (requests in flight) per receiver: a hanging receiver holds
        # half the slots at most, and the others flow on (SPEC §6 "Isolation").
        self.per_receiver = max(1, self.concurrency // 2)
        self.slots = Slots(self.concurrency, self.per_receiver)
        # Commits seen so far, and the count at which a claim that skipped full receivers
        # last found nothing (-1: none): the turn loop does not scan again until a newer
        # commit (or a poll interval) could have brought work for other receivers.
        self._commits = 0
        self._idle_since = -1
        self._idle_at = 0.0  # when that claim ran (time.monotonic)
        self._look = True  # whether a claim could find something now
        self._saw_all = False  # whether the last claim saw every lane due then
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.registry: WebhookRegistry = app.webhooks
        self.prepared = PreparedRequests()
        self._inflight: dict[int, ClaimedDelivery] = {}  # claimed: sent or not yet
        # The commit count each delivery in flight was claimed at (-1: its lane may have more
        # behind it already), the count at which a commit last queued into each lane, and at
        # which one last did into lanes not named: a lane queued into since its delivery's
        # claim may have a delivery waiting behind it.
        self._claimed_at: dict[int, int] = {}
        self._queued_at: dict[str, int] = {}
        self._unnamed_at = -1
        self._woken: list[frozenset[str] | None] = []  # lanes of wake-ups not yet counted
        self._linger_until: float | None = None  # answers wait for a commit till then
        self._client: aiohttp.ClientSession | None = None
        self._unsent: list[int] = []  # claimed, not sent, to give back (kept through outages)
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: asyncio.Queue[AttemptResult] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._wake_queued = False  # a wake-up is on its way to the loop: later ones ride on it
        self.sent = 0
        self.turns = 0  # turns that committed
        self.loop_turns = 0  # of those, turns taken on the event loop (no thread hop)
        self.outages = OutageLog()
        self.heartbeat = Heartbeat(app, self.id, lambda: list(self._inflight), lease, self.outages)
        self.store_outage = Outage("recording attempts and claiming deliveries", self.outages)
        self.start_outage = Outage("re-queueing claims left by a restart", self.outages)
        self.retention = Retention(app, self.outages)
        self.listener: Listener | None = None
        self._connection: Connection | None = None  # the turns' own (on a thread)
        # The usual turn goes from this loop, with no thread hop: on PostgreSQL always
        # (db.turns), on SQLite when no other writer holds the write turn (db.sqlite_turns).
        postgresql = app.engine.dialect.name == "postgresql"
        self._loop_turns = LoopTurns(app.engine.url) if postgresql else None
        self._sqlite_turns = None if postgresql else SQLiteTurns(app.engine)

    @property
    def database_trouble(self) -> str | None:
        """The cause of an outage one of this worker's loops is in now (None when none)."""
        outages = [self.store_outage, self.heartbeat.outage, self.start_outage]
        if self.listener is not None:
            outages.append(self.listener.outage)
        return next((o.cause for o in outages if o.ongoing), None)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then let in-flight sends finish (bounded)."""
        loop = asyncio.get_running_loop()
        self.app.on_wake(lambda lanes: self._wake_from_thread(loop, lanes))
        self.listener = Listener(
            self.app, lambda lanes: self._wake_from_thread(loop, lanes), self.outages, self.doorbell
        )
        self.listener.start()
        if self.app.engine.dialect.name == "sqlite":
            await keep_trying(self.start_outage, self._release_orphans, stop)
        async with make_client(self.concurrency) as client:
            self._client = client
            tasks = [
                asyncio.create_task(self.heartbeat.run()),
                asyncio.create_task(self.retention.run()),
            ]
            try:
                await self._store_loop(stop)
            finally:
                await asyncio.to_thread(self.listener.stop)
                for task in tasks:
                    task.cancel()
                with suppress(asyncio.CancelledError):
                    await asyncio.gather(*tasks)
                await asyncio.to_thread(self._close_connection)
                if self._loop_turns is not None:
                    await self._loop_turns.close()
                if self._sqlite_turns is not None:
                    self._sqlite_turns.close()
                if not self._inflight:
                    with suppress(Exception):
                        await asyncio.to_thread(self.heartbeat.forget)

    async def _store_loop(self, stop: asyncio.Event) -> None:
        """Record what was sent and claim what is due, in one transaction per turn.

        Each turn takes every answer that arrived meanwhile and, when a claim could find
        something (new deliveries were committed, a batch moved its lanes on, or a poll
        interval passed), claims up to the budget in the same transaction: one transaction,
        one thread hop and one wake-up per burst, however many commits or answers it holds.
        """
        # Claims are covered by this worker's beat (see heartbeat.py): beat first.
        waits = {
            asyncio.create_task(self.heartbeat.beaten.wait()),
            asyncio.create_task(stop.wait()),
        }
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
        batch: list[AttemptResult] = []  # answers not recorded yet (kept through outages)
        loop = asyncio.get_running_loop()
        deadline: float | None = None  # once stopped: record what is in flight, then go
        while True:
            if stop.is_set():
                deadline = deadline or self._begin_stop(loop.time() + DRAIN_SECONDS)
                if not (self._inflight or batch) or loop.time() >= deadline:
                    return
            self._wake.clear()
            while not self._results.empty():
                batch.append(self._results.get_nowait())
            unsent = list(self._unsent)
            if deadline is None and await self._waited(stop, batch, unsent, loop.time()):
                continue
            want, full = self._budget(batch) if deadline is None else (0, [])
            if not (batch or unsent) and want <= 0:
                await self._wait_for_work(stop, stopping=deadline is not None)
                continue
            seen = self._commits
            began = loop.time()
            # After a failed turn its commit may still have landed: claims this worker never
            # learnt of go back to the queue before the next claim.
            held = list(self._inflight) if self.store_outage.ongoing else None
            tried = list(batch)
            try:
                claimed = await self._take_turn(_Turn(batch, want, full, held, unsent))
            except Exception as error:  # never dies: keep the answers, back off, try again
                self._finish([r for r in tried if r not in batch])
                pause = self.store_outage.failed(error)
                if deadline is None:
                    await pause_unless_stopped(stop, pause)
                else:
                    await asyncio.sleep(min(pause, 0.5))
                continue
            self.store_outage.succeeded()
            self.turns += 1
            self._finish(tried)
            self._given_back(unsent)
            batch = []
            self._learn(claimed, want, full, seen, began)
            self._start(claimed, seen)

    def _learn(
        self, claimed: list[ClaimedDelivery], want: int, full: list[str], seen: int, began: float
    ) -> None:
        """What a turn that began at ``began``, as of commit ``seen``, tells the next ones."""
        self._linger_until = None
        # A full claim may have left more due lanes; a short one saw all there were,
        # unless a commit came in while the turn ran (its claim may have missed it).
        self._look = (want > 0 and _lanes(claimed) == want) or self._commits != seen
        # This claim saw every due lane: it took fewer than it could, and left no
        # receiver out for being full.
        self._saw_all = want > 0 and not full and _lanes(claimed) < want
        # Nothing for anyone but full receivers, as of commit `seen`: scan again only
        # after a later commit (or a poll interval). A turn that did not claim learnt
        # nothing new.
        if want > 0:
            self._idle_since = seen if (full and not claimed) else -1
            self._idle_at = time.monotonic()
        if claimed:
            self._turn_at = began
            self._busy = len(claimed) >= BUSY_CLAIM

    def _budget(self, batch: list[AttemptResult]) -> tuple[int, list[str]]:
        """How many to claim this turn (0: no claim), and the receivers to leave alone."""
        if not (self._look or batch):
            return 0, []
        # Counted here, on the loop that owns the slots; a run whose last answer is in the
        # batch is over: its lane moves on in the same transaction as the claim.
        budget = self.slots.budget()
        full = list(budget.full)
        if (
            full
            and self._idle_since == self._commits
            and time.monotonic() - self._idle_at < self.poll_seconds
            and self._only_to(full, batch)
        ):
            # The last claim found nothing but full receivers' lanes, no commit came since
            # (nor a poll interval, for retries coming due), and these answers can only move
            # on lanes of receivers still full.
            return 0, full
        return budget.want, full

    def _begin_stop(self, deadline: float) -> float:
        """Runs send no further delivery: the rest, and the runs waiting, go back."""
        self._stopping = True
        self._give_back([d for run in self.slots.take_waiting() for d in run])
        return deadline

    async def _lingered(self, batch: list[AttemptResult], now: float) -> bool:
        """Whether ``batch`` waited (a while, or until a wake-up) for the next commit's turn.

        It may wait, for ``linger`` seconds at most, when no claim is due now (no
        commit since the last claim, which was short, and no receiver was left out of it for
        being full), the database is there, and no answer's lane can have a delivery queued
        behind it (none was committed since its claim, and its run was not cut at the
        claim's depth): recording later then holds back nothing, and the next commit's turn
        records it with that commit's claim.
        """
        if not batch or self._look or not self._saw_all or self.store_outage.ongoing:
            return False
        if not all(self._nothing_behind(result) for result in batch):
            return False
        self._linger_until = self._linger_until or now + self.linger
        if now >= self._linger_until:
            return False
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._linger_until - now)
        return True

    async def _waited(
        self, stop: asyncio.Event, batch: list[AttemptResult], unsent: list[int], now: float
    ) -> bool:
        """Whether the loop waited before this turn: answers for the next commit's turn, or
        a claim for more commits to share it."""
        if not unsent and await self._lingered(batch, now):
            return True
        return await self._gathered(stop, now)

    async def _gathered(self, stop: asyncio.Event, now: float) -> bool:
        """Whether the loop waited for more commits to claim with this one.

        Only when the last turn saw every lane due then (nothing was left behind for want
        of a slot) and a claim could find something now (a commit came since): the claim
        waits until ``gather`` has passed since the last turn that claimed began. Commits
        that arrive meanwhile, and answers, share the turn. On SQLite, after a claim of
        :data:`BUSY_CLAIM` or more, the gather is :data:`STRETCHED_GATHER` times as long.
        """
        if self.gather <= 0 or not (self._look and self._saw_all):
            return False
        pause = self._turn_at + self.gather * (self._stretch if self._busy else 1) - now
        if pause <= 0:
            return False
        await pause_unless_stopped(stop, pause)
        return True

    def _nothing_behind(self, result: AttemptResult) -> bool:
        """Whether no delivery can be waiting behind ``result``'s in its lane: no commit
        queued into that lane (or into lanes it did not name) since the claim."""
        delivery = self._inflight.get(result.delivery_id)
        claimed = self._claimed_at.get(result.delivery_id, -1)
        if delivery is None or claimed < 0 or self._unnamed_at > claimed:
            return False
        return self._queued_at.get(delivery.lane, -1) <= claimed

    def _only_to(self, receivers: list[str], batch: list[AttemptResult]) -> bool:
        """Whether every answer in ``batch`` is from one of ``receivers``."""
        for result in batch:
            delivery = self._inflight.get(result.delivery_id)
            if delivery is None or delivery.receiver not in receivers:
                return False
        return True

    def _finish(self, recorded: list[AttemptResult]) -> None:
        for result in recorded:
            self._inflight.pop(result.delivery_id, None)
            self._claimed_at.pop(result.delivery_id, None)
        self.sent += len(recorded)

    def _given_back(self, released: list[int]) -> None:
        """``released`` (claimed, never sent) are back in the queue, or were lost with an
        outage's claims (``held``): this worker holds them no more."""
        for delivery_id in released:
            self._inflight.pop(delivery_id, None)
            self._claimed_at.pop(delivery_id, None)
        gone = set(released)
        self._unsent = [i for i in self._unsent if i not in gone]

    async def _wait_for_work(self, stop: asyncio.Event, *, stopping: bool = False) -> None:
        if stopping:  # only answers matter now
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=0.05)
            return
        waiter = asyncio.create_task(self._wake.wait())
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait(
            {waiter, stopper}, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        stopper.cancel()
        if not done:
            self._idle_since = -1  # retries may have come due for other receivers
            self._look = True

    def _start(self, claimed: list[ClaimedDelivery], seen: int) -> None:
        """Hold what a claim took as of commit ``seen``, and send what has a slot."""
        runs = split_runs(claimed)
        for run in runs:
            for delivery in run:
                self._inflight[delivery.id] = delivery
                self._claimed_at[delivery.id] = seen
            if len(run) >= self.depth:  # cut at the depth: more may wait behind its last
                self._claimed_at[run[-1].id] = -1
        self.slots.add(runs)
        self._launch()

    def _launch(self) -> None:
        """Start sending each waiting run that has a free slot now."""
        if self._stopping or self._client is None:
            return
        for run in self.slots.startable():
            task = asyncio.create_task(self._send_run(self._client, run))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _wake_from_thread(
        self, loop: asyncio.AbstractEventLoop, lanes: frozenset[str] | None
    ) -> None:
        """From any thread: a commit queued deliveries (in ``lanes``, None: not known).
        Commits that come while a wake-up is still on its way to the loop ride on it (its
        callback runs after they committed, and counts their lanes), so a burst of requests
        costs the loop one wake-up, not one each."""
        self._woken.append(lanes)  # before the test below: the callback, if queued, sees it
        if self._wake_queued:
            return
        self._wake_queued = True
        _call(loop, self._new_deliveries)

    def _new_deliveries(self) -> None:
        """A commit queued deliveries (this process, or any via NOTIFY): look again."""
        self._wake_queued = False
        self._commits += 1
        woken, self._woken = self._woken, []
        for named in woken:
            if named is None:
                self._unnamed_at = self._commits
            else:
                self._queued_at.update(dict.fromkeys(named, self._commits))
        if len(self._queued_at) > QUEUED_LANES_KEPT:  # forget them all, and count as unnamed
            self._queued_at.clear()
            self._unnamed_at = self._commits
        self._look = True
        self._wake.set()

    def _release_orphans(self) -> None:
        # With SQLite there is one worker (``serve`` refuses more): whatever is still claimed
        # was claimed by a worker that is gone, so it is sent again now, not after the
        # lease (at-least-once; receivers drop duplicates by webhook-id).
        with self.app.session() as session:
            released = queue.release_all_claims(session)
            session.commit()
        if released:
            LOG.warning("re-queued %d deliveries claimed before a restart", released)

    async def _send_run(self, client: aiohttp.ClientSession, run: Run) -> None:
        """Send a lane's run in order, each delivery once the one before it is finished;
        what is left when one will be retried (or the worker stops) goes back unsent."""
        try:
            for position, delivery in enumerate(run):
                if self._stopping:
                    self._give_back(run[position:])
                    return
                result = await self._send(client, delivery)
                if not run_goes_on(delivery, result):
                    self._give_back(run[position + 1 :])
                    return
        finally:
            self.slots.ended(run[0].receiver)
            self._launch()
            self._wake.set()

    def _give_back(self, unsent: list[ClaimedDelivery]) -> None:
        if unsent:
            self._unsent.extend(d.id for d in unsent)
            self._wake.set()

    async def _send(
        self, client: aiohttp.ClientSession, delivery: ClaimedDelivery
    ) -> AttemptResult:
        webhook, reason = webhook_for(delivery, self.registry)
        if webhook is None:
            result = refused(delivery, reason or "webhook not found", self.id)
        else:
            result = await send(client, delivery, webhook, self.id, self.prepared)
        _log_attempt(delivery, result)
        self._results.put_nowait(result)
        self._wake.set()
        return result

    async def _take_turn(self, turn: _Turn) -> list[ClaimedDelivery]:
        """One turn. When it only records and claims (the usual turn): from this loop (on
        SQLite, on a thread when another thread of this process holds the write turn). On a
        thread, through the session, when it gives claims back, follows a failed turn or
        changes a user's status (:meth:`_store`). Recorded results leave ``turn.batch``."""
        if turn.held is not None or turn.unsent:
            return await asyncio.to_thread(self._store, turn)
        now = datetime.now(UTC)
        batch = turn.batch
        recorded = RecordedBatch.plain(self.id, self._inflight, batch, now) if batch else None
        if batch and recorded is None:
            return await asyncio.to_thread(self._store, turn)
        claim = queue.claim_params(self.id, turn.want, self.lease, now, turn.full, self.depth)
        if self._loop_turns is not None:
            claimed, unheld = await self._loop_turns.record_and_claim(recorded, claim, now)
            self.loop_turns += 1
        else:
            assert self._sqlite_turns is not None
            sqlite = self._sqlite_turns
            # Another process's transaction is waited for on the loop (its lock's waiter
            # thread wakes it); a thread of this one (a heartbeat) on a thread of ours.
            done = await sqlite.record_and_claim_on_loop(recorded, claim, now)
            if done is None:
                done = await asyncio.to_thread(
                    partial(sqlite.record_and_claim, recorded, claim, now, wait=True)
                )
            else:
                self.loop_turns += 1
            assert done is not None
            claimed, unheld = done
        batch.clear()
        if unheld:  # rows gone missing (a bulk load rebuilt the lanes): write them afresh
            await asyncio.to_thread(self._refresh_lanes, unheld, now)
        return claimed

    def _refresh_lanes(self, receivers: dict[str, str], now: datetime) -> None:
        with self._turn_session() as session:
            lanes.refresh(session, receivers, now)
            session.commit()

    def _store(self, turn: _Turn) -> list[ClaimedDelivery]:
        """Give back ``unsent``, record ``batch`` and claim up to ``want``, on a thread; an
        outage raises (the caller keeps the batch and tries again). Recorded results leave
        ``batch``."""
        batch = turn.batch
        try:
            claimed = self._store_together(batch, turn.want, turn.full, turn.held, turn.unsent)
        except Exception as error:
            if is_unavailable(error) or not batch:
                raise
            LOG.warning(
                "recording %d attempts together failed; recording one by one",
                len(batch),
                exc_info=True,
            )
            self._record_one_by_one(batch)
            return []
        batch.clear()
        return claimed

    def _store_together(
        self,
        batch: list[AttemptResult],
        want: int,
        full: list[str],
        held: list[int] | None,
        unsent: Sequence[int] = (),
    ) -> list[ClaimedDelivery]:
        now = datetime.now(UTC)
        with self._turn_session() as session:
            if held is not None:
                # Unsent deliveries are not kept: they go back with the lost claims.
                keep = [i for i in held if i not in set(unsent)]
                lost = queue.release_own_claims(session, self.id, keep, now)
                session.commit()
                if lost:
                    LOG.info("re-queued %d claim(s) made as the database went away", lost)
            elif unsent:
                # Rare (a retry, or a stop): its own transaction, before the batch; either
                # order leaves the lane waiting for the delivery that will be retried.
                queue.release_unsent(session, self.id, unsent, now)
                session.commit()
            return record_and_claim(
                session, self.id, self._inflight, batch, want, self.lease, now, full, self.depth
            )

    @contextmanager
    def _turn_session(self) -> Iterator[Session]:
        """A session for one turn, on a connection this worker keeps.

        Kept between turns, so no turn pays a pool checkout and return (and, on PostgreSQL,
        the liveness ping, a round trip as long as the turn's own on a busy host); dropped
        on any error, and the next turn checks out a fresh one. On SQLite it is marked
        ``rookery_first``: the worker's turns go before waiting requests' (as ``session()``).
        """
        if self._connection is None or self._connection.invalidated:
            self._connection = self.app.engine.execution_options(rookery_first=True).connect()
        try:
            with Session(bind=self._connection) as session:
                yield session
        except BaseException:
            self._close_connection()
            raise

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):
                connection.close()

    def _record_one_by_one(self, batch: list[AttemptResult]) -> None:
        for result in list(batch):
            try:
                self._store_together([result], 0, [], None)
            except Exception as one_error:
                if is_unavailable(one_error):
                    raise
                # A bug, not an outage: the lease (no longer renewed) re-queues it.
                LOG.exception(
                    "could not record attempt %d of delivery %s",
                    result.number,
                    result.delivery_id,
                )
            batch.remove(result)  # recorded (or given up): not tried again after an outage


@dataclass(frozen=True)
class _Turn:
    """What one turn is asked to do: record ``batch`` (the list is emptied once recorded),
    give back ``unsent``, re-queue the claims a failed turn may have made beyond ``held``
    (None: no turn failed), and claim up to ``want``, leaving the ``full`` receivers alone."""

    batch: list[AttemptResult]
    want: int
    full: list[str]
    held: list[int] | None
    unsent: list[int]


def _lanes(claimed: list[ClaimedDelivery]) -> int:
    """How many lanes a claim took (one run each)."""
    return len({delivery.lane for delivery in claimed})


def _call(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Run ``callback`` on ``loop`` from any thread (ignored once the loop has closed)."""
    with suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


def _log_attempt(delivery: ClaimedDelivery, result: AttemptResult) -> None:
    outcome = DeliveryState.DELIVERED if result.succeeded else DeliveryState.FAILED
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


class WorkerThread:
    """A worker on its own thread and event loop, inside ``rookery serve``."""

    def __init__(self, app: WorkerHost, **options: Any) -> None:
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

    def probe(self) -> InProcessWorker:
        """Whether the thread still runs, and the database outage it is in, if any."""
        worker = self.worker
        trouble = worker.database_trouble if worker is not None else None
        return InProcessWorker(running=self._thread.is_alive(), database_trouble=trouble)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:
            LOG.exception("the delivery worker stopped on an unexpected error; /health says 503")

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


def worker_lifespan(app: WorkerHost) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that runs the in-process worker while the API serves."""

    @asynccontextmanager
    async def lifespan(api: Any) -> AsyncIterator[None]:
        thread = WorkerThread(app).start()
        api.state.worker_probe = thread.probe  # read by GET /health and /metrics
        try:
            yield
        finally:
            await asyncio.to_thread(thread.stop)

    return lifespan


def run_forever(app: WorkerHost, doorbell: Doorbell | None = None) -> None:
    """``rookery worker`` (or ``serve``'s worker process, woken by ``doorbell`` on SQLite):
    run until SIGINT/SIGTERM."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        LOG.info("worker started")
        worker = Worker(app, doorbell=doorbell)
        await worker.run(stop)
        LOG.info(
            "worker stopped: %d attempts recorded in %d turns (%d of them on the event loop)",
            worker.sent,
            worker.turns,
            worker.loop_turns,
        )

    asyncio.run(main())
