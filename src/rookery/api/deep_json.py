"""JSON text for values nested deeper than the standard encoder can go.

``json.dumps`` recurses once per level and gives up near Python's recursion limit (about 1,000
levels); a resource tree 1,000 deep renders as 2,000 nested objects. :func:`dumps_deep` writes
the same text with an explicit stack, so depth costs memory, never the call stack. Invariant:
for any value the standard encoder can render, the output is byte-for-byte the same as
``json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))`` — which is
what Starlette's ``JSONResponse`` sends.
"""

from __future__ import annotations

import json
from typing import Any


class _Text(str):
    """A piece of JSON already written (punctuation, a key), as opposed to a value."""


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _key(key: Any) -> str:
    # json.dumps writes non-string keys as their JSON text, quoted (True → "true").
    if isinstance(key, str):
        return _scalar(key)
    return _scalar(_scalar(key) if key is None or isinstance(key, (bool, float)) else str(key))


def dumps_deep(value: Any) -> str:
    """The compact JSON text of ``value``, however deeply it nests."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            out.append(item)
        elif isinstance(item, dict):
            out.append("{")
            todo: list[Any] = [_Text("}")]
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                key, member = entries[index]
                todo += [member, _Text(("," if index else "") + _key(key) + ":")]
            stack += todo
        elif isinstance(item, (list, tuple)):
            out.append("[")
            todo = [_Text("]")]
            for index in range(len(item) - 1, -1, -1):
                todo += [item[index], _Text(",")] if index else [item[index]]
            stack += todo
        else:
            out.append(_scalar(item))
    return "".join(out)
