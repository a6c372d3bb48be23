"""Validation of the names and secrets people type: user and group names, emails, passwords,
resource names, and the key under which names are compared for uniqueness.

Every validator takes the raw input (any type, as it came from JSON or a form), returns the value
to store, and raises :class:`~rookery.errors.InvalidInputError` with ``param`` set to the API
field name and a detail that names the field and says what was expected.

Invariants:

* user names are stored exactly as typed and must already be lowercase: Magpie requires it, and
  silently lower-casing would let ``Alice`` sign up and then fail to sign in as ``Alice`` on a
  Magpie-compatible client that compares names literally; so uppercase is refused, with a message
  that says so;
* ``current`` is never a user name: it means "the signed-in user" in paths;
* group names follow the same shape but keep the operator's letter case and may contain single
  spaces (``Project X``), because operators name groups for people to read; uniqueness is still
  case-insensitive;
* uniqueness of names and emails is always decided on :func:`name_key`, never on the raw text;
* a password never appears in an error (neither in the detail nor in ``value``);
* a name or email accepted here fits its column, and so does its :func:`name_key`.
"""

from __future__ import annotations

import re
from typing import Final

from rookery.errors import Check, InvalidInputError

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MAX_RESOURCE_NAME_LENGTH",
    "MAX_URL_LENGTH",
    "RESERVED_USER_NAMES",
    "name_key",
    "validate_display_name",
    "validate_email",
    "validate_group_name",
    "validate_password",
    "validate_resource_name",
    "validate_user_name",
]

MAX_NAME_LENGTH: Final = 64
MAX_EMAIL_LENGTH: Final = 254
MAX_RESOURCE_NAME_LENGTH: Final = 255
# Hashing cost grows with length; a bound keeps one request from pinning a CPU.
MAX_PASSWORD_LENGTH: Final = 1024
# Free text and URLs are stored and sent in every webhook that names them: keep them small.
MAX_DESCRIPTION_LENGTH: Final = 2000
MAX_URL_LENGTH: Final = 2048
RESERVED_USER_NAMES: Final = frozenset({"current"})

_USER_NAME: Final = re.compile(r"[a-z0-9]+(?:[_\-.][a-z0-9]+)*")
_GROUP_NAME: Final = re.compile(r"[A-Za-z0-9]+(?:[ _\-.][A-Za-z0-9]+)*")
_EMAIL_LOCAL: Final = re.compile(r"[^\s@\"(),:;<>\[\]\\]+")
_DOMAIN_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")


def name_key(name: str) -> str:
    """Return the form under which names and emails are compared for uniqueness."""
    return name.casefold()


def _require_text(value: object, param: str, label: str) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{label} must be a string.", param=param, value=value, compare="Type[str]"
        )
    if not value:
        raise InvalidInputError(f"{label} must not be empty.", param=param, value=value)
    return value


def _check_length(value: str, param: str, label: str, maximum: int) -> None:
    if len(value) > maximum:
        raise InvalidInputError(
            f"{label} is {len(value)} characters long; at most {maximum} are allowed.",
            param=param,
            value=len(value),  # Magpie checks the length against the range allowed
            compare=range(1, maximum + 1),
        )
    # The uniqueness key is stored too, and case folding may lengthen text ("ß" -> "ss").
    if len(name_key(value)) > maximum:
        raise InvalidInputError(
            f"{label} is too long: compared case-insensitively it has {len(name_key(value))} "
            f"characters; at most {maximum} are allowed.",
            param=param,
            value=len(name_key(value)),
            compare=range(1, maximum + 1),
        )


def validate_user_name(name: object) -> str:
    """Return ``name`` if it is a valid, non-reserved user name; raise otherwise."""
    text = _require_text(name, "user_name", "User name")
    _check_length(text, "user_name", "User name", MAX_NAME_LENGTH)
    if text != text.lower():
        raise InvalidInputError(
            f"User name {text!r} contains uppercase letters; user names must be lowercase.",
            param="user_name",
            value=text,
            compare=_USER_NAME.pattern,
        )
    if _USER_NAME.fullmatch(text) is None:
        raise InvalidInputError(
            f"User name {text!r} is invalid: expected lowercase letters and digits, optionally "
            "joined by single '_', '-' or '.' characters.",
            param="user_name",
            value=text,
            compare=_USER_NAME.pattern,
        )
    if text in RESERVED_USER_NAMES:
        raise InvalidInputError(
            f"User name {text!r} is reserved (it means the signed-in user).",
            param="user_name",
            value=text,
            compare=text,
            check=Check.NOT_EQUAL,
        )
    return text


