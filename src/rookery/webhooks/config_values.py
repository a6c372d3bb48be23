"""Parsers for the values of a webhook item's keys (SPEC §4), one function per key.

Each ``parse_<key>`` takes the raw YAML value (``None`` when the key is absent) and returns the
value a ``WebhookConfig`` holds, or raises :class:`BadValueError` whose message says what was
expected and what was found; ``config`` adds the file, item and key. Invariants:

- Absent and ``null`` optional keys get their defaults; required keys are checked by the caller.
- No parser lets any exception other than ``BadValueError`` escape for any YAML value.
- Payloads are copied into plain JSON values: dates become ISO 8601 text; non-finite numbers,
  binary values, sets, self-referencing structures and payloads of more than
  ``MAX_PAYLOAD_NODES`` values (YAML alias "bombs") are refused.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import reprlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from rookery.domain.ordering import Ordering
from rookery.webhooks.actions import WEBHOOK_HTTP_METHODS, WebhookAction
from rookery.webhooks.body import DEFAULT_FORMAT, FORMATS, content_type_for
from rookery.webhooks.retry import DEFAULT_SCHEDULE, RetryPolicy, parse_duration
from rookery.webhooks.signing import normalize_secret

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_ID_LENGTH = 200
MAX_PAYLOAD_NODES = 10_000
# Headers Rookery computes itself: Content-Type from `format`, the rest from body and signing.
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "webhook-id", "webhook-timestamp", "webhook-signature"}
)

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HOST = re.compile(r"[\w.~%:\-]+")
_UNEXPANDED_VAR = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_TRUE_TEXT = frozenset({"true", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"false", "no", "off", "0"})

_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = 80
_SHORT_REPR.maxother = 80
_SHORT_REPR.maxlevel = 2


class BadValueError(Exception):
    """A key's value is not what the key expects; the message says what was expected."""


def describe(value: Any) -> str:
    """Return a short, safe representation of a configuration value for messages."""
    return _SHORT_REPR.repr(value)


def expected(what: str, got: Any) -> BadValueError:
    """Return the error for a value that is not ``what``."""
    return BadValueError(f"expected {what}, got {describe(got)}")


