"""A delivery's life: its states and the only moves between them.

Invariants:
- a delivery is written ``pending``; a worker (or ``rookery webhooks test``) claims it
  (``sending``); an attempt ends it (``delivered`` / ``failed``) or schedules the next one
  (back to ``pending``); a lost claim goes back to ``pending``; an operator's retry puts a
  finished delivery back to ``pending``;
- nothing else moves: :func:`ensure_transition` is the check every writer makes, and the
  table is the one place the moves are written down;
- the stored text is the member's value (lower case), never its name.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "FINISHED",
    "OPEN",
    "TRANSITIONS",
    "DeliveryState",
    "IllegalTransitionError",
    "ensure_transition",
    "sources_of",
]


class DeliveryState(enum.StrEnum):
    """Where a delivery is in its life (stored as the value)."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


OPEN: Final = frozenset({DeliveryState.PENDING, DeliveryState.SENDING})
FINISHED: Final = frozenset({DeliveryState.DELIVERED, DeliveryState.FAILED})

TRANSITIONS: Final[dict[DeliveryState, frozenset[DeliveryState]]] = {
    # claimed by a worker
    DeliveryState.PENDING: frozenset({DeliveryState.SENDING}),
    # the attempt's outcome, or a claim given back (lease ran out, worker went silent)
    DeliveryState.SENDING: frozenset(
        {DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.PENDING}
    ),
    # an operator's retry
    DeliveryState.DELIVERED: frozenset({DeliveryState.PENDING}),
    DeliveryState.FAILED: frozenset({DeliveryState.PENDING}),
}


class IllegalTransitionError(ValueError):
    """A move the table does not allow (a programming error, never a user's)."""


def ensure_transition(old: DeliveryState | str, new: DeliveryState | str) -> DeliveryState:
    """Return ``new`` as a state if a delivery may move from ``old`` to it; raise otherwise."""
    before, after = DeliveryState(old), DeliveryState(new)
    if after not in TRANSITIONS[before]:
        raise IllegalTransitionError(f"a delivery cannot go from {before} to {after}")
    return after


def sources_of(new: DeliveryState) -> frozenset[DeliveryState]:
    """Every state a delivery may reach ``new`` from (for conditional UPDATEs)."""
    return frozenset(old for old, targets in TRANSITIONS.items() if new in targets)
