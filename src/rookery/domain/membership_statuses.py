"""Which of a user's groups ``GET /users/{u}/groups?status=`` lists (Magpie's UserGroupStatus).

``active``: groups the user is a member of (the default); ``pending``: groups whose terms the
user was asked to accept and has not accepted yet; ``all``: both.
"""

from __future__ import annotations

import enum

from rookery.errors import InvalidInputError

__all__ = ["MembershipStatus", "parse_membership_status"]


class MembershipStatus(enum.StrEnum):
    """A filter on a user's groups."""

    ALL = "all"
    ACTIVE = "active"
    PENDING = "pending"


def parse_membership_status(value: object) -> MembershipStatus:
    """The filter named by ``value`` (any case); None or empty means ``active``."""
    if value is None or value == "":
        return MembershipStatus.ACTIVE
    if isinstance(value, str):
        try:
            return MembershipStatus(value.strip().lower())
        except ValueError:
            pass
    choices = ", ".join(status.value for status in MembershipStatus)
    raise InvalidInputError(
        f"Invalid group status {value!r}: expected one of {choices}", param="status", value=value
    )
