"""Running a coroutine from a test, whatever the thread already runs.

Some tests in the same process (Playwright's sync API) leave an event loop running in the main
thread, where ``asyncio.run`` refuses to start another; a short-lived thread always can.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion in a new event loop on its own thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
