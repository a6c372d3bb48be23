"""User statuses: numbering, labels, and the parser every status input goes through."""

from __future__ import annotations

import pytest

from rookery.domain.statuses import UserStatus, parse_status
from rookery.errors import InvalidInputError


@pytest.mark.parametrize(
    ("status", "number", "label"),
    [
        (UserStatus.OK, 1, "OK"),
        (UserStatus.WebhookError, 2, "WebhookError"),
        (UserStatus.Pending, 4, "Pending"),
    ],
)
def test_status_numbers_and_labels(status: UserStatus, number: int, label: str) -> None:
    """Each status keeps Magpie's number and renders by its name."""
    assert int(status) == number
    assert status.label == label


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, UserStatus.OK),
        (2, UserStatus.WebhookError),
        (4, UserStatus.Pending),
        ("1", UserStatus.OK),
        (" 2 ", UserStatus.WebhookError),
        ("4", UserStatus.Pending),
        ("OK", UserStatus.OK),
        ("ok", UserStatus.OK),
        ("Ok", UserStatus.OK),
        ("WEBHOOKERROR", UserStatus.WebhookError),
        ("webhookerror", UserStatus.WebhookError),
        ("WebhookError", UserStatus.WebhookError),
        ("pending", UserStatus.Pending),
        (UserStatus.WebhookError, UserStatus.WebhookError),
    ],
)
def test_parse_status_accepts_number_numeric_string_and_name(
    value: object, expected: UserStatus
) -> None:
    """An int, its numeric string, or the name in any case parses to the status."""
    assert parse_status(value) is expected


@pytest.mark.parametrize(
    "value",
    [0, 3, 5, -1, "0", "3", "", " ", "okay", "webhook_error", "1.0", True, False, 1.0, None, [1]],
)
def test_parse_status_refuses_anything_else(value: object) -> None:
    """Unknown numbers, names, booleans and other types are invalid input on `status`."""
    with pytest.raises(InvalidInputError) as caught:
        parse_status(value)
    assert caught.value.param == "status"
    assert "status" in caught.value.detail
    assert "OK" in caught.value.detail
