"""E-mail templates: the shipped defaults, or the files the settings name instead.

Two languages, chosen by the file:

* Rookery's own (the shipped defaults, and any file not ending in ``.mako``): text with header
  lines (``Subject: ...``; ``Name: value``), a blank line, then the body. ``$name`` (or
  ``${name}``) is replaced by a parameter; an unknown ``$name`` stays as it is, so a template
  written for more parameters than a message has still renders.
* Magpie's (a file ending in ``.mako``, as Magpie requires): a Mako template, rendered as Magpie
  renders it (:mod:`rookery.services.mako_templates`), so an operator's files work unchanged.

Every file the settings name is checked when Rookery starts (:func:`check_templates`); a file
that changes later and breaks is reported when a message is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from rookery.config import EMAIL_TEMPLATE_SETTINGS, Settings
from rookery.errors import InvalidEmailTemplateError
from rookery.services.mako_templates import MailUser, check_mako_template, render_mako

__all__ = ["MailTemplate", "RenderedMail", "check_templates", "load_template", "render"]


@dataclass(frozen=True)
class RenderedMail:
    """A message ready for the SMTP boundary: its headers and its text."""

    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class MailTemplate:
    """One template: its name, its text and, for an operator's file, where it came from."""

    name: str
    source: str
    path: Path | None = None

    @property
    def is_mako(self) -> bool:
        """Magpie's language: files ending in ``.mako``, as Magpie requires of them."""
        return self.path is not None and self.path.suffix == ".mako"

    @property
    def setting(self) -> str:
        return EMAIL_TEMPLATE_SETTINGS[self.name]


def load_template(settings: Settings, name: str) -> MailTemplate:
    """Template ``name``: the file the settings name, else the shipped default."""
    override = settings.email_templates.get(name)
    if override is None:
        folder = resources.files("rookery.services") / "email_templates"
        return MailTemplate(name, (folder / f"{name}.txt").read_text(encoding="utf-8"))
    path = Path(override)
    try:
        return MailTemplate(name, path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidEmailTemplateError(
            f"e-mail template {_named(EMAIL_TEMPLATE_SETTINGS[name])}={override!r} cannot be "
            f"read: {error}",
            param=EMAIL_TEMPLATE_SETTINGS[name],
            value=override,
        ) from None


def check_templates(settings: Settings) -> list[MailTemplate]:
    """Read every template file the settings name and try each Mako one with example values;
    InvalidEmailTemplateError (setting, file, line, what was expected) for the first bad one."""
    checked = []
    for name in sorted(settings.email_templates):
        template = load_template(settings, name)
        if template.is_mako and template.path is not None:
            check_mako_template(name, template.source, template.path, template.setting)
        checked.append(template)
    return checked


def render(template: MailTemplate | str, params: dict[str, Any]) -> RenderedMail:
    """Substitute ``params`` and split the result into headers and body."""
    if isinstance(template, str):
        template = MailTemplate("", template)
    if template.is_mako and template.path is not None:
        context = {**params, "user": _user(params)}
        context["approval_required"] = str(params.get("approval_required")).lower() == "true"
        text = render_mako(template.source, template.path, template.setting, context)
    else:
        text = Template(template.source.replace("\r\n", "\n")).safe_substitute(params)
    return _split(text.replace("\r\n", "\n"))


def _named(setting: str) -> str:
    return f"{setting} ({setting.replace('ROOKERY_', 'MAGPIE_', 1)})"


def _user(params: dict[str, Any]) -> MailUser:
    return MailUser(str(params.get("user_name", "")), str(params.get("email", "")))


def _split(text: str) -> RenderedMail:
    head, _, body = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            # No header block: the whole template is the body.
            return RenderedMail(headers={}, body=text)
        headers[key.strip()] = value.strip()
    return RenderedMail(headers=headers, body=body.lstrip("\n"))
