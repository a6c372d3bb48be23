"""E-mail templates: the shipped defaults, or the files the settings name instead.

A template is text: header lines (``Subject: ...``; ``Name: value``), a blank line, then the
body. ``$name`` (or ``${name}``) is replaced by a parameter; an unknown ``$name`` stays as it
is, so a template written for more parameters than a message has still renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from rookery.config import EMAIL_TEMPLATE_SETTINGS, Settings
from rookery.errors import MailUnavailableError

__all__ = ["RenderedMail", "load_template", "render"]


@dataclass(frozen=True)
class RenderedMail:
    """A message ready for the SMTP boundary: its headers and its text."""

    headers: dict[str, str]
    body: str


def load_template(settings: Settings, name: str) -> str:
    """The text of template ``name``: the file the settings name, else the shipped default."""
    override = settings.email_templates.get(name)
    if override is None:
        return (resources.files("rookery.services") / "email_templates" / f"{name}.txt").read_text(
            encoding="utf-8"
        )
    try:
        return Path(override).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        # A deployment mistake, found when the first such message is due: said plainly.
        raise MailUnavailableError(
            f"e-mail template {EMAIL_TEMPLATE_SETTINGS[name]}={override!r} cannot be read: {error}",
            param=EMAIL_TEMPLATE_SETTINGS[name],
            value=override,
        ) from None


def render(template: str, params: dict[str, str]) -> RenderedMail:
    """Substitute ``params`` and split the result into headers and body."""
    text = Template(template.replace("\r\n", "\n")).safe_substitute(params)
    head, _, body = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            # No header block: the whole template is the body.
            return RenderedMail(headers={}, body=text)
        headers[key.strip()] = value.strip()
    return RenderedMail(headers=headers, body=body)
