"""User statuses: the closed set of values and the one parser every input goes through.

A user's ``status`` is stored and compared as an integer (Magpie's numbering, kept so that
operators' scripts and receivers see the same numbers) and rendered by *name* in responses.

Invariants:

* the numeric values are fixed forever: ``OK`` = 1, ``WebhookError`` = 2, ``Pending`` = 4;
  they are bit-like on purpose (Magpie's numbering) and must never be renumbered;
* :func:`parse_status` is the only way an outside value becomes a :class:`UserStatus`; it accepts
  the integer, its decimal string, or the name in any letter case, and nothing else (booleans,
  floats and unknown numbers are refused, so ``True`` never silently means ``OK``);
* ``Pending`` is reserved: it parses, and whether a caller may set it is a rule of the use case,
  not of this module.
"""

from __future__ import annotations

import enum
from typing import Final

from rookery.errors import InvalidInputError

__all__ = ["UserStatus", "parse_status"]


class UserStatus(enum.IntEnum):
    """The state of a user account; API responses show :attr:`label`, storage keeps the int."""

    OK = 1
    WebhookError = 2
    Pending = 4

    @property
    def label(self) -> str:
        """The name shown in API responses and accepted back on input, e.g. ``"OK"``."""
        return self.name


_BY_FOLDED_NAME: Final[dict[str, UserStatus]] = {s.name.casefold(): s for s in UserStatus}
_BY_VALUE: Final[dict[int, UserStatus]] = {s.value: s for s in UserStatus}


def _expected() -> str:
    choices = ", ".join(f"{s.value} ({s.name})" for s in UserStatus)
    return f"expected one of {choices}, as a number or a name"


def _invalid(value: object) -> InvalidInputError:
    return InvalidInputError(
        f"Invalid user status {value!r}: {_expected()}.",
        param="status",
        value=value,
        compare=[s.name for s in UserStatus],
    )


def parse_status(value: object) -> UserStatus:
    """Return the status named by ``value`` (int, numeric string, or name in any case)."""
    if isinstance(value, UserStatus):
        return value
    # bool is a subclass of int; ``True`` must not be read as status 1.
    if isinstance(value, int) and not isinstance(value, bool):
        found = _BY_VALUE.get(value)
        if found is None:
            raise _invalid(value)
        return found
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            found = _BY_VALUE.get(int(text))
        else:
            found = _BY_FOLDED_NAME.get(text.casefold())
        if found is None:
            raise _invalid(value)
        return found
    raise _invalid(value)
