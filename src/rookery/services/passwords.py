"""Password hashing with Argon2id (libsodium, through PyNaCl), and the bounded pool sign-ins
verify in.

Parameters are one of OWASP's equivalent minimum sets for Argon2id: 7 MiB, 5 passes, 1 lane
(:data:`TODAY`). OWASP rates it as strong as 19 MiB with 2 passes, the set used before: on a CPU
whose cores share one cache, two 7 MiB blocks stay in it while two 19 MiB blocks do not.
libsodium picks the fastest code the CPU runs (AVX2 here) and computes the same bytes as the
reference code argon2-cffi bundles, in less time (docs/BENCHMARKS.md, issue 12's fifteenth
pass). Hashes carry their parameters: older ones still verify, and :func:`needs_rehash` tells a
sign-in to store the password again with today's.

Invariants:

* a verification costs the same whether or not there is a stored hash: a missing hash (unknown
  user, or a user without a password) is checked against a dummy hash of the same cost, so the
  answer time does not tell which user names exist;
* every Argon2id computation of the process (sign-in, user creation, password change, the
  console, start-up) runs in the process's few hashing threads (``limit_hashing(n)``, n =
  ``ROOKERY_HASH_WORKERS``); callers wait for the result, so at most n blocks of 7 MiB exist
  at once (libsodium maps each block for one hash and unmaps it after);
* sign-ins are also admitted: at most ``workers`` + ``backlog`` verifications in progress;
  one more is refused at once with :class:`TooManyRequestsError` instead of queueing, so a
  sign-in flood costs a bounded share of the CPU and cannot starve other requests of threads.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from nacl.exceptions import InvalidkeyError
from nacl.pwhash import argon2id

from rookery.errors import TooManyRequestsError

T = TypeVar("T")
HASH_NICENESS = 10  # added to the hashing threads' nice value (lower priority)
MAX_NICENESS = 19  # the lowest priority Linux has
PASSES = 5
MEMORY_KIB = 7168
TODAY = f"$argon2id$v=19$m={MEMORY_KIB},t={PASSES},p=1$"  # how today's hashes begin


class _Hashing:
    """The process's hashing threads, started on first use (so a forked child starts its own)."""

    def __init__(self, threads: int) -> None:
        self.threads = max(1, threads)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, work: Callable[..., T], *args: object) -> Future[T]:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.threads, thread_name_prefix="rookery-hash", initializer=_yield_cpu
                )
            return self._executor.submit(work, *args)


_hashing = _Hashing(1)


def _yield_cpu() -> None:
    """Lower this hashing thread's priority (Linux: per thread): requests and workers go first.

    Relative to the process's own nice value (a thread starts with its creator's), so a service
    already started under ``nice`` does not see its hashing raised above its requests.
    """
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        lowered = min(MAX_NICENESS, os.getpriority(os.PRIO_PROCESS, thread) + HASH_NICENESS)
        os.setpriority(os.PRIO_PROCESS, thread, lowered)


def limit_hashing(threads: int) -> None:
    """Run this process's Argon2id computations in ``threads`` threads (set by the entry point)."""
    global _hashing  # noqa: PLW0603 - one limit per process, like the process's memory
    _hashing = _Hashing(threads)


def _after_fork_in_child() -> None:
    # The parent's hashing threads do not exist in a forked child: start afresh on first use.
    global _hashing  # noqa: PLW0603 - see limit_hashing
    _hashing = _Hashing(_hashing.threads)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _hash_now(password: str) -> str:
    stored = argon2id.str(password.encode(), opslimit=PASSES, memlimit=MEMORY_KIB * 1024)
    return stored.decode("ascii")


def hash_password(password: str) -> str:
    """Hash ``password`` for storage (in a hashing thread; waits for one)."""
    return _hashing.submit(_hash_now, password).result()


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made with other parameters than today's (or is not an
    Argon2id hash at all: then nothing verifies against it and a sign-in never gets here)."""
    return not password_hash.startswith(TODAY)


@cache
def _dummy_hash() -> str:
    return _hash_now(secrets.token_urlsafe(16))


def _verify_now(password_hash: str | None, password: str) -> bool:
    try:
        matched = argon2id.verify((password_hash or _dummy_hash()).encode(), password.encode())
    except (InvalidkeyError, ValueError):  # a mismatch, or a stored value not such a hash
        return False
    return matched and bool(password_hash)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches the stored hash; a missing hash costs as much as a match."""
    return _hashing.submit(_verify_now, password_hash, password).result()


class PasswordPool:
    """Admission for sign-ins: at most ``workers + backlog`` verifications in progress."""

    def __init__(self, workers: int, backlog: int) -> None:
        self._capacity = workers + backlog
        self._admitted = 0
        self._lock = threading.Lock()
        _hashing.submit(_dummy_hash)  # so the first unknown user costs no extra hash

    def verify(self, password_hash: str | None, password: str) -> Future[bool]:
        """Queue one verification; 429 (retry after a second) when the queue is full."""
        with self._lock:
            if self._admitted >= self._capacity:
                raise TooManyRequestsError(
                    "too many sign-ins in progress; try again shortly", retry_after_seconds=1
                )
            self._admitted += 1
        try:
            future = _hashing.submit(_verify_now, password_hash, password)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _: self._release())
        return future

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def close(self) -> None:
        """Nothing to stop: the hashing threads belong to the process (kept for callers)."""
