"""The ``status`` filter of a user's groups, and which token links need an administrator."""

from __future__ import annotations

import pytest

from rookery.domain.membership_statuses import MembershipStatus, parse_membership_status
from rookery.domain.token_operations import TokenOperation
from rookery.errors import InvalidInputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, MembershipStatus.ACTIVE),
        ("", MembershipStatus.ACTIVE),
        ("active", MembershipStatus.ACTIVE),
        ("Pending", MembershipStatus.PENDING),
        (" ALL ", MembershipStatus.ALL),
    ],
)
def test_membership_status_parses_names_in_any_case(
    value: object, expected: MembershipStatus
) -> None:
    """Names parse in any case; nothing given means ``active``."""
    assert parse_membership_status(value) is expected


@pytest.mark.parametrize("value", ["maybe", 1, True, ["all"]])
def test_membership_status_refuses_anything_else(value: object) -> None:
    """Other values are refused naming ``status``."""
    with pytest.raises(InvalidInputError) as raised:
        parse_membership_status(value)
    assert raised.value.param == "status"


def test_only_approve_and_decline_need_an_administrator() -> None:
    """Approving or declining a registration is for administrators; the other links are not."""
    assert {op for op in TokenOperation if op.needs_administrator} == {
        TokenOperation.USER_REGISTRATION_ADMIN_APPROVE,
        TokenOperation.USER_REGISTRATION_ADMIN_DECLINE,
    }