def validate_group_name(name: object) -> str:
    """Return ``name`` if it is a valid group name (any letter case, single inner spaces)."""
    text = _require_text(name, "group_name", "Group name")
    _check_length(text, "group_name", "Group name", MAX_NAME_LENGTH)
    if _GROUP_NAME.fullmatch(text) is None:
        raise InvalidInputError(
            f"Group name {text!r} is invalid: expected letters and digits, optionally joined "
            "by single ' ', '_', '-' or '.' characters.",
            param="group_name",
            value=text,
            compare=_GROUP_NAME.pattern,
        )
    return text


def validate_email(email: object) -> str:
    """Return ``email`` with surrounding whitespace removed if it looks like an address."""
    text = _require_text(email, "email", "Email").strip()
    _check_length(text, "email", "Email", MAX_EMAIL_LENGTH)
    local, at, domain = text.rpartition("@")
    labels = domain.split(".")
    valid = (
        at == "@"
        and _EMAIL_LOCAL.fullmatch(local) is not None
        and len(local) <= 64
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
    )
    if not valid:
        raise InvalidInputError(
            f"Email {text!r} is invalid: expected an address like 'name@example.org'.",
            param="email",
            value=text,
        )
    return text


def validate_password(password: object, min_length: int) -> str:
    """Return ``password`` unchanged if it is a string of ``min_length`` to 1024 characters."""
    if not isinstance(password, str):
        raise InvalidInputError("Password must be a string.", param="password", compare="Type[str]")
    # As Magpie, the length is checked against the range allowed; the length is all an error
    # shows of a password.
    allowed = range(min_length, MAX_PASSWORD_LENGTH + 1)
    if len(password) < min_length:
        raise InvalidInputError(
            f"Password is too short: at least {min_length} characters are required.",
            param="password",
            value=len(password),
            compare=allowed,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"Password is too long: at most {MAX_PASSWORD_LENGTH} characters are allowed.",
            param="password",
            value=len(password),
            compare=allowed,
        )
    if not _utf8(password):
        raise InvalidInputError(
            "Password must be Unicode text: it holds a lone surrogate (an unpaired \\uD800 to "
            "\\uDFFF escape).",
            param="password",
            value=len(password),
        )
    return password


def _utf8(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (JSON's ``\\ud800`` alone cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_resource_name(name: object) -> str:
    """Return ``name`` if it is a usable resource name: non-blank, ≤ 255 chars, no '/'."""
    text = _require_text(name, "resource_name", "Resource name")
    _check_length(text, "resource_name", "Resource name", MAX_RESOURCE_NAME_LENGTH)
    if not text.strip():
        raise InvalidInputError(
            "Resource name must not be blank.", param="resource_name", value=text
        )
    if "/" in text:
        raise InvalidInputError(
            f"Resource name {text!r} is invalid: it must not contain '/' "
            "(each path segment is its own resource).",
            param="resource_name",
            value=text,
        )
    if any(not ch.isprintable() for ch in text):
        raise InvalidInputError(
            f"Resource name {text!r} is invalid: it must not contain control characters.",
            param="resource_name",
            value=text,
        )
    return text


def validate_display_name(name: object, default: str) -> str:
    """Return ``name`` (or ``default`` when absent) if it fits as a resource's display name."""
    if name is None or name == "":
        return default
    if not isinstance(name, str):
        raise InvalidInputError(
            "Resource display name must be a string.",
            param="resource_display_name",
            value=name,
            compare="Type[str]",
        )
    _check_length(name, "resource_display_name", "Resource display name", MAX_RESOURCE_NAME_LENGTH)
    return name
