"""Retry schedules, durations and Retry-After (SPEC §4 `retry`, §6 delivery)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from rookery.webhooks.retry import (
    DEFAULT_SCHEDULE,
    RetryPolicy,
    parse_duration,
    retry_after_delay,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, timedelta(seconds=5)),
        (2.5, timedelta(seconds=2.5)),
        ("5s", timedelta(seconds=5)),
        ("250ms", timedelta(milliseconds=250)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1.5s", timedelta(seconds=1.5)),
        ("10", timedelta(seconds=10)),
        (" 3 H ", timedelta(hours=3)),
        (0, timedelta(0)),
    ],
)
def test_parse_duration_accepts(value: object, expected: timedelta) -> None:
    """Numbers are seconds and text may carry a ms/s/m/h/d unit."""
    assert parse_duration(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "abc", "5x", "-5s", -1, "5 s s", True, None, [5], float("nan"), float("inf"), 10**400],
)
def test_parse_duration_refuses(value: object) -> None:
    """Anything that is not a non-negative finite duration raises ValueError."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_default_schedule_is_the_spec_one() -> None:
    """The default policy waits 5s, 5m, 30m, 2h, 5h, 10h, 10h with ±20% jitter."""
    policy = RetryPolicy()
    assert policy.schedule == tuple(
        parse_duration(text) for text in ["5s", "5m", "30m", "2h", "5h", "10h", "10h"]
    )
    assert policy.schedule == DEFAULT_SCHEDULE
    assert policy.jitter == 0.2
    assert policy.max_attempts == 8


def test_policy_is_frozen() -> None:
    """A retry policy cannot be changed once made."""
    policy = RetryPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.jitter = 0.5  # type: ignore[misc]


def test_empty_schedule_means_a_single_attempt() -> None:
    """With an empty schedule there is one attempt and no retry."""
    policy = RetryPolicy(schedule=())
    assert policy.max_attempts == 1
    assert policy.delay_before_attempt(1, random.Random(0)) == timedelta(0)
    assert policy.delay_before_attempt(2, random.Random(0)) is None


def test_delays_follow_the_schedule_without_jitter() -> None:
    """Without jitter the pause before attempt n is exactly schedule[n - 2]."""
    policy = RetryPolicy(schedule=(timedelta(seconds=1), timedelta(seconds=7)), jitter=0)
    rng = random.Random(1)
    assert [policy.delay_before_attempt(n, rng) for n in (1, 2, 3, 4)] == [
        timedelta(0),
        timedelta(seconds=1),
        timedelta(seconds=7),
        None,
    ]


def test_jitter_stays_within_bounds_and_varies() -> None:
    """Jittered pauses stay within ±jitter of the schedule and are not all equal."""
    policy = RetryPolicy()
    rng = random.Random(42)
    for attempt in range(2, policy.max_attempts + 1):
        base = DEFAULT_SCHEDULE[attempt - 2]
        delays = [policy.delay_before_attempt(attempt, rng) for _ in range(200)]
        assert all(d is not None and base * 0.8 <= d <= base * 1.2 for d in delays)
        assert len(set(delays)) > 1


def test_seeded_rng_gives_repeatable_delays() -> None:
    """The same seed gives the same pauses."""
    policy = RetryPolicy()
    first = [policy.delay_before_attempt(n, random.Random(7)) for n in range(1, 9)]
    second = [policy.delay_before_attempt(n, random.Random(7)) for n in range(1, 9)]
    assert first == second


def test_attempt_numbers_start_at_one() -> None:
    """Asking for attempt 0 is a programming error."""
    with pytest.raises(ValueError, match="start at 1"):
        RetryPolicy().delay_before_attempt(0, random.Random(0))


@pytest.mark.parametrize("jitter", [-0.1, 1.0, 2])
def test_policy_refuses_bad_jitter(jitter: float) -> None:
    """Jitter outside [0, 1) is refused."""
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=jitter)


def test_policy_refuses_negative_pause() -> None:
    """A negative pause in the schedule is refused."""
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(schedule=(timedelta(seconds=-1),))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        ("0", timedelta(0)),
        ("99999", timedelta(hours=1)),
        ("Wed, 01 May 2024 12:00:30 GMT", timedelta(seconds=30)),
        ("Wed, 01 May 2024 11:00:00 GMT", timedelta(0)),
        ("Thu, 02 May 2024 12:00:00 GMT", timedelta(hours=1)),
    ],
)
def test_retry_after_is_honoured_up_to_the_cap(header: str, expected: timedelta) -> None:
    """Retry-After seconds or dates give the pause asked for, never negative, at most the cap."""
    assert retry_after_delay(header, NOW, timedelta(hours=1)) == expected


@pytest.mark.parametrize("header", [None, "", "  ", "soon", "-5", "1.5", "Wed, 99 Foo 2024"])
def test_retry_after_unusable_gives_none(header: str | None) -> None:
    """A missing or unparseable Retry-After gives None."""
    assert retry_after_delay(header, NOW, timedelta(hours=1)) is None
