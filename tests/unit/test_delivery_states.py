"""A delivery's state machine: the allowed moves, as a table (domain/delivery_states.py)."""

from __future__ import annotations

import itertools

import pytest

from rookery.domain.delivery_states import (
    FINISHED,
    OPEN,
    DeliveryState,
    IllegalTransitionError,
    ensure_transition,
    sources_of,
)

P, S, D, F = (
    DeliveryState.PENDING,
    DeliveryState.SENDING,
    DeliveryState.DELIVERED,
    DeliveryState.FAILED,
)

ALLOWED = {
    (P, S),  # a worker claims it
    (S, D),  # the receiver answered 2xx
    (S, F),  # retries exhausted, 410, or the webhook is gone
    (S, P),  # next attempt scheduled, or the claim given back
    (D, P),  # an operator resends it
    (F, P),  # an operator retries it
}


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_allowed_moves_return_the_new_state(old: DeliveryState, new: DeliveryState) -> None:
    """Every move in the table is accepted and yields the new state as a member."""
    assert ensure_transition(old, new) is new


@pytest.mark.parametrize(
    ("old", "new"),
    sorted(set(itertools.product(DeliveryState, repeat=2)) - ALLOWED),
)
def test_every_other_move_is_refused(old: DeliveryState, new: DeliveryState) -> None:
    """A move outside the table (staying put included) raises, naming both states."""
    with pytest.raises(IllegalTransitionError, match=f"from {old.value} to {new.value}"):
        ensure_transition(old, new)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [("pending", "sending", S), ("failed", "pending", P), (F, "pending", P)],
)
def test_stored_text_is_read_as_states(old: str, new: str, expected: DeliveryState) -> None:
    """The text a row stores is accepted wherever a state is."""
    assert ensure_transition(old, new) is expected


def test_unknown_text_is_no_state() -> None:
    """Text that names no state is refused before any move is checked."""
    with pytest.raises(ValueError, match="'queued'"):
        ensure_transition("queued", "pending")


@pytest.mark.parametrize(
    ("new", "expected"),
    [(P, {S, D, F}), (S, {P}), (D, {S}), (F, {S})],
)
def test_sources_of_each_state(new: DeliveryState, expected: set[DeliveryState]) -> None:
    """The states a delivery can reach each state from are read off the same table."""
    assert sources_of(new) == expected


def test_open_and_finished_split_the_states() -> None:
    """Every state is either open or finished, never both; values are the stored text."""
    assert set(DeliveryState) == OPEN | FINISHED
    assert not OPEN & FINISHED
    assert [s.value for s in DeliveryState] == ["pending", "sending", "delivered", "failed"]
