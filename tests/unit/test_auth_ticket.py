"""The session cookie in Pyramid's AuthTkt layout: Magpie's own tickets, vectors written by
Pyramid, and refusals."""

from __future__ import annotations

import pytest

from rookery.api.auth_ticket import Ticket, make_ticket, read_ticket
from tests.support.magpie_ticket import mod_auth_tkt

SECRET = "magpie-secret"
ISSUED = 1796505440
# Written by Pyramid 2.1: AuthTicket(SECRET, "42", "0.0.0.0", user_data="userid_type:int",
# time=ISSUED, hashalg="sha512").cookie_value(), what Magpie sets for user 42.
MAGPIE_VALUE = (
    "98fbe14a3f9d1b7cd5b677d711683bfe156f9ffd1d91bf861754956d8f99a0e9"
    "9c6ff3de8adfcbec3803d1f3317d5891d3fc23fdfffedb49f26600b41b6ead31"
    "6b147f6042!userid_type:int"
)
# The same with user_data="userid_type:int|session_version:3": what Rookery set before its
# cookies took Magpie's exact layout.
OLD_ROOKERY_VALUE = (
    "546f5bd6297075ccf7464a6332985bcbfed3a7061c0c9e2f7f1f194c0d873487"
    "4ab76b787aa2ccf168e2c4654aa8586d7fe209dac29661153beaa8b2ca2613c3"
    "6b147f6042!userid_type:int|session_version:3"
)
DAY = 86400


def test_the_independent_ticket_is_pyramids() -> None:
    """The test's own mod_auth_tkt computation reproduces both tickets Pyramid wrote."""
    assert mod_auth_tkt(SECRET, "42", ISSUED) == MAGPIE_VALUE
    user_data = "userid_type:int|session_version:3"
    assert mod_auth_tkt(SECRET, "42", ISSUED, user_data) == OLD_ROOKERY_VALUE


def test_matches_magpie_byte_for_byte() -> None:
    """Our ticket for user 42 is exactly the one Magpie (through Pyramid) writes."""
    assert make_ticket(SECRET, 42, ISSUED) == MAGPIE_VALUE


@pytest.mark.parametrize("user_id", [1, 2, 42, 12345, 2**31])
def test_length_is_magpies(user_id: int) -> None:
    """A ticket is 128 + 8 + len(str(id)) + len("!userid_type:int") characters long, the
    length Magpie's own suite checks (``test_GetSession_InvalidTokens``)."""
    value = make_ticket(SECRET, user_id, ISSUED)
    assert len(value) == 128 + 8 + len(str(user_id)) + len("!userid_type:int")
    assert value == mod_auth_tkt(SECRET, str(user_id), ISSUED)


def test_magpie_ticket_reads_as_its_user_and_time() -> None:
    """A ticket Magpie wrote with the same secret reads back as its user and timestamp."""
    assert read_ticket(SECRET, MAGPIE_VALUE, DAY, ISSUED + 10) == Ticket(42, ISSUED)
    assert read_ticket(SECRET, f'"{MAGPIE_VALUE}"', DAY, ISSUED) == Ticket(42, ISSUED)
    other = mod_auth_tkt(SECRET, "7", ISSUED + 3600)
    assert read_ticket(SECRET, other, DAY, ISSUED + 3600) == Ticket(7, ISSUED + 3600)


def test_other_user_data_items_are_ignored() -> None:
    """Items beside ``userid_type:int`` (the session version of Rookery's older cookies) do
    not matter: such a ticket reads as its user and timestamp, which then decide."""
    assert read_ticket(SECRET, OLD_ROOKERY_VALUE, DAY, ISSUED) == Ticket(42, ISSUED)
    reordered = mod_auth_tkt(SECRET, "42", ISSUED, "anything|userid_type:int")
    assert read_ticket(SECRET, reordered, DAY, ISSUED) == Ticket(42, ISSUED)


def test_expires_after_its_lifetime() -> None:
    """A ticket is valid for exactly ``lifetime`` seconds after its timestamp."""
    assert read_ticket(SECRET, MAGPIE_VALUE, 60, ISSUED + 60) is not None
    assert read_ticket(SECRET, MAGPIE_VALUE, 60, ISSUED + 61) is None
    assert read_ticket(SECRET, mod_auth_tkt(SECRET, "42", ISSUED - DAY - 1), DAY, ISSUED) is None


@pytest.mark.parametrize(
    "value",
    [
        MAGPIE_VALUE.replace("6b147f6042!", "6b147f6043!"),  # another user
        MAGPIE_VALUE.replace("6b147f6042!", "6b147f6142!"),  # another time
        MAGPIE_VALUE + "|session_version:3",  # user data changed after signing
        "0" + MAGPIE_VALUE[1:],
        mod_auth_tkt("another-secret", "42", ISSUED),
        mod_auth_tkt(SECRET, "42", ISSUED, ""),
        mod_auth_tkt(SECRET, "42", ISSUED, "userid_type:str"),
        mod_auth_tkt(SECRET, "42", ISSUED, "userid_type:int0"),
        mod_auth_tkt(SECRET, "-42", ISSUED),
        MAGPIE_VALUE[:128],
        MAGPIE_VALUE[:136],
        "",
        "not a ticket at all",
        "x" * 136 + "!userid_type:int",
    ],
)
def test_forged_tampered_or_malformed_tickets_are_refused(value: str) -> None:
    """Any change to user, time, user data or digest, another secret, user data that does not
    declare an integer id, or a malformed value, is no session."""
    assert read_ticket(SECRET, value, DAY, ISSUED) is None


def test_another_secret_is_refused() -> None:
    """A ticket signed with another deployment's secret is no session."""
    assert read_ticket("another-secret", MAGPIE_VALUE, DAY, ISSUED) is None
