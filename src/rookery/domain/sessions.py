"""When a session ticket counts: each user's "sessions valid from" instant.

A session ticket (the ``auth_tkt`` cookie) names a user and the second it was stamped with, and
nothing else, exactly as Magpie writes it. Each user has an instant, in whole epoch seconds
like the stamp, before which none of their tickets counts; revoking the user's sessions moves
it past every stamp handed out so far.

Invariants:

- a ticket counts only if its stamp is at or after its user's instant (and, elsewhere, only
  while it has not expired and its digest holds);
- revoking at ``now`` sets the instant to ``max(int(now), instant) + 1``: one past the latest
  stamp :func:`ticket_stamp` can have given, so every earlier ticket stops counting;
- a ticket issued at ``now`` is stamped ``max(int(now), instant)``, so a sign-in in the same
  second as a revocation still gets a ticket that counts. Such a ticket is stamped up to 1 s
  in the future (n s after n revocations of that user within one second), and lives that much
  longer.

The stamps come from the clock of the host that issues them: several API hosts must keep their
clocks within about a second of each other, or a ticket issued on a host that runs ahead can
outlive a revocation made on one that runs behind.
"""

from __future__ import annotations

__all__ = ["revoked_from", "ticket_counts", "ticket_stamp"]


def ticket_stamp(now: float, valid_from: int) -> int:
    """The stamp of a ticket issued at ``now`` to a user whose sessions are valid from
    ``valid_from``: the current second, or ``valid_from`` when that is later."""
    return max(int(now), valid_from)


def revoked_from(now: float, valid_from: int) -> int:
    """The user's new instant after revoking at ``now``: one past any stamp issued so far."""
    return ticket_stamp(now, valid_from) + 1


def ticket_counts(stamp: int, valid_from: int) -> bool:
    """Whether a ticket stamped ``stamp`` is still a session of a user valid from
    ``valid_from`` (expiry and the digest are checked where the ticket is read)."""
    return stamp >= valid_from
