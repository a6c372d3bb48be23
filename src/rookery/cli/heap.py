"""The heap of a long-running process: what its start-up built is never walked again.

A started ``rookery serve`` or ``rookery worker`` process holds ~160,000 objects that live as
long as it does (modules, the ORM's mappers, the API's routes and models, the webhook
registry). CPython's full collection walks every one of them; in the delivery worker one took
156 ms on a busy 2-core host, holding the event loop, so every webhook in flight arrived that
much later (docs/BENCHMARKS.md, "Collector pauses"). Once start-up is over they are moved out
of the collector's sight (``gc.freeze``). Reference counting still frees them; only cycles
among them would now be kept, and start-up builds none that it later drops. What the process
allocates afterwards is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect start-up's garbage once, then exempt everything alive from later collections."""
    gc.collect()
    gc.freeze()
