"""How much one claim may take: the worker's free slots, shared fairly among receivers.

Invariants (pure: no I/O, no clock):
- a claim never takes more than the worker's free slots (``concurrency - in flight``);
- a receiver already at ``per_receiver`` deliveries in flight is *full*: the claim skips it;
- no single claim can push any other receiver past its share, so the claim asks for at most
  the smallest room left among the receivers in flight (``per_receiver`` when none is).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimBudget:
    """How many deliveries to claim, and the receivers to leave alone this time."""

    want: int
    full: tuple[str, ...]


def claim_budget(in_flight: Iterable[str], concurrency: int, per_receiver: int) -> ClaimBudget:
    """The budget for the next claim, given the receivers of the deliveries in flight."""
    busy = Counter(in_flight)
    full = tuple(sorted(r for r, n in busy.items() if n >= per_receiver))
    room = [per_receiver - n for r, n in busy.items() if r not in full]
    free = concurrency - sum(busy.values())
    return ClaimBudget(min(free, min(room, default=per_receiver)), full)
