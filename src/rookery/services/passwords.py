"""Password hashing with Argon2id (argon2-cffi).

Parameters are OWASP's minimum for Argon2id (19 MiB, 2 passes): strong, yet cheap enough that
creating users in bulk stays fast. Hashes carry their parameters, so raising them later still
verifies old hashes and ``needs_rehash`` tells when to upgrade.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    """Hash ``password`` for storage."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches the stored hash (False for a missing hash)."""
    if not password_hash:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
