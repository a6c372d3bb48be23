"""Sign-in throttling with a frozen clock: limits per account and per address, the window,
Retry-After, forgiveness of successes, and bounded memory."""

from __future__ import annotations

import pytest

from rookery.api.signin_throttle import SigninThrottle
from rookery.errors import TooManyRequestsError


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at t = 1000 s."""
    return FrozenClock()


def throttle(clock: FrozenClock, users: int = 3, addresses: int = 10) -> SigninThrottle:
    """A throttle with small limits and a 300 s window on the frozen clock."""
    return SigninThrottle(users, addresses, 300, clock=clock)


def test_account_limit_refuses_the_next_attempt_with_retry_after(clock: FrozenClock) -> None:
    """After 3 failures in the window the 4th attempt is refused until the first one expires."""
    limits = throttle(clock)
    for _ in range(3):
        limits.begin("user:1", "10.0.0.1")
        clock.advance(10)
    with pytest.raises(TooManyRequestsError) as refused:
        limits.begin("user:1", "10.0.0.1")
    assert refused.value.retry_after_seconds == 300 - 30
    assert "account" in refused.value.detail


def test_account_limit_holds_across_addresses(clock: FrozenClock) -> None:
    """Failures for one account count together whatever address they come from."""
    limits = throttle(clock)
    for number in range(3):
        limits.begin("user:1", f"10.0.0.{number}")
    with pytest.raises(TooManyRequestsError):
        limits.begin("user:1", "10.9.9.9")
    limits.begin("user:2", "10.9.9.9")


def test_failures_leave_the_window(clock: FrozenClock) -> None:
    """Once the oldest failure is a full window old, one more attempt is allowed."""
    limits = throttle(clock)
    for _ in range(3):
        limits.begin("user:1", "10.0.0.1")
    clock.advance(299)
    with pytest.raises(TooManyRequestsError) as refused:
        limits.begin("user:1", "10.0.0.1")
    assert refused.value.retry_after_seconds == 1
    clock.advance(1)
    limits.begin("user:1", "10.0.0.1")


def test_address_limit_covers_every_name(clock: FrozenClock) -> None:
    """An address with 10 failures over many names is refused for any name."""
    limits = throttle(clock)
    for number in range(10):
        limits.begin(f"login:guess{number}", "10.0.0.1")
    with pytest.raises(TooManyRequestsError) as refused:
        limits.begin("user:7", "10.0.0.1")
    assert "address" in refused.value.detail
    limits.begin("user:7", "10.0.0.2")


def test_success_clears_the_account_and_forgives_its_attempt(clock: FrozenClock) -> None:
    """A right password resets the account count and does not count at the address."""
    limits = throttle(clock, users=3, addresses=4)
    limits.begin("user:1", "10.0.0.1")
    limits.begin("user:1", "10.0.0.1")
    for _ in range(20):
        limits.succeeded(limits.begin("user:1", "10.0.0.1"))
    limits.begin("user:1", "10.0.0.1")
    limits.begin("user:1", "10.0.0.1")
    with pytest.raises(TooManyRequestsError) as refused:
        limits.begin("user:1", "10.0.0.1")
    assert "address" in refused.value.detail


def test_forgiven_attempts_do_not_count(clock: FrozenClock) -> None:
    """An attempt that was never checked (pool full) counts neither for account nor address."""
    limits = throttle(clock, users=1, addresses=1)
    for _ in range(5):
        limits.forgive(limits.begin("user:1", "10.0.0.1"))
    limits.begin("user:1", "10.0.0.1")
    with pytest.raises(TooManyRequestsError):
        limits.begin("user:1", "10.0.0.1")


def test_memory_is_bounded(clock: FrozenClock) -> None:
    """Past ``max_keys`` the least recently failed keys are forgotten first."""
    limits = SigninThrottle(1, 1000, 300, clock=clock, max_keys=4)
    limits.begin("user:old", "a")
    for number in range(4):
        limits.begin(f"user:{number}", "b")
    limits.begin("user:old", "c")  # forgotten, so allowed again
    with pytest.raises(TooManyRequestsError):
        limits.begin("user:3", "d")
