"""Validation of user and group names, emails, passwords and resource names."""

from __future__ import annotations

import pytest

from rookery.domain.names import (
    name_key,
    validate_email,
    validate_group_name,
    validate_password,
    validate_resource_name,
    validate_user_name,
)
from rookery.errors import InvalidInputError


@pytest.mark.parametrize(
    "name",
    ["a", "alice", "alice01", "a.b", "a_b", "a-b", "a.b-c_d", "0", "x" * 64, "anonymous"],
)
def test_valid_user_names_are_returned_unchanged(name: str) -> None:
    """A lowercase name of the documented shape and length is accepted as is."""
    assert validate_user_name(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("x" * 65, "at most 64"),
        ("Alice", "lowercase"),
        ("ALICE", "lowercase"),
        ("current", "reserved"),
        ("a..b", "invalid"),
        ("a b", "invalid"),
        ("-a", "invalid"),
        ("a-", "invalid"),
        ("a/b", "invalid"),
        ("al!ce", "invalid"),
        ("élise", "invalid"),
        (" alice", "invalid"),
        (42, "string"),
        (None, "string"),
    ],
)
def test_invalid_user_names_are_refused(name: object, fragment: str) -> None:
    """A user name of the wrong shape, case or length, or `current`, is invalid input."""
    with pytest.raises(InvalidInputError) as caught:
        validate_user_name(name)
    assert caught.value.param == "user_name"
    assert caught.value.detail.startswith("User name")
    assert fragment in caught.value.detail


@pytest.mark.parametrize("name", ["editors", "Editors", "Project X", "team-1.b_c", "G" * 64])
def test_valid_group_names_keep_their_case(name: str) -> None:
    """A group name may use any letter case and single inner spaces, and is kept as typed."""
    assert validate_group_name(name) == name


@pytest.mark.parametrize("name", ["", "a  b", " a", "a ", "a\tb", "a/b", "G" * 65, "x!", None, 3])
def test_invalid_group_names_are_refused(name: object) -> None:
    """A group name with doubled or edge separators, odd characters or too long is invalid."""
    with pytest.raises(InvalidInputError) as caught:
        validate_group_name(name)
    assert caught.value.param == "group_name"
    assert "Group name" in caught.value.detail


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("alice@example.org", "alice@example.org"),
        ("Alice.Smith+tag@Mail.Example.ORG", "Alice.Smith+tag@Mail.Example.ORG"),
        ("  bob@ex-ample.co  ", "bob@ex-ample.co"),
    ],
)
def test_valid_emails_are_returned_trimmed(email: str, expected: str) -> None:
    """A plausible address is accepted, with surrounding whitespace removed."""
    assert validate_email(email) == expected


@pytest.mark.parametrize(
    "email",
    [
        "",
        "alice",
        "alice@",
        "@example.org",
        "alice@example",
        "alice@@example.org",
        "al ice@example.org",
        "alice@exa mple.org",
        "alice@-example.org",
        "alice@example..org",
        "a" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
        None,
    ],
)
def test_invalid_emails_are_refused(email: object) -> None:
    """Something that is not shaped like name@domain.tld is invalid input on `email`."""
    with pytest.raises(InvalidInputError) as caught:
        validate_email(email)
    assert caught.value.param == "email"
    assert "Email" in caught.value.detail


@pytest.mark.parametrize(
    ("password", "min_length"),
    [("x" * 12, 12), ("correct horse battery", 12), ("abc", 3), ("p" * 1024, 12)],
)
def test_long_enough_passwords_are_returned_unchanged(password: str, min_length: int) -> None:
    """A password of at least the minimum length is accepted verbatim, spaces included."""
    assert validate_password(password, min_length) == password


@pytest.mark.parametrize(
    ("password", "min_length", "fragment"),
    [
        ("x" * 11, 12, "at least 12"),
        ("", 1, "at least 1"),
        ("p" * 1025, 12, "at most 1024"),
        (123456789012, 12, "string"),
        (None, 12, "string"),
        ("undecodable-env-\udc80", 12, "lone surrogate"),  # os.environ's surrogateescape
    ],
)
def test_bad_passwords_are_refused_without_echoing_them(
    password: object, min_length: int, fragment: str
) -> None:
    """A short, huge, non-string or non-text password is invalid, and the error never carries it (at
    most its length, as Magpie's ``param.value``)."""
    with pytest.raises(InvalidInputError) as caught:
        validate_password(password, min_length)
    assert caught.value.param == "password"
    assert fragment in caught.value.detail
    expected = len(password) if isinstance(password, str) else None
    assert caught.value.value == expected
    if isinstance(password, str) and password:
        assert password not in caught.value.detail


@pytest.mark.parametrize("name", ["data", "Data Set 1", "file.nc", "a" * 255, "é"])
def test_valid_resource_names_are_returned_unchanged(name: str) -> None:
    """A non-blank name without '/' of at most 255 characters is accepted as is."""
    assert validate_resource_name(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("   ", "blank"),
        ("a/b", "'/'"),
        ("a" * 256, "at most 255"),
        ("a\nb", "control"),
        (7, "string"),
    ],
)
def test_invalid_resource_names_are_refused(name: object, fragment: str) -> None:
    """Blank, slash-bearing, overlong or control-character names are invalid input."""
    with pytest.raises(InvalidInputError) as caught:
        validate_resource_name(name)
    assert caught.value.param == "resource_name"
    assert fragment in caught.value.detail


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("Editors", "editors", True),
        ("Alice@Example.org", "alice@example.ORG", True),
        ("Straße", "STRASSE", True),
        ("editors", "editor", False),
    ],
)
def test_name_key_compares_case_insensitively(left: str, right: str, same: bool) -> None:
    """Two names collide for uniqueness exactly when they differ only in letter case."""
    assert (name_key(left) == name_key(right)) is same
