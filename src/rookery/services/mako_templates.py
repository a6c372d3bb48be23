"""Magpie's e-mail templates: Mako files an operator already has, used unchanged.

A Magpie deployment names ``.mako`` files in its ``MAGPIE_*_EMAIL_TEMPLATE`` settings. Such a
file renders to a whole message: header lines (``From``, ``To``, ``Subject``, ``Content-Type``),
a blank line, then the body. Magpie renders them with undefined names refused, and offers each
template the same names as here (:data:`TEMPLATE_NAMES`): the sender and recipient, the time,
Magpie's URL and sign-in page, ``user`` (an object with ``user_name`` and ``email``) and the
links or group details of that message.

Invariants: Mako's exceptions never leave this module; each becomes one
:class:`~rookery.errors.InvalidEmailTemplateError` naming the setting, the file, the line and
what went wrong. A template is checked at start by rendering it with example values
(:func:`check_mako_template`), so a broken file stops the start, not the first registration.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mako import exceptions as mako_errors
from mako.template import Template

from rookery.errors import InvalidEmailTemplateError

__all__ = ["TEMPLATE_NAMES", "MailUser", "check_mako_template", "render_mako"]

COMMON_NAMES: Final = (
    "user",
    "email_user",
    "email_from",
    "email_sender",
    "email_recipient",
    "email_datetime",
    "magpie_url",
    "rookery_url",
    "login_url",
)
TEMPLATE_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "user_registration_submission": ("confirm_url", "approval_required"),
    "user_registration_approval": ("approve_url", "decline_url", "pending_url", "display_url"),
    "user_registration_approved": (),
    "user_registration_declined": (),
    "user_registration_notify": (),
    "group_terms_submission": ("group_name", "group_terms", "confirm_url"),
    "group_terms_approved": ("group_name",),
}
"""The names each template may use besides :data:`COMMON_NAMES`, as Magpie offers them."""

_EXAMPLES: Final[Mapping[str, Any]] = {
    "email_user": "Rookery",
    "email_from": "rookery@example.org",
    "email_sender": "rookery@example.org",
    "email_recipient": "someone@example.org",
    "email_datetime": "2024-01-01 00:00:00 UTC",
    "magpie_url": "https://rookery.example.org",
    "rookery_url": "https://rookery.example.org",
    "login_url": "https://rookery.example.org/ui/signin",
    "confirm_url": "https://rookery.example.org/tmp/00000000-0000-4000-8000-000000000000",
    "approve_url": "https://rookery.example.org/tmp/00000000-0000-4000-8000-000000000001",
    "decline_url": "https://rookery.example.org/tmp/00000000-0000-4000-8000-000000000002",
    "pending_url": "https://rookery.example.org/register/users/example",
    "display_url": "https://rookery.example.org/register/users/example",
    "group_name": "example-group",
    "group_terms": "Example terms.",
}


@dataclass(frozen=True)
class MailUser:
    """The ``user`` a Magpie template reads: ``${user.user_name}``, ``${user.email}``."""

    user_name: str
    email: str

    def __str__(self) -> str:
        return self.user_name


def _where(setting: str, path: Path) -> str:
    magpie = setting.replace("ROOKERY_", "MAGPIE_", 1)  # the name a Magpie deployment sets
    return f"e-mail template {setting} ({magpie})={str(path)!r}"


def _first_use(source: str, name: str) -> int | None:
    """The line where ``name`` is first used (Mako reports undefined names without one)."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    for number, line in enumerate(source.splitlines(), start=1):
        if pattern.search(line):
            return number
    return None


def _compiled(source: str, path: Path, setting: str) -> Template:
    try:
        # Unescaped, as Magpie renders them: the values are validated names and e-mail
        # addresses, an administrator's group terms and Rookery's own URLs.
        return Template(text=source, filename=str(path), strict_undefined=True)  # noqa: S702
    except mako_errors.MakoException as error:
        line = getattr(error, "lineno", None)
        reason = str(error).split(" in file ", maxsplit=1)[0]
        at = f", line {line}" if line else ""
        raise InvalidEmailTemplateError(
            f"{_where(setting, path)}{at}: not a valid Mako template: {reason}",
            param=setting,
            value=str(path),
        ) from None


def _render_failure(error: Exception, source: str, path: Path, setting: str) -> str:
    """One sentence for a failed render: where, and what the template expected."""
    if isinstance(error, NameError):
        missing = str(error).split("'")[1] if "'" in str(error) else str(error)
        line = _first_use(source, missing)
        at = f", line {line}" if line else ""
        return (
            f"{_where(setting, path)}{at}: uses {missing!r}, which this message does not "
            f"offer; it may use {', '.join(sorted(_names_of(setting)))}"
        )
    trace = mako_errors.RichTraceback(error=error, traceback=sys.exc_info()[2])
    lines = [record[5] for record in trace.records if record[4] == str(path) and record[5]]
    at = f", line {lines[-1]}" if lines else ""
    return f"{_where(setting, path)}{at}: {type(error).__name__}: {error}"


def _names_of(setting: str) -> tuple[str, ...]:
    for name, extra in TEMPLATE_NAMES.items():
        if setting.endswith(f"{name.upper()}_EMAIL_TEMPLATE"):
            return COMMON_NAMES + extra
    return COMMON_NAMES


def render_mako(source: str, path: Path, setting: str, context: Mapping[str, Any]) -> str:
    """Render a Magpie template with ``context``; InvalidEmailTemplateError when it fails."""
    template = _compiled(source, path, setting)
    try:
        text = template.render(**context)
    except Exception as error:  # a template runs arbitrary expressions: any error is its own
        raise InvalidEmailTemplateError(
            _render_failure(error, source, path, setting), param=setting, value=str(path)
        ) from None
    return str(text).strip("\n")


def example_context(template_name: str, approval_required: bool) -> dict[str, Any]:
    """Example values of every name ``template_name`` offers, for a dry run."""
    names = COMMON_NAMES + TEMPLATE_NAMES[template_name]
    context: dict[str, Any] = {name: _EXAMPLES[name] for name in names if name in _EXAMPLES}
    context["user"] = MailUser("example", "example@example.org")
    if "approval_required" in names:
        context["approval_required"] = approval_required
    return context


def check_mako_template(template_name: str, source: str, path: Path, setting: str) -> None:
    """Compile and render with example values (both ways of ``approval_required``)."""
    for approval in (True, False):
        render_mako(source, path, setting, example_context(template_name, approval))
