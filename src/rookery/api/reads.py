"""Running a read-only query for a route: one read session, off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from rookery.services.context import AppContext

T = TypeVar("T")


async def read(app: AppContext, query: Callable[..., T], *args: Any) -> T:
    """``query(session, *args)`` in a read-only session, in the thread pool."""

    def run() -> T:
        with app.read_session() as session:
            return query(session, *args)

    return await run_in_threadpool(run)
