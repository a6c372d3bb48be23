"""Password verification: the dummy hash for missing ones, and the bounded pool."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from rookery.errors import TooManyRequestsError
from rookery.services.passwords import PasswordPool, hash_password, verify_password


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
