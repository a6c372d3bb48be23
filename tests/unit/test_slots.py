"""The worker's slots: runs sending and runs claimed ahead (delivery/slots.py)."""

from __future__ import annotations

import pytest

from rookery.delivery.budget import ClaimBudget
from rookery.delivery.slots import Run, Slots
from tests.support.claims import claimed

A, B, C = "http://a:80", "http://b:80", "http://c:80"


def _runs(receiver: str, count: int, first_id: int = 1) -> list[Run]:
    """``count`` one-delivery runs to ``receiver``, each in a lane of its own."""
    return [
        [claimed(first_id + i, receiver=receiver, lane=f"{receiver}|{first_id + i}")]
        for i in range(count)
    ]


def _receivers(runs: list[Run]) -> list[str]:
    return [run[0].receiver for run in runs]


@pytest.mark.parametrize(
    ("claims", "concurrency", "per_receiver", "started", "budget"),
    [
        # idle worker: up to twice a receiver's share may be claimed
        ([], 8, 4, [], ClaimBudget(8, ())),
        # a receiver's runs start up to its share; the rest wait, and count as held
        ([(A, 6)], 8, 4, [A] * 4, ClaimBudget(2, ())),
        # a receiver holding twice its share is full: the claim leaves it alone
        ([(A, 8)], 8, 4, [A] * 4, ClaimBudget(8, (A,))),
        # receivers take turns for the worker's slots, one run each
        ([(A, 2), (B, 2), (C, 2)], 4, 4, [A, B, C, A], ClaimBudget(2, ())),
        # the worker holds at most twice its slots, whatever the receivers' shares
        ([(A, 8), (B, 8)], 8, 8, [A, B] * 4, ClaimBudget(0, ())),
    ],
)
def test_start_and_budget(
    claims: list[tuple[str, int]],
    concurrency: int,
    per_receiver: int,
    started: list[str],
    budget: ClaimBudget,
) -> None:
    """Which claimed runs start at once, and what the next claim may take."""
    slots = Slots(concurrency, per_receiver)
    first = 1
    for receiver, count in claims:
        slots.add(_runs(receiver, count, first))
        first += count
    assert _receivers(slots.startable()) == started
    assert slots.sending == len(started)
    assert slots.budget() == budget


def test_a_run_that_ends_frees_its_slot_for_the_next_waiting_run() -> None:
    """A receiver's waiting runs start in claim order, each as a slot frees."""
    slots = Slots(concurrency=4, per_receiver=2)
    slots.add(_runs(A, 4))
    first = slots.startable()
    assert [run[0].id for run in first] == [1, 2]
    assert slots.startable() == []  # A is at its share: the others wait
    slots.ended(A)
    assert [run[0].id for run in slots.startable()] == [3]
    slots.ended(A)
    slots.ended(A)
    assert [run[0].id for run in slots.startable()] == [4]
    assert (slots.sending, slots.waiting) == (1, 0)


def test_a_hanging_receiver_leaves_the_other_half_of_the_slots_to_the_rest() -> None:
    """SPEC §6 Isolation: however much of one receiver waits, the others start."""
    slots = Slots(concurrency=4, per_receiver=2)
    slots.add(_runs(A, 4))
    assert _receivers(slots.startable()) == [A, A]
    assert slots.budget() == ClaimBudget(4, (A,))  # A holds its two shares: claim for others
    slots.add(_runs(B, 2, first_id=10))
    assert _receivers(slots.startable()) == [B, B]


def test_stopping_takes_back_every_waiting_run() -> None:
    slots = Slots(concurrency=2, per_receiver=1)
    slots.add(_runs(A, 2) + _runs(B, 2, first_id=10))
    assert _receivers(slots.startable()) == [A, B]
    waiting = slots.take_waiting()
    assert sorted(run[0].id for run in waiting) == [2, 11]
    assert slots.waiting == 0
    assert slots.startable() == []
