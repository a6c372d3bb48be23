"""The worker's slots: the runs it is sending, and the runs it claimed ahead of a free slot.

A claim may take a run for each slot the worker has and one more, which waits here: when a
run ends, the next run of its receiver starts at once, on the loop, instead of a database
turn later (without it every slot stood idle for a claim, and a backlog drained in waves;
docs/BENCHMARKS.md, "Runs claimed ahead").

Invariants (pure: no I/O, no clock):
- at most ``concurrency`` runs are sending at once, and at most ``per_receiver`` to one
  receiver (SPEC §6 "Isolation": a hanging receiver holds half the slots at most);
- a receiver's waiting runs start in the order they were claimed;
- the claim budget counts every run held, sending or waiting, against twice those limits:
  a receiver holding ``2 * per_receiver`` runs is *full*, and the claim skips it.
"""

from __future__ import annotations

from collections import Counter, deque
from itertools import chain, repeat

from rookery.db.queue import ClaimedDelivery
from rookery.delivery.budget import ClaimBudget, claim_budget

Run = list[ClaimedDelivery]
# Runs held per slot: the one sending and the one waiting for it.
HELD_PER_SLOT = 2


class Slots:
    """Which runs are sending and which wait, per receiver."""

    def __init__(self, concurrency: int, per_receiver: int) -> None:
        self.concurrency = concurrency
        self.per_receiver = per_receiver
        self._sending: Counter[str] = Counter()
        self._waiting: dict[str, deque[Run]] = {}

    @property
    def sending(self) -> int:
        return self._sending.total()

    @property
    def waiting(self) -> int:
        return sum(len(runs) for runs in self._waiting.values())

    def add(self, runs: list[Run]) -> None:
        """Claimed runs, to send when their receiver has a free slot."""
        for run in runs:
            self._waiting.setdefault(run[0].receiver, deque()).append(run)

    def startable(self) -> list[Run]:
        """The waiting runs that may start now; they count as sending from here on.

        Receivers take turns, one run each, and one that started a run goes to the back of
        the line: a free slot goes to each receiver in turn, not always to the first.
        """
        started: list[Run] = []
        progress = True
        while progress:
            progress = False
            for receiver in list(self._waiting):
                if self.sending >= self.concurrency:
                    return started
                if self._sending[receiver] >= self.per_receiver:
                    continue
                runs = self._waiting.pop(receiver)
                started.append(runs.popleft())
                self._sending[receiver] += 1
                progress = True
                if runs:
                    self._waiting[receiver] = runs
        return started

    def ended(self, receiver: str) -> None:
        """A run to ``receiver`` is over: its slot is free."""
        self._sending[receiver] -= 1
        if self._sending[receiver] <= 0:
            del self._sending[receiver]

    def take_waiting(self) -> list[Run]:
        """Every run still waiting (the worker stops: they go back unsent)."""
        runs = [run for waiting in self._waiting.values() for run in waiting]
        self._waiting.clear()
        return runs

    def budget(self) -> ClaimBudget:
        """How many runs the next claim may take, and the receivers it leaves alone."""
        held = chain(
            self._sending.elements(),
            chain.from_iterable(repeat(r, len(runs)) for r, runs in self._waiting.items()),
        )
        return claim_budget(
            held, HELD_PER_SLOT * self.concurrency, HELD_PER_SLOT * self.per_receiver
        )