def suggest(word: Any, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the nearest choice, or ``""``."""
    if not isinstance(word, str):
        return ""
    matches = difflib.get_close_matches(word.lower(), sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def parse_name(value: Any) -> str:
    """Return a webhook name: any non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise expected("a non-empty string", value)
    return value


def parse_declared_id(value: Any) -> str | None:
    """Return a declared webhook ``id`` (absent → None): non-empty text on one line."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_ID_LENGTH
        or any(ord(ch) < 32 for ch in value)
    ):
        raise expected(
            f"a non-empty string of at most {MAX_ID_LENGTH} characters on one line", value
        )
    return value


def parse_action(value: Any) -> WebhookAction:
    """Return the action a value names."""
    choices = [action.value for action in WebhookAction]
    if isinstance(value, str) and value in choices:
        return WebhookAction(value)
    raise BadValueError(
        f"expected one of {', '.join(choices)}, got {describe(value)}{suggest(value, choices)}"
    )


def parse_method(value: Any) -> str:
    """Return an HTTP method in upper case; any case is accepted."""
    if isinstance(value, str) and value.upper() in WEBHOOK_HTTP_METHODS:
        return value.upper()
    raise expected(f"one of {', '.join(WEBHOOK_HTTP_METHODS)}", value)


def parse_url(value: Any) -> str:
    """Return an absolute http(s) URL with a host; its path may be empty."""
    what = "an absolute http(s) URL with a host"
    if not isinstance(value, str) or any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise expected(what, value)
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise expected(what, value) from error
    if parts.scheme.lower() not in {"http", "https"} or not host or not _HOST.fullmatch(host):
        hint = " (is an environment variable unset?)" if "$" in value else ""
        raise BadValueError(f"expected {what}, got {describe(value)}{hint}")
    return value


def parse_format(value: Any) -> str:
    """Return the Content-Type of a ``format`` value (``json`` when absent)."""
    if value is None:
        return content_type_for(DEFAULT_FORMAT)
    if isinstance(value, str) and value.strip().lower() in FORMATS:
        return content_type_for(value)
    raise expected(f"one of {', '.join(FORMATS)}", value)


def parse_payload(value: Any) -> Any:
    """Return a JSON-only copy of a payload (any YAML value)."""
    return _PayloadCopier().copy(value)


class _PayloadCopier:
    """Copies a payload into JSON values, refusing cycles and oversized expansions."""

    def __init__(self) -> None:
        self.nodes = 0
        self.open: set[int] = set()

    def copy(self, value: Any) -> Any:
        """Return the JSON copy of one value."""
        self.nodes += 1
        if self.nodes > MAX_PAYLOAD_NODES:
            raise BadValueError(f"expected at most {MAX_PAYLOAD_NODES} values in a payload")
        if isinstance(value, dict | list):
            return self._copy_container(value)
        return self._copy_scalar(value)

    def _copy_container(self, value: dict[Any, Any] | list[Any]) -> Any:
        if id(value) in self.open:
            raise BadValueError("expected a payload without self-references (a YAML alias loop)")
        self.open.add(id(value))
        if isinstance(value, list):
            result: Any = [self.copy(item) for item in value]
        else:
            result = {self._copy_scalar(key): self.copy(item) for key, item in value.items()}
        self.open.discard(id(value))
        return result

    @staticmethod
    def _copy_scalar(value: Any) -> Any:
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        if isinstance(value, float) and not math.isfinite(value):
            raise expected("finite numbers in a payload", value)
        if value is None or isinstance(value, str | int | float | bool):
            return value
        raise expected("JSON values in a payload (text, numbers, booleans, null)", value)


def parse_headers(value: Any) -> dict[str, str]:
    """Return extra request headers; values become text. Reserved headers are refused."""
    if value is None:
        return {}
    if not isinstance(value, dict):  # not quoted: it may be a credential in the wrong place
        raise BadValueError(
            f"expected a mapping of header names to values, got {type(value).__name__}"
        )
    headers: dict[str, str] = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise expected("header names made of letters, digits and -", name)
        if name.lower() in RESERVED_HEADERS:
            raise BadValueError(f"header {name!r} is set by Rookery (Content-Type from 'format')")
        text = _header_text(raw)
        if text is None:  # the value itself is never quoted: it may be a credential
            raise BadValueError(
                f"expected header {name!r} to be text or a number on one line, "
                f"got {type(raw).__name__ if not isinstance(raw, str) else 'text on several lines'}"
            )
        headers[name] = text
    return headers


def _header_text(raw: Any) -> str | None:
    """Return a header value as text, or ``None`` when it cannot be one."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float) and math.isfinite(raw):
        return str(raw)
    if isinstance(raw, str) and not any(ch in raw for ch in "\r\n\0"):
        return raw
    return None


def parse_secrets(value: Any) -> tuple[str, ...]:
    """Return the signing secrets: one string, or a list for rotation; none when absent."""
    if value is None:
        return ()
    secrets = value if isinstance(value, list) else [value]
    for secret in secrets:
        if not isinstance(secret, str) or not secret:
            raise BadValueError(  # never quote a secret, even a malformed one
                f"expected a non-empty string or a list of them, got {type(secret).__name__}"
            )
        if _UNEXPANDED_VAR.fullmatch(secret):
            raise BadValueError(f"the environment variable in {secret!r} is not set")
        try:
            normalize_secret(secret)
        except ValueError as error:
            raise BadValueError(str(error)) from error
    return tuple(secrets)


def parse_timeout(value: Any) -> float:
    """Return the request timeout in seconds: a positive number or duration text."""
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = parse_duration(value).total_seconds()
    except ValueError as error:
        raise expected("a positive number of seconds (or text like '2.5s')", value) from error
    if seconds <= 0:
        raise expected("a positive number of seconds", value)
    return seconds


def parse_retry(value: Any) -> RetryPolicy:
    """Return the retry policy of ``{schedule: [durations]}``; the default when absent."""
    if value is None:
        return RetryPolicy()
    if not isinstance(value, dict):
        raise expected("a mapping like {schedule: [5s, 5m, 30m]}", value)
    for key in value:
        if key != "schedule":
            raise BadValueError(f"unknown key {describe(key)}{suggest(key, ['schedule'])}")
    schedule = value.get("schedule")
    if schedule is None:
        return RetryPolicy(schedule=DEFAULT_SCHEDULE)
    if not isinstance(schedule, list):
        raise expected("'schedule' to be a list of durations such as [5s, 5m, 2h]", schedule)
    pauses = []
    for position, item in enumerate(schedule, start=1):
        try:
            pauses.append(parse_duration(item))
        except ValueError as error:
            raise BadValueError(f"schedule item #{position}: {error}") from error
    return RetryPolicy(schedule=tuple(pauses))


def parse_enabled(value: Any) -> bool:
    """Return whether the webhook is enabled (default true); ``true``/``false`` text accepted."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_TEXT | _FALSE_TEXT:
        return value.strip().lower() in _TRUE_TEXT
    raise expected("true or false", value)


def parse_ordering(value: Any) -> Ordering:
    """Return the webhook's ordering: ``receiver`` (default) or ``none``."""
    if value is None:
        return Ordering.RECEIVER
    try:
        return Ordering(value)
    except ValueError:
        raise expected(" or ".join(repr(o.value) for o in Ordering), value) from None


def parse_exclude_actors(value: Any) -> frozenset[str]:
    """Return the user names whose own changes do not trigger the webhook."""
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise expected("a list of user names", value)
    return frozenset(value)
