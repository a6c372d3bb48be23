"""A lane's run: the deliveries one claim took from one lane, sent one after another.

A claim takes, from each due lane, its head and up to ``depth - 1`` deliveries right behind
it (:func:`rookery.db.queue.claim_due`). The worker sends a run in id order, each delivery
once the one before it is finished, with no database turn in between: a lane's next
delivery goes out as soon as its predecessor's answer arrives, not a turn later.

Invariants (pure: no I/O, no clock):
- a run holds deliveries of one lane, in id order, as the claim returned them;
- a run goes on past a delivery only when that delivery is finished (delivered, or failed
  for good); after an attempt that will be retried, the rest is given back unsent, and the
  lane waits for the retry as it always did (SPEC §6 ordering);
- one run is one of the worker's slots, whatever its length: the per-receiver budget counts
  runs, i.e. requests that can be in flight at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from rookery.db.outcomes import AttemptResult, next_attempt_delay
from rookery.db.queue import ClaimedDelivery

# How many deliveries a claim takes from one lane. Long enough that a busy lane rarely waits
# for a turn (docs/BENCHMARKS.md, "runs"); short enough that when every slot of a receiver is
# busy, another of its lanes waits at most one run's sends for a slot.
RUN_DEPTH = 32


def split_runs(claimed: Iterable[ClaimedDelivery]) -> list[list[ClaimedDelivery]]:
    """The claimed deliveries as runs: grouped by lane, each in id order."""
    runs: dict[str, list[ClaimedDelivery]] = {}
    for delivery in sorted(claimed, key=lambda d: d.id):
        runs.setdefault(delivery.lane, []).append(delivery)
    return list(runs.values())


def run_goes_on(delivery: ClaimedDelivery, result: AttemptResult) -> bool:
    """Whether the next delivery of the run may be sent: this one is finished.

    The same decision the recording makes (:func:`rookery.db.outcomes.next_attempt_delay`
    is None exactly when the delivery is finished; only the length of a pause is random).
    """
    return next_attempt_delay(delivery, result) is None
