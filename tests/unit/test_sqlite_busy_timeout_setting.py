"""``ROOKERY_SQLITE_BUSY_TIMEOUT``: seconds a SQLite writer waits for the write lock."""

from __future__ import annotations

import pytest

from rookery.config import load_settings
from rookery.errors import InvalidInputError

BASE = {"ROOKERY_ENV_FILE": "/nonexistent"}


def test_defaults_to_thirty_seconds() -> None:
    """Unset, a writer waits 30 s."""
    assert load_settings(BASE).sqlite_busy_timeout_seconds == 30.0


def test_accepts_fractions_of_a_second() -> None:
    """``0.5`` is half a second."""
    settings = load_settings({**BASE, "ROOKERY_SQLITE_BUSY_TIMEOUT": "0.5"})
    assert settings.sqlite_busy_timeout_seconds == 0.5


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1e9"])
def test_refuses_values_that_are_not_a_positive_duration(value: str) -> None:
    """Anything but seconds above 0 (and below a day) is refused, naming the setting."""
    with pytest.raises(InvalidInputError, match="ROOKERY_SQLITE_BUSY_TIMEOUT"):
        load_settings({**BASE, "ROOKERY_SQLITE_BUSY_TIMEOUT": value})
