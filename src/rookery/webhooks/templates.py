"""Magpie's ``{{param}}`` template language, as SPEC §5 "Template substitution" defines it.

A template is ``{{name}}`` where ``name`` is a key of the parameters given to
:func:`replace_template` (the event's parameters, see ``WEBHOOK_TEMPLATE_PARAMS``). Invariants:

- Anything else stays literal: single braces ``{user.name}``, names absent from the parameters
  ``{{nope}}``, and names with whitespace inside the braces ``{{ user.name }}`` (Magpie matches
  ``{{name}}`` exactly; accepting spaces would change what existing payloads send).
- Substitution is a single pass: text that a parameter value brings in (say a user name that
  itself contains ``{{user.id}}``) is never substituted again.
- A string that is exactly ``{{p}}`` becomes the value with its type; embedded in other text, a
  non-string value is written as its JSON text (``123``, ``true``, ``null``), never Python's
  ``True``/``None``.
- Mapping keys always come out as strings and keep their order; lists keep their length and
  order; scalars other than strings (numbers, booleans, null) pass unchanged, even with
  ``force_str`` (which only concerns substituted values).
- The input payload is never modified; a new structure is returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_NAME = r"[A-Za-z0-9_.\-]+"
_TEMPLATE = re.compile(r"\{\{(" + _NAME + r")\}\}")
_QUOTED = re.compile(r"(['\"])\{\{(" + _NAME + r")\}\}\1")


def value_text(value: Any) -> str:
    """Return how a parameter value is written inside text: strings as-is, others as JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        # Values JSON cannot spell (dates, custom objects) fall back to their own text.
        return str(value)


def replace_template(params: Mapping[str, Any], payload: Any, force_str: bool = False) -> Any:
    """Return ``payload`` with every ``{{param}}`` replaced from ``params`` (SPEC §5).

    With ``force_str`` every substituted value is a string (its text), never an int, bool or
    null; mapping keys are always rendered that way.
    """
    if isinstance(payload, Mapping):
        return {
            _render_key(params, key): replace_template(params, value, force_str)
            for key, value in payload.items()
        }
    if isinstance(payload, list | tuple):
        return [replace_template(params, item, force_str) for item in payload]
    if isinstance(payload, str):
        return _render_string(params, payload, force_str)
    return payload


def _render_key(params: Mapping[str, Any], key: Any) -> str:
    """Render a mapping key: substituted like a value, then always a string."""
    rendered = replace_template(params, key, force_str=True)
    return rendered if isinstance(rendered, str) else value_text(rendered)


def _render_string(params: Mapping[str, Any], text: str, force_str: bool) -> Any:
    """Render one string: exact template, quoted template, or text with embedded templates."""
    exact = _TEMPLATE.fullmatch(text)
    if exact is not None and exact.group(1) in params:
        value = params[exact.group(1)]
        return value_text(value) if force_str else value
    quoted = _QUOTED.fullmatch(text)
    if quoted is not None and quoted.group(2) in params:
        value = params[quoted.group(2)]
        if not isinstance(value, str):
            # The quotes asked for "the value as text"; they are not part of the result.
            return value_text(value)
    return _TEMPLATE.sub(lambda match: _substitute(params, match), text)


def _substitute(params: Mapping[str, Any], match: re.Match[str]) -> str:
    """Return the text of one embedded template, or the template itself when unknown."""
    name = match.group(1)
    if name not in params:
        return match.group(0)
    return value_text(params[name])
