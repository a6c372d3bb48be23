"""The per-receiver claim budget: free slots shared fairly among receivers (delivery/budget.py)."""

from __future__ import annotations

import pytest

from rookery.delivery.budget import ClaimBudget, claim_budget

A, B, C = "http://a:80", "http://b:80", "http://c:80"


@pytest.mark.parametrize(
    ("in_flight", "concurrency", "per_receiver", "expected"),
    [
        # idle worker: one receiver's share at most
        ([], 100, 25, ClaimBudget(25, ())),
        # the share is larger than the worker: the free slots bound it
        ([], 10, 25, ClaimBudget(10, ())),
        # one receiver partly busy: its room left bounds the claim
        ([A] * 20, 100, 25, ClaimBudget(5, ())),
        # a full receiver is skipped; the others' room bounds the claim
        ([A] * 25 + [B] * 10, 100, 25, ClaimBudget(15, (A,))),
        # only full receivers in flight: a whole share for the rest
        ([A] * 25 + [B] * 25, 100, 25, ClaimBudget(25, (A, B))),
        # the smallest room among receivers in flight wins
        ([A] * 3 + [B] * 24 + [C], 100, 25, ClaimBudget(1, ())),
        # the worker is full: nothing to claim
        ([A] * 5 + [B] * 5, 10, 25, ClaimBudget(0, ())),
        # a receiver past its share (per_receiver lowered) is full, and free slots bound
        ([A] * 30, 32, 25, ClaimBudget(2, (A,))),
    ],
)
def test_claim_budget(
    in_flight: list[str], concurrency: int, per_receiver: int, expected: ClaimBudget
) -> None:
    """The claim size and the receivers skipped follow from what is in flight."""
    assert claim_budget(in_flight, concurrency, per_receiver) == expected
