"""Password hashing with Argon2id (argon2-cffi), and the bounded pool sign-ins verify in.

Parameters are OWASP's minimum for Argon2id (19 MiB, 2 passes): strong, yet cheap enough that
creating users in bulk stays fast. Hashes carry their parameters, so raising them later still
verifies old hashes and ``needs_rehash`` tells when to upgrade.

Invariants:

* a verification costs the same whether or not there is a stored hash: a missing hash (unknown
  user, or a user without a password) is checked against a dummy hash of the same cost, so the
  answer time does not tell which user names exist;
* at most ``workers`` verifications run at once and at most ``backlog`` wait; one more is
  refused at once with :class:`TooManyRequestsError` instead of queueing, so a sign-in flood
  costs a bounded share of the CPU and cannot starve other requests of threads.
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rookery.errors import TooManyRequestsError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    """Hash ``password`` for storage."""
    return _HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches the stored hash; a missing hash costs as much as a match."""
    try:
        matched = _HASHER.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and bool(password_hash)


class PasswordPool:
    """A few threads that verify passwords, with a bounded queue in front of them."""

    def __init__(self, workers: int, backlog: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rookery-hash")
        self._capacity = workers + backlog
        self._admitted = 0
        self._lock = threading.Lock()
        self._executor.submit(_dummy_hash)  # so the first unknown user costs no extra hash

    def verify(self, password_hash: str | None, password: str) -> Future[bool]:
        """Queue one verification; 429 (retry after a second) when the queue is full."""
        with self._lock:
            if self._admitted >= self._capacity:
                raise TooManyRequestsError(
                    "too many sign-ins in progress; try again shortly", retry_after_seconds=1
                )
            self._admitted += 1
        try:
            future = self._executor.submit(verify_password, password_hash, password)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _: self._release())
        return future

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def close(self) -> None:
        """Stop the threads once queued verifications are done."""
        self._executor.shutdown(wait=False, cancel_futures=True)
