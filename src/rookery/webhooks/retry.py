"""When to try a failed delivery again: the retry schedule as a small value object.

Invariants:

- A :class:`RetryPolicy` is immutable. Its schedule lists the pause before each retry, so a
  delivery makes at most ``len(schedule) + 1`` attempts; an empty schedule means one attempt.
- Attempt numbers start at 1. The first attempt is never delayed; the pause before attempt
  ``n`` (``n >= 2``) is ``schedule[n - 2]`` scaled by a factor drawn uniformly from
  ``[1 - jitter, 1 + jitter]`` with the caller's random generator (tests pass a seeded one).
- Durations are ``timedelta``; none is negative. ``parse_duration`` accepts seconds as numbers
  or strings with a unit (``250ms``, ``5s``, ``5m``, ``2h``, ``1d``); a bare number is seconds.
- ``Retry-After`` is honoured only up to a cap and never produces a negative delay.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

DEFAULT_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DEFAULT_JITTER = 0.2

_UNITS: dict[str, float] = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?")
# Far beyond any sensible schedule, but small enough that timedelta never overflows.
_MAX_SECONDS = 366 * 86400


def parse_duration(value: object) -> timedelta:
    """Return the duration ``value`` names: seconds as a number, or text like ``"1.5s"``.

    Raise ``ValueError`` for anything else, including negative, infinite or huge values.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(min(value, _MAX_SECONDS + 1))
    elif isinstance(value, str):
        seconds = _parse_duration_text(value)
    else:
        raise ValueError(
            f"expected a duration such as 5, '250ms', '5s', '5m', '2h' or '1d', got {value!r}"
        )
    if not math.isfinite(seconds) or seconds < 0 or seconds > _MAX_SECONDS:
        raise ValueError(f"expected a duration between 0 and 366 days, got {value!r}")
    return timedelta(seconds=seconds)


def _parse_duration_text(text: str) -> float:
    """Return the seconds a duration text names, or raise ``ValueError``."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(
            f"expected a duration such as '250ms', '5s', '5m', '2h' or '1d', got {text!r}"
        )
    number, unit = match.groups()
    return float(number) * _UNITS[unit or "s"]


@dataclass(frozen=True)
class RetryPolicy:
    """The pauses between a delivery's attempts, and how much they may vary."""

    schedule: tuple[timedelta, ...] = field(default=DEFAULT_SCHEDULE)
    jitter: float = DEFAULT_JITTER

    def __post_init__(self) -> None:
        """Refuse negative pauses and a jitter outside ``[0, 1)``."""
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter!r}")
        if any(pause < timedelta(0) for pause in self.schedule):
            raise ValueError("a retry schedule cannot contain a negative pause")
        # Accept any sequence but keep the value object hashable and immutable.
        object.__setattr__(self, "schedule", tuple(self.schedule))

    @property
    def max_attempts(self) -> int:
        """Return how many attempts a delivery gets in total (the first one included)."""
        return len(self.schedule) + 1

    def delay_before_attempt(
        self, next_attempt_number: int, rng: random.Random
    ) -> timedelta | None:
        """Return the jittered pause before attempt ``next_attempt_number``, or ``None``.

        ``None`` means no attempt of that number will be made; attempt 1 has no pause.
        """
        if next_attempt_number < 1:
            raise ValueError(f"attempt numbers start at 1, got {next_attempt_number}")
        if next_attempt_number > self.max_attempts:
            return None
        if next_attempt_number == 1:
            return timedelta(0)
        base = self.schedule[next_attempt_number - 2]
        factor = rng.uniform(1 - self.jitter, 1 + self.jitter)
        return base * factor


def retry_after_delay(header_value: str | None, now: datetime, cap: timedelta) -> timedelta | None:
    """Return the pause a ``Retry-After`` header asks for, at most ``cap``, or ``None``.

    The header is either whole seconds or an HTTP date; ``None`` when it is absent or neither.
    A date in the past gives a zero pause. ``now`` must be timezone-aware.
    """
    if header_value is None or not header_value.strip():
        return None
    text = header_value.strip()
    wanted: timedelta | None
    if text.isdigit() and text.isascii():
        wanted = timedelta(seconds=min(int(text), _MAX_SECONDS))
    else:
        wanted = _delay_until_http_date(text, now)
    if wanted is None:
        return None
    return min(max(wanted, timedelta(0)), cap)


def _delay_until_http_date(text: str, now: datetime) -> timedelta | None:
    """Return the time from ``now`` to the HTTP date ``text``, or ``None`` if it is no date."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are GMT; "-0000" parses as naive.
        when = when.replace(tzinfo=UTC)
    return when - now
