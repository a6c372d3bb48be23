"""Rookery's exception tree.

Every error the domain, the services or the webhook machinery raise on purpose derives from
:class:`RookeryError`. Subclasses are named by meaning, never by HTTP code; the API maps them to
responses in one table (``rookery.api.errors``) and the CLI prints their message.

    RookeryError
    ├── InvalidInputError        a value is malformed or not allowed (param names the field)
    │   └── UnprocessableError   a value is well-formed but unknown (e.g. a permission name)
    ├── NotFoundError            the thing named does not exist
    ├── ConflictError            the change would duplicate or repeat something
    │   └── ConcurrentChangeError  a concurrent change won the race for the same row
    ├── ForbiddenError           the change is not allowed for anyone, or for this actor
    ├── AuthenticationError      no valid credentials
    ├── GoneError                the thing existed but has expired
    ├── PayloadTooLargeError     a request body is larger than the configured limit
    ├── TooManyRequestsError     the caller must wait (retry_after_seconds says how long)
    ├── DatabaseUnavailableError the database cannot be reached or is locked; try again later
    ├── MailUnavailableError     an e-mail could not be handed to the SMTP server; try again later
    ├── InvalidWebhookConfigError  a webhook configuration file is invalid
    └── InvalidEmailTemplateError  an operator's e-mail template file cannot be used

An error about one field names it (``param``), the value given (``value``), what the value was
checked against when there is such a thing (``compare``: a pattern, the allowed values, a limit,
an expected type) and which check failed (``check``, a :class:`Check`; when omitted, the API
infers it from ``compare``). The API renders these as Magpie's ``param`` object, where a value
that is not a scalar is written as text unless ``value_as_given`` says to send it as it came.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Check(StrEnum):
    """The verification a value failed, named as Magpie names its ``verify_param`` flags."""

    NOT_NONE = "not_none"
    NOT_EMPTY = "not_empty"
    NOT_IN = "not_in"
    NOT_EQUAL = "not_equal"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"
    IS_NONE = "is_none"
    IS_EMPTY = "is_empty"
    IS_IN = "is_in"
    IS_EQUAL = "is_equal"
    IS_TYPE = "is_type"
    MATCHES = "matches"


class RookeryError(Exception):
    """Root of every error Rookery raises on purpose."""

    def __init__(
        self,
        detail: str,
        *,
        param: str | None = None,
        value: Any = None,
        compare: Any = None,
        check: Check | None = None,
        value_as_given: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.param = param
        self.value = value
        # What the value was checked against (a pattern, the allowed values, a limit), when
        # there is one: Magpie's ``param.compare``.
        self.compare = compare
        self.check = check
        # Report a structured value as it came (JSON), not as its text: where Magpie puts the
        # request's own list or object in ``param.value``.
        self.value_as_given = value_as_given


class InvalidInputError(RookeryError):
    """A value is malformed, missing, or not allowed here."""


class UnprocessableError(InvalidInputError):
    """A value is well-formed but names nothing Rookery knows."""


class NotFoundError(RookeryError):
    """The user, group, service, resource, permission or token does not exist."""


class ConflictError(RookeryError):
    """The change would create a duplicate or repeat the current state."""

    def __init__(
        self,
        detail: str,
        *,
        param: str | None = None,
        value: Any = None,
        compare: Any = None,
        check: Check | None = None,
        named: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail, param=param, value=value, compare=compare, check=check)
        # Keys that identify the clashing item beyond ``param`` (Magpie's permission 409 names
        # the permission, the resource and the user or group).
        self.named = dict(named or {})


class ConcurrentChangeError(ConflictError):
    """The database refused a write because a concurrent transaction made the same one."""


class ForbiddenError(RookeryError):
    """The change is not allowed (built-in objects, or the actor lacks rights)."""


class AuthenticationError(RookeryError):
    """The request carries no valid credentials."""


class GoneError(RookeryError):
    """The thing existed but has expired."""


class InvalidWebhookConfigError(RookeryError):
    """A webhook configuration is invalid; the message names file, item and key."""


class InvalidEmailTemplateError(RookeryError):
    """An e-mail template file named by the settings cannot be read, compiled or rendered;
    the message names the setting, the file, the line and what was expected."""


class PayloadTooLargeError(RookeryError):
    """A request body exceeds the configured limit; it was not read in full."""


class TooManyRequestsError(RookeryError):
    """Too many attempts (e.g. sign-ins); the caller may try again after a delay."""

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class DatabaseUnavailableError(RookeryError):
    """The database cannot be reached, or stays locked; nothing was changed. Retry later."""

    retry_after_seconds = 5


class MailUnavailableError(RookeryError):
    """The SMTP server refused or could not take an e-mail; what needed it was undone."""

    retry_after_seconds = 30
