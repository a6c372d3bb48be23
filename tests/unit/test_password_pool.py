"""Password verification: the dummy hash for missing ones, and the bounded pool."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from rookery.errors import TooManyRequestsError
from rookery.services.passwords import (
    PasswordPool,
    hash_password,
    limit_hashing,
    verify_password,
)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_missing_hash_never_matches() -> None:
    """A user without a stored hash (or an unknown one) never signs in, whatever is typed."""
    assert verify_password(None, "") is False
    assert verify_password(None, "anything") is False
    assert verify_password("", "anything") is False


def test_stored_hash_matches_only_its_password() -> None:
    """The stored Argon2id hash accepts its password and nothing else."""
    stored = hash_password("the-right-password")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "the-right-password") is True
    assert verify_password(stored, "the-wrong-password") is False


def test_full_pool_refuses_at_once_and_recovers() -> None:
    """With 1 worker and a backlog of 1, a third concurrent verification is 429, later ones pass."""
    pool = PasswordPool(workers=1, backlog=1)
    stored = hash_password("the-right-password")
    try:
        pool.verify(stored, "warm-up").result()
        running: list[Future[bool]] = [
            pool.verify(stored, "the-right-password"),
            pool.verify(stored, "wrong"),
        ]
        with pytest.raises(TooManyRequestsError) as refused:
            pool.verify(stored, "the-right-password")
        assert refused.value.retry_after_seconds == 1
        assert [f.result(timeout=30) for f in running] == [True, False]
        assert pool.verify(stored, "the-right-password").result(timeout=30) is True
    finally:
        pool.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, glibc malloc")
def test_hashing_from_many_threads_keeps_memory_flat() -> None:
    """Forty Argon2id hashes asked for by 16 threads, with 2 hashing threads, leave RSS within
    about two 7 MiB blocks of the start (hashing in the callers' threads: a block per thread)."""
    limit_hashing(2)
    try:
        verify_password(hash_password("warm-up-password"), "warm-up-password")
        before = _rss_mb()
        with ThreadPoolExecutor(max_workers=16) as threads:
            hashes = list(threads.map(hash_password, [f"password-{i}" for i in range(40)]))
        after = _rss_mb()
    finally:
        limit_hashing(1)
    assert len(set(hashes)) == 40
    assert after - before < 40, f"RSS grew from {before:.0f} MB to {after:.0f} MB"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_hashing_threads_run_at_lower_priority() -> None:
    """The thread that computed a hash runs 10 nice steps below the process (at most 19):
    requests and workers get the CPU first, also when the service was started under ``nice``."""
    hashed_in = _hashing_thread_id()
    stat = Path(f"/proc/self/task/{hashed_in}/stat").read_text()
    nice = int(stat.rsplit(")", 1)[1].split()[16])
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert nice == min(19, base + 10)


def _hashing_thread_id() -> int:
    from rookery.services import passwords

    return passwords._hashing.submit(threading.get_native_id).result()
