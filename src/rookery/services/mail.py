"""The SMTP boundary: one e-mail out through the server the settings name.

Callers send after their transaction committed (never while holding it). Every failure of the
SMTP exchange (refused connection, timeout, rejected recipient, failed login) becomes one
:class:`~rookery.errors.MailUnavailableError`; nothing of :mod:`smtplib` leaks past here.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from rookery.config import Settings
from rookery.errors import InvalidEmailTemplateError, MailUnavailableError
from rookery.services.mail_templates import load_template, render

__all__ = ["send_mail"]

LOG = logging.getLogger("rookery.mail")
TIMEOUT_SECONDS = 15.0


def _sender(settings: Settings) -> str:
    return settings.smtp_from or settings.smtp_user or f"rookery@{settings.smtp_host}"


def compose(
    settings: Settings, recipient: str, template_name: str, params: dict[str, str]
) -> EmailMessage:
    """The message for ``template_name`` with ``params``, addressed to ``recipient``."""
    sender = _sender(settings)
    values = {
        # The names Magpie offers every template, so that its templates find them.
        "email_sender": sender,
        "email_user": settings.smtp_user or sender,
        "email_from": settings.smtp_from or sender,
        "email_recipient": recipient,
        "email_datetime": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "rookery_url": settings.public_url,
        "magpie_url": settings.public_url,
        "login_url": f"{settings.public_url}/ui/signin",
        **params,
    }
    try:
        rendered = render(load_template(settings, template_name), values)
    except InvalidEmailTemplateError as error:
        # The file changed since the start check: this message cannot go out; nothing changes.
        raise MailUnavailableError(error.detail, param=error.param, value=error.value) from None
    message = EmailMessage()
    message["From"] = rendered.headers.pop("From", sender)
    message["To"] = rendered.headers.pop("To", recipient)
    message["Subject"] = rendered.headers.pop("Subject", "Message from Rookery")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="rookery")
    # The body goes out as UTF-8 HTML when the template says so (Magpie's templates are mostly
    # HTML), as UTF-8 text otherwise; the template's own charset is not kept.
    content_type = rendered.headers.pop("Content-Type", "text/plain")
    for key, value in rendered.headers.items():
        message[key] = value
    html = content_type.split(";", maxsplit=1)[0].strip().lower() == "text/html"
    message.set_content(rendered.body, subtype="html" if html else "plain")
    return message


def send_mail(
    settings: Settings, recipient: str, template_name: str, params: dict[str, str]
) -> None:
    """Render ``template_name`` and hand it to the SMTP server; MailUnavailableError if not."""
    if not settings.smtp_host:
        raise MailUnavailableError(
            "e-mail is not configured: set ROOKERY_SMTP_HOST (and ROOKERY_SMTP_PORT)",
            param="ROOKERY_SMTP_HOST",
        )
    message = compose(settings, recipient, template_name, params)
    port = settings.smtp_port or (465 if settings.smtp_ssl else 25)
    try:
        _deliver(settings, port, message)
    except (smtplib.SMTPException, OSError) as error:
        LOG.warning("e-mail to %s not sent: %s: %s", recipient, type(error).__name__, error)
        raise MailUnavailableError(
            f"the e-mail to {recipient} could not be sent through "
            f"{settings.smtp_host}:{port} ({type(error).__name__}: {error}); nothing was "
            "changed, try again later"
        ) from None
    LOG.info("e-mail %r sent to %s", message["Subject"], recipient)


def _deliver(settings: Settings, port: int, message: EmailMessage) -> None:
    host = settings.smtp_host or ""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_ssl:
        client = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if not settings.smtp_ssl and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_user and settings.smtp_password:
            client.login(settings.smtp_user, settings.smtp_password)
        client.send_message(message)
