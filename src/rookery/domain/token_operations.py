"""What a single-use token behind ``GET /tmp/{token}`` does when it is followed.

The values are Magpie's ``TokenOperation`` names, stored as they are in ``tokens.operation``.
Which tokens need an administrator to follow them is a rule of this module. (Webhook callback
tokens keep their own operation text, the action's name, and are not members here.)
"""

from __future__ import annotations

import enum

__all__ = ["TokenOperation"]


class TokenOperation(enum.StrEnum):
    """The operation a token performs once, when its link is followed."""

    GROUP_ACCEPT_TERMS = "group-accept-terms"
    USER_REGISTRATION_CONFIRM_EMAIL = "user-registration-confirm-email"
    USER_REGISTRATION_ADMIN_APPROVE = "user-registration-admin-approve"
    USER_REGISTRATION_ADMIN_DECLINE = "user-registration-admin-decline"

    @property
    def needs_administrator(self) -> bool:
        """Approving or declining a registration is an administrator's decision (403 otherwise)."""
        return self in (
            TokenOperation.USER_REGISTRATION_ADMIN_APPROVE,
            TokenOperation.USER_REGISTRATION_ADMIN_DECLINE,
        )
