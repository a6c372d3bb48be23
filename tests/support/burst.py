"""A burst of group creations from a thread, tolerant of a server whose database is away."""

from __future__ import annotations

import threading
import time

import httpx


class Burst:
    """Create groups ``<prefix>0`` … until ``count`` exist; ``accepted`` lists them in order.

    A request that fails (5xx, connection error) is tried again with the same name after a
    short pause; a 409 means an earlier try committed without answering, so it counts too:
    its event exists and must be delivered.
    """

    def __init__(self, client: httpx.Client, count: int, prefix: str = "g") -> None:
        self.client = client
        self.count = count
        self.prefix = prefix
        self.accepted: list[str] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Burst:
        self._thread.start()
        return self

    def wait_accepted(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` groups were accepted."""
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            assert time.monotonic() < deadline, f"only {len(self.accepted)} groups accepted"
            time.sleep(0.005)

    def join(self, timeout: float) -> None:
        """Wait for the burst to finish; fail if it does not within ``timeout``."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"burst stuck at {len(self.accepted)}/{self.count}"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        number = 0
        while number < self.count and not self._stop.is_set():
            name = f"{self.prefix}{number}"
            try:
                code = self.client.post("/groups", json={"group_name": name}).status_code
            except httpx.HTTPError:
                code = 0
            if code in (201, 409):
                self.accepted.append(name)
                number += 1
            else:
                self.failures += 1
                time.sleep(0.05)
