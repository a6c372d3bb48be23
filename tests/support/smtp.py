"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.

Tests read the messages back (``wait_for``), pull links out of their text, and can make the
server refuse what comes next (``refuse``: answers 554 to the next ``DATA``s).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.service import free_port

LINK = re.compile(r"https?://\S+/tmp/[0-9a-f-]{36}")


@dataclass(frozen=True)
class Mail:
    """One accepted message."""

    recipients: list[str]
    subject: str
    text: str
    content_type: str = "text/plain"
    sender: str = ""

    def links(self) -> list[str]:
        """Every ``/tmp/{token}`` link in the text, in order."""
        return LINK.findall(self.text)

    def path_of(self, word: str) -> str:
        """The path of the only link on a line (or the line after one) mentioning ``word``."""
        lines = self.text.splitlines()
        for number, line in enumerate(lines):
            if word.lower() in line.lower():
                for candidate in lines[number : number + 4]:
                    found = LINK.search(candidate)
                    if found:
                        return "/tmp/" + found.group(0).rsplit("/tmp/", 1)[1]
        raise AssertionError(f"no link near {word!r} in:\n{self.text}")


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        return self.server.accept(envelope)


class SmtpServer:
    """Start with ``SmtpServer().start()``; ``settings()`` gives Rookery's SMTP settings."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self.refusals = 0
        self._cond = threading.Condition()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def settings(self) -> dict[str, Any]:
        """Settings overrides that send Rookery's e-mail here."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_from": "rookery@test"}

    def refuse(self, count: int = 1) -> None:
        """Refuse the next ``count`` messages (554)."""
        with self._cond:
            self.refusals = count

    def accept(self, envelope: Envelope) -> str:
        with self._cond:
            if self.refusals:
                self.refusals -= 1
                return "554 Transaction failed (the test asked for it)"
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
            parsed = message_from_bytes(raw, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            body = parsed.get_body(("plain", "html"))
            text = body.get_content() if body is not None else ""
            kind = body.get_content_type() if body is not None else "text/plain"
            self.mails.append(
                Mail(
                    [str(r) for r in envelope.rcpt_tos],
                    str(parsed["Subject"]),
                    text,
                    kind,
                    str(parsed["From"]),
                )
            )
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, recipient: str, count: int = 1, timeout: float = 10.0) -> list[Mail]:
        """The first ``count`` messages to ``recipient`` (waits up to ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.mails if recipient in m.recipients]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{count} e-mail(s) to {recipient} expected, got {found}")
                self._cond.wait(left)

    def to(self, recipient: str) -> list[Mail]:
        """Messages to ``recipient`` so far."""
        with self._cond:
            return [m for m in self.mails if recipient in m.recipients]
