"""The session cookie in Pyramid's AuthTkt layout: a vector written by Pyramid, and refusals."""

from __future__ import annotations

import pytest

from rookery.api.auth_ticket import Ticket, make_ticket, read_ticket

SECRET = "magpie-secret"
ISSUED = 1796505440
# Written by Pyramid 2.1: AuthTicket(SECRET, "42", "0.0.0.0", user_data=
# "userid_type:int|session_version:3", time=ISSUED, hashalg="sha512").cookie_value();
# Pyramid's AuthTktCookieHelper(SECRET, hashalg="sha512").identify() reads it as user id 42.
PYRAMID_VALUE = (
    "546f5bd6297075ccf7464a6332985bcbfed3a7061c0c9e2f7f1f194c0d873487"
    "4ab76b787aa2ccf168e2c4654aa8586d7fe209dac29661153beaa8b2ca2613c3"
    "6b147f6042!userid_type:int|session_version:3"
)
DAY = 86400


def test_matches_pyramid_byte_for_byte() -> None:
    """Our ticket for user 42 at version 3 is exactly the one Pyramid writes."""
    assert make_ticket(SECRET, 42, 3, ISSUED + 0.7) == PYRAMID_VALUE


def test_reads_back_user_version_and_time() -> None:
    """A fresh ticket reads back as its user, session version and issue time."""
    assert read_ticket(SECRET, PYRAMID_VALUE, DAY, ISSUED + 10) == Ticket(42, 3, ISSUED)
    assert read_ticket(SECRET, f'"{PYRAMID_VALUE}"', DAY, ISSUED) == Ticket(42, 3, ISSUED)


def test_expires_after_its_lifetime() -> None:
    """A ticket is valid for exactly ``lifetime`` seconds after it was issued."""
    assert read_ticket(SECRET, PYRAMID_VALUE, 60, ISSUED + 60) is not None
    assert read_ticket(SECRET, PYRAMID_VALUE, 60, ISSUED + 61) is None


@pytest.mark.parametrize(
    "value",
    [
        PYRAMID_VALUE.replace("session_version:3", "session_version:4"),
        PYRAMID_VALUE.replace("6b147f6042!", "6b147f6043!"),
        "0" + PYRAMID_VALUE[1:],
        make_ticket(SECRET, 42, 3, ISSUED).replace("|session_version:3", ""),
        PYRAMID_VALUE[:128],
        "",
        "not a ticket at all",
        "x" * 136 + "!userid_type:int|session_version:3",
    ],
)
def test_tampered_or_malformed_tickets_are_refused(value: str) -> None:
    """Any change to version, user, time or digest, or a malformed value, is no session."""
    assert read_ticket(SECRET, value, DAY, ISSUED) is None


def test_another_secret_is_refused() -> None:
    """A ticket signed with another deployment's secret is no session."""
    assert read_ticket("another-secret", PYRAMID_VALUE, DAY, ISSUED) is None


def test_ticket_without_session_version_is_refused() -> None:
    """A correctly signed ticket without a session version (as Magpie writes) is refused."""
    # Pyramid 2.1, as above but with user_data="userid_type:int" (what Magpie itself sets).
    magpie = (
        "98fbe14a3f9d1b7cd5b677d711683bfe156f9ffd1d91bf861754956d8f99a0e9"
        "9c6ff3de8adfcbec3803d1f3317d5891d3fc23fdfffedb49f26600b41b6ead31"
        "6b147f6042!userid_type:int"
    )
    assert read_ticket(SECRET, magpie, DAY, ISSUED) is None
    assert read_ticket(SECRET, magpie.replace("!", "!x|", 1), DAY, ISSUED) is None
