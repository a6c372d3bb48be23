"""The doorbell from ``serve``'s API process to its SQLite worker: rings never block or fail."""

from __future__ import annotations

from rookery.delivery.doorbell import Doorbell


def test_one_drain_reads_every_ring_waiting() -> None:
    bell = Doorbell()
    try:
        assert bell.drain() == 0
        for _ in range(3):
            bell.ring()
        assert bell.drain() == 3
        assert bell.drain() == 0
    finally:
        bell.close()


def test_ringing_a_full_bell_or_one_nobody_listens_to_does_not_raise() -> None:
    bell = Doorbell()
    try:
        for _ in range(100_000):  # far more than the socket buffer holds
            bell.ring()
        assert bell.drain() > 0
        bell.keep_ringer()  # the listening end is gone
        bell.ring()
    finally:
        bell.close()
