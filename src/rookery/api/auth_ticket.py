"""The session cookie's value in Pyramid's AuthTkt layout, exactly as Magpie (and Twitcher) write
and read it.

Layout (mod_auth_tkt as Pyramid's ``AuthTktCookieHelper`` writes it with ``hashalg="sha512"``,
no IP binding and an integer user id)::

    <sha512 hex digest><timestamp: 8 hex digits><user id>!userid_type:int

so a cookie is ``128 + 8 + len(str(user_id)) + 16`` characters long, Magpie's length. The
digest is ``H(H(ip+ts ‖ secret ‖ userid ‖ NUL ‖ tokens ‖ NUL ‖ user data) hex ‖ secret)``
with ip ``0.0.0.0`` and no tokens. Whether a ticket still counts for its user (it may have been
revoked) is decided by ``rookery.domain.sessions`` from its timestamp; this module only reads
and writes the value. Tickets are stamped by the caller, up to a second in the future (see
that module).

Invariants: a ticket is accepted only with a digest made from the same secret (compared in
constant time), only while ``timestamp + lifetime >= now``, and only if its user data declares
an integer user id (``userid_type:int``, as Pyramid decodes it; other ``|``-separated items,
such as the ``session_version:<n>`` of cookies Rookery wrote before, are ignored); anything
malformed reads as "no session", never as an error.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

_DIGEST_HEX = hashlib.sha512().digest_size * 2
_USER_DATA = "userid_type:int"


@dataclass(frozen=True)
class Ticket:
    """What a valid cookie says: who, and its timestamp (epoch seconds)."""

    user_id: int
    issued_at: int


def _digest(secret: str, timestamp: int, userid: str, user_data: str) -> str:
    # 0.0.0.0 as four bytes, then the timestamp as four big-endian bytes.
    ip_timestamp = bytes(4) + struct.pack(">I", timestamp & 0xFFFFFFFF)
    key = secret.encode()
    inner = hashlib.sha512(
        ip_timestamp + key + userid.encode() + b"\0" + b"" + b"\0" + user_data.encode()
    ).hexdigest()
    return hashlib.sha512(inner.encode() + key).hexdigest()


def make_ticket(secret: str, user_id: int, timestamp: int) -> str:
    """The cookie value for ``user_id``, stamped ``timestamp`` (epoch seconds)."""
    userid = str(user_id)
    return f"{_digest(secret, timestamp, userid, _USER_DATA)}{timestamp:08x}{userid}!{_USER_DATA}"


def read_ticket(secret: str, value: str, lifetime_seconds: int, now: float) -> Ticket | None:
    """The ticket in a cookie value, or None when it is forged, expired or malformed."""
    value = value.strip('"')
    digest, rest = value[:_DIGEST_HEX], value[_DIGEST_HEX:]
    userid, bang, user_data = rest[8:].partition("!")
    try:
        timestamp = int(rest[:8], 16)
        user_id = int(userid)
    except ValueError:
        return None
    if not bang or len(rest) < 8 or not userid.isdigit():
        return None
    expected = _digest(secret, timestamp, userid, user_data)
    if not hmac.compare_digest(expected.encode(), digest.encode("utf-8", "replace")):
        return None
    if timestamp + lifetime_seconds < now:
        return None
    if _USER_DATA not in user_data.split("|"):
        return None
    return Ticket(user_id, timestamp)
