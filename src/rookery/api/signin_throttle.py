"""Sign-in throttling: failures counted per account and per client address in a sliding window.

An attempt is *reserved* as a failure before the password is checked (``begin``) and forgiven
when it succeeds (``succeeded``), so concurrent guesses cannot all pass the check before any of
them is counted: at most ``user_limit`` wrong passwords per account and ``address_limit`` per
address reach the hasher within any ``window_seconds``.

Invariants:

* a key (account or address) with ``limit`` failures inside the window is refused with
  :class:`TooManyRequestsError` whose ``retry_after_seconds`` is when its oldest failure leaves
  the window (at least 1);
* the per-account count does not depend on the address: guessing from many addresses is still
  stopped after ``user_limit`` failures;
* a success clears the account's failures and forgives its own reservation at the address;
* memory is bounded: at most ``max_keys`` keys are tracked; expired keys go first, then the
  least recently failed.

The state lives in this process (one ``rookery serve``); several API processes each keep their
own counts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from rookery.errors import TooManyRequestsError

Clock = Callable[[], float]


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: hand it back to :meth:`SigninThrottle.succeeded` on success."""

    account: str
    address: str
    at: float


class SigninThrottle:
    """Counts sign-in failures per account and per address (thread-safe)."""

    def __init__(
        self,
        user_limit: int,
        address_limit: int,
        window_seconds: float,
        *,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._limits = {"account": user_limit, "address": address_limit}
        self._window = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, account: str, address: str) -> Attempt:
        """Reserve one attempt, or raise 429 when the account or the address is over its limit."""
        now = self._clock()
        with self._lock:
            for kind, key in (("account", account), ("address", address)):
                times = self._recent(f"{kind}:{key}", now)
                if len(times) >= self._limits[kind]:
                    wait = max(1, math.ceil(times[0] + self._window - now))
                    raise TooManyRequestsError(
                        f"too many failed sign-ins for this {kind}; try again in {wait} second(s)",
                        retry_after_seconds=wait,
                    )
            for key in (f"account:{account}", f"address:{address}"):
                self._failures.setdefault(key, deque()).append(now)
                self._failures.move_to_end(key)
            self._evict(now)
        return Attempt(account, address, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clear the account's failures, forgive this attempt."""
        with self._lock:
            self._failures.pop(f"account:{attempt.account}", None)
            self._drop(f"address:{attempt.address}", attempt.at)

    def forgive(self, attempt: Attempt) -> None:
        """The attempt was never checked (e.g. the hashing pool was full): do not count it."""
        with self._lock:
            self._drop(f"account:{attempt.account}", attempt.at)
            self._drop(f"address:{attempt.address}", attempt.at)

    def _drop(self, key: str, at: float) -> None:
        times = self._failures.get(key)
        if times is not None and at in times:
            times.remove(at)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def _evict(self, now: float) -> None:
        if len(self._failures) <= self._max_keys:
            return
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= now - self._window]:
            del self._failures[key]
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)
