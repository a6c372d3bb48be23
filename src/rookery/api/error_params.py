"""Magpie's ``param`` object of 4xx bodies: the one place that builds it.

Magpie 5.1.0 reports the field at fault as ``param: {name, value, compare, conditions}``:

* ``value`` is the value given when it is a string, a number, a boolean or null, and the Python
  text of anything else (a list arrives as ``"['a', 'b']"``), since Magpie writes ``str()`` of it,
  except where Magpie puts the request's own structure back (``value_as_given``);
* ``compare`` is always text, and present only when the check compared against something: the
  pattern itself, ``Type[int]`` for a type, the Python text of the allowed (or taken) values
  (``"['api', 'thredds']"``), ``range(1, 65)`` for a length, or the expected value;
* ``conditions`` maps the name of each check made (Magpie's ``verify_param`` flags: ``not_none``,
  ``is_in``, ``matches``, ...) to whether it held; Rookery reports the check that failed, so the
  map has one ``false`` entry (or none when no such check describes the refusal).

Rookery's errors carry the pieces (``rookery.errors``); the API turns them into this object here,
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rookery.errors import Check, ConflictError, NotFoundError, RookeryError, UnprocessableError

__all__ = ["error_param", "param_object", "python_text"]

_SCALARS = (str, int, float, bool, type(None))


def python_text(value: Any) -> str:
    """``value`` as Python writes it with ``str()``: what Magpie puts in ``compare``."""
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    if isinstance(value, tuple):
        value = list(value)
    return str(value)


def _value(value: Any, as_given: bool) -> Any:
    return value if as_given or isinstance(value, _SCALARS) else python_text(value)


def _compared_check(compare: Any, conflict: bool) -> Check:
    """The check a ``compare`` implies: a pattern, a type, a set of allowed or taken values."""
    if isinstance(compare, str):
        return Check.IS_TYPE if compare.startswith("Type[") else Check.MATCHES
    if isinstance(compare, (list, tuple, set, frozenset, range, Mapping)):
        return Check.NOT_IN if conflict else Check.IS_IN
    return Check.IS_EQUAL


def _check_of(error: RookeryError) -> Check | None:
    """The check an error stands for: the one its raiser named, else the one its ``compare``
    implies, else what its kind says (a lookup that found nothing, an empty or missing value)."""
    if error.check is not None:
        return error.check
    if error.compare is not None:
        return _compared_check(error.compare, isinstance(error, ConflictError))
    missing = error.value is None and isinstance(error, UnprocessableError)  # Magpie's 422
    if isinstance(error, NotFoundError) or missing:
        return Check.NOT_NONE
    return Check.NOT_EMPTY if error.value == "" else None


def param_object(
    name: str,
    value: Any,
    *,
    compare: Any = None,
    check: Check | None = None,
    value_as_given: bool = False,
) -> dict[str, Any]:
    """Magpie's ``param`` for field ``name`` given ``value``, refused by ``check`` (None: no
    single check describes the refusal) against ``compare`` (None: nothing compared)."""
    param: dict[str, Any] = {
        "name": name,
        "value": _value(value, value_as_given),
        "conditions": {check.value: False} if check else {},
    }
    if compare is not None:
        param["compare"] = python_text(compare)
    return param


def error_param(error: RookeryError) -> dict[str, Any] | None:
    """The ``param`` of one of our errors, or None when it names no field."""
    if not error.param:
        return None
    return param_object(
        error.param,
        error.value,
        compare=error.compare,
        check=_check_of(error),
        value_as_given=error.value_as_given,
    )
