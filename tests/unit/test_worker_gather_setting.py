"""``ROOKERY_WORKER_GATHER_MS``: how long a worker under load gathers commits into one claim."""

from __future__ import annotations

import pytest

from rookery.config import load_settings
from rookery.errors import InvalidInputError

BASE = {"ROOKERY_ENV_FILE": "/nonexistent"}


def test_defaults_to_ten_milliseconds() -> None:
    """Unset, claims gather for 10 ms."""
    assert load_settings(BASE).worker_gather_ms == 10


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("25", 25), ("1000", 1000)])
def test_accepts_milliseconds_from_zero_to_a_second(value: str, expected: int) -> None:
    """``0`` turns gathering off; up to a second is accepted."""
    settings = load_settings({**BASE, "ROOKERY_WORKER_GATHER_MS": value})
    assert settings.worker_gather_ms == expected


@pytest.mark.parametrize("value", ["abc", "-1", "1001", "2.5"])
def test_refuses_values_outside_zero_to_a_second(value: str) -> None:
    """Anything but whole milliseconds from 0 to 1000 is refused, naming the setting."""
    with pytest.raises(InvalidInputError, match="ROOKERY_WORKER_GATHER_MS"):
        load_settings({**BASE, "ROOKERY_WORKER_GATHER_MS": value})
