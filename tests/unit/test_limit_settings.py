"""The session and limit settings: defaults, Magpie's alias, and refusal of bad values."""

from __future__ import annotations

import pytest

from rookery.config import automatic_hash_workers, load_settings
from rookery.errors import InvalidInputError

NO_FILE = {"ROOKERY_ENV_FILE": "/nonexistent/.env"}


def test_defaults() -> None:
    """Without settings: 1-day sessions, 1 MiB bodies, 10/50 failures per 300 s."""
    settings = load_settings(NO_FILE)
    assert settings.session_expire_seconds == 86400
    assert settings.max_body_bytes == 1024 * 1024
    assert (settings.signin_user_failures, settings.signin_address_failures) == (10, 50)
    assert settings.signin_window_seconds == 300


def test_magpie_cookie_expire_is_the_session_lifetime() -> None:
    """MAGPIE_COOKIE_EXPIRE sets the session lifetime; ROOKERY_SESSION_EXPIRE wins over it."""
    assert load_settings({**NO_FILE, "MAGPIE_COOKIE_EXPIRE": "600"}).session_expire_seconds == 600
    both = {**NO_FILE, "MAGPIE_COOKIE_EXPIRE": "600", "ROOKERY_SESSION_EXPIRE": "60"}
    assert load_settings(both).session_expire_seconds == 60


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_bad_limits_name_the_setting(value: str) -> None:
    """A limit that is not a positive integer is refused, naming the setting."""
    with pytest.raises(InvalidInputError) as refused:
        load_settings({**NO_FILE, "ROOKERY_MAX_BODY_BYTES": value})
    assert refused.value.param == "ROOKERY_MAX_BODY_BYTES"


@pytest.mark.parametrize(
    ("api_processes", "cores", "hashers"),
    [
        (0, 2, 1),  # one API process per core: one thread each
        (0, 1, 1),
        (1, 2, 2),  # one API process gets every core
        (1, 16, 4),  # at most 4: each keeps a 7 MiB block
        (1, 4, 4),
        (3, 8, 2),
        (8, 2, 1),  # never none
    ],
)
def test_hashing_threads_share_the_cores_among_api_processes(
    api_processes: int, cores: int, hashers: int
) -> None:
    assert automatic_hash_workers(api_processes, cores) == hashers


def test_hashing_threads_are_automatic_unless_set() -> None:
    sqlite = {**NO_FILE, "ROOKERY_DATABASE_URL": "sqlite:///r.db"}
    expected = automatic_hash_workers(0)
    assert load_settings(sqlite).hash_workers == expected
    assert load_settings({**sqlite, "ROOKERY_HASH_WORKERS": "3"}).hash_workers == 3
