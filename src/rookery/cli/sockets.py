"""The listening socket of ``rookery serve``, bound before anything is announced.

Binding first means "serving" is printed only once the address is really ours, and a port in
use (or an address this host does not have) is one sentence naming the setting at fault
instead of a server traceback after the announcement.
"""

from __future__ import annotations

import errno
import socket

from rookery.errors import InvalidInputError

_HOST_ERRORS = {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``; InvalidInputError naming the setting if not."""
    where = f"{host}:{port}"
    if not 0 <= port <= 65535:
        raise InvalidInputError(
            f"ROOKERY_PORT: cannot listen on {where} (a port is 0-65535)", param="ROOKERY_PORT"
        )
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise InvalidInputError(
            f"ROOKERY_HOST: cannot listen on {where} ({error.strerror or 'unknown host'})",
            param="ROOKERY_HOST",
        ) from error
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        setting = "ROOKERY_HOST" if error.errno in _HOST_ERRORS else "ROOKERY_PORT"
        reason = (error.strerror or str(error)).lower()
        raise InvalidInputError(
            f"{setting}: cannot listen on {where} ({reason})", param=setting
        ) from error
    sock.set_inheritable(True)
    return sock
