"""The JSON a claim reads, decoded once per distinct text and shared read-only.

A claimed delivery carries two JSON columns, its stored headers and its retry schedule, and
every delivery of one webhook stores the very same text in each (``{"Content-Type": ...}``,
``[5.0, 300.0, ...]``). Decoding them was a sixth of an SQLite worker turn's Python time
(docs/BENCHMARKS.md, "issue 10, fourteenth pass"); a dictionary lookup on the text is a
fraction of that.

Invariants:
- the value for a text is decoded once and then the same object is returned, so it must not
  change: an object comes back as a read-only mapping, an array as a tuple (their elements are
  the column's scalars);
- the memo is bounded: when it holds ``KEPT`` texts it starts afresh.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

KEPT = 1024

_decoded: dict[str | bytes, Any] = {}


def decode_shared(text: str | bytes) -> Any:
    """``text`` decoded, read-only, and the same object for the same text."""
    found = _decoded.get(text)
    if found is None:
        found = _frozen(json.loads(text))
        if len(_decoded) >= KEPT:
            _decoded.clear()
        _decoded[text] = found
    return found


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType(value)
    if isinstance(value, list):
        return tuple(value)
    return value
