"""How a webhook's deliveries are ordered (SPEC §6 "Ordering", §9).

- ``receiver`` (the default): one lane per receiver and subject; a lane's deliveries go out
  one at a time in commit order, whichever webhooks produced them;
- ``none``: each delivery is its own lane, so the webhook's deliveries go out in parallel,
  neither waiting for nor holding up any other.
"""

from __future__ import annotations

import enum

__all__ = ["Ordering"]


class Ordering(enum.StrEnum):
    """A webhook's ``ordering`` key (the value is the configuration text)."""

    RECEIVER = "receiver"
    NONE = "none"
