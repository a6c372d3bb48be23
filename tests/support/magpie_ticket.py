"""Session tickets as Magpie writes them, made by the tests themselves.

Pyramid's ``AuthTicket`` (mod_auth_tkt with ``hashalg="sha512"``, ip 0.0.0.0, no tokens),
written out from its description rather than taken from Rookery's code, so that a test can
hand Rookery a cookie Magpie would have set.
"""

from __future__ import annotations

import hashlib

MAGPIE_USER_DATA = "userid_type:int"


def mod_auth_tkt(
    secret: str, userid: str, timestamp: int, user_data: str = MAGPIE_USER_DATA
) -> str:
    """A ticket made the way Pyramid's ``AuthTicket`` (mod_auth_tkt, sha512) makes one, with
    ip 0.0.0.0 and no tokens: written out here, independently of Rookery's code."""
    ip_chars = "".join(chr(part) for part in (0, 0, 0, 0))  # 0.0.0.0
    ts_chars = "".join(chr((timestamp >> shift) & 0xFF) for shift in (24, 16, 8, 0))
    inner = hashlib.sha512(
        (ip_chars + ts_chars).encode("latin-1")
        + secret.encode()
        + userid.encode()
        + b"\0"
        + b"\0"
        + user_data.encode()
    ).hexdigest()
    digest = hashlib.sha512(inner.encode() + secret.encode()).hexdigest()
    return f"{digest}{timestamp:08x}{userid}!{user_data}"


def stamp_of(value: str) -> int:
    """The timestamp (epoch seconds) a ticket carries: the 8 hex digits after the digest."""
    return int(value[128:136], 16)
