"""Sending request bodies far larger than the server accepts, over a raw socket.

An HTTP client library either buffers such a body or dies on the server's early close before
reading the answer; this one stops sending as soon as the server has answered (or closed) and
then reads the status line, so a test sees the 413 and how much was sent before it.
"""

from __future__ import annotations

import contextlib
import select
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What came back: the HTTP status (0 when the server closed without one) and bytes sent."""

    status: int
    sent: int
    head: str


def post_oversized(
    host: str,
    port: int,
    path: str,
    total: int,
    *,
    chunked: bool = True,
    chunk: int = 64 * 1024,
    timeout: float = 120,
) -> Outcome:
    """POST ``total`` bytes of JSON-ish filler to ``path``; chunked or with Content-Length."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(head)
        filler = b"{" + b" " * (chunk - 1)
        while sent < total and not _readable(sock):
            piece = filler[: min(chunk, total - sent)]
            data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        if chunked and sent >= total:
            with contextlib.suppress(OSError):
                sock.sendall(b"0\r\n\r\n")
        return _outcome(sock, sent)


def _outcome(sock: socket.socket, sent: int) -> Outcome:
    received = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    parts = head.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return Outcome(status, sent, head)


def _readable(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
