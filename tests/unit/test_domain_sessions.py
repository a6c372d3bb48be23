"""When a session ticket counts, as tables over a user's ``sessions_valid_from`` instant."""

from __future__ import annotations

import pytest

from rookery.domain.sessions import revoked_from, ticket_counts, ticket_stamp

T = 1796505440  # a whole second

STAMPS = [
    # (case, now, valid_from, expected stamp)
    ("never revoked", T + 0.4, 0, T),
    ("revoked long ago", T + 0.4, T - 600, T),
    ("revoked earlier in this second: stamped one ahead", T + 0.4, T + 1, T + 1),
    ("revoked twice in this second: stamped two ahead", T + 0.9, T + 2, T + 2),
    ("the second a revocation pointed at has come", T + 1.0, T + 1, T + 1),
]


@pytest.mark.parametrize(
    ("now", "valid_from", "stamp"), [c[1:] for c in STAMPS], ids=[c[0] for c in STAMPS]
)
def test_ticket_stamp(now: float, valid_from: int, stamp: int) -> None:
    """A ticket is stamped with the current second, or the user's instant when that is later,
    so a ticket issued right after a revocation still counts."""
    assert ticket_stamp(now, valid_from) == stamp
    assert ticket_counts(stamp, valid_from)


REVOCATIONS = [
    # (case, now, valid_from before, valid_from after)
    ("first revocation", T + 0.4, 0, T + 1),
    ("revoked long ago", T + 0.999, T - 600, T + 1),
    ("again in the same second", T + 0.7, T + 1, T + 2),
    ("after a sign-in stamped ahead", T + 0.2, T + 2, T + 3),
    ("in the second a revocation pointed at", T + 1.5, T + 1, T + 2),
]


@pytest.mark.parametrize(
    ("now", "before", "after"), [c[1:] for c in REVOCATIONS], ids=[c[0] for c in REVOCATIONS]
)
def test_revocation_ends_every_ticket_issued_so_far(now: float, before: int, after: int) -> None:
    """Revoking moves the instant one past the latest stamp a ticket can have had until now: that
    ticket no longer counts, and a ticket issued at once afterwards does."""
    assert revoked_from(now, before) == after
    latest = ticket_stamp(now, before)
    assert ticket_counts(latest, before)
    assert not ticket_counts(latest, after)
    assert ticket_counts(ticket_stamp(now, after), after)


COUNTS = [
    # (case, stamp, valid_from, counts)
    ("never revoked", T, 0, True),
    ("stamped in the instant's second", T, T, True),
    ("stamped after it", T + 5, T, True),
    ("stamped the second before", T - 1, T, False),
    ("stamped long before", T - 86400, T, False),
]


@pytest.mark.parametrize(
    ("stamp", "valid_from", "counts"), [c[1:] for c in COUNTS], ids=[c[0] for c in COUNTS]
)
def test_ticket_counts(stamp: int, valid_from: int, counts: bool) -> None:
    """A ticket counts exactly when its stamp is not before the user's instant."""
    assert ticket_counts(stamp, valid_from) is counts
