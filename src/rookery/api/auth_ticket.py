"""The session cookie's value in Pyramid's AuthTkt layout, as Magpie (and Twitcher) read it.

Layout (mod_auth_tkt as Pyramid's ``AuthTktCookieHelper`` writes it with ``hashalg="sha512"``,
no IP binding and an integer user id)::

    <sha512 hex digest><timestamp: 8 hex digits><user id>!<user data>

``user data`` is ``userid_type:int|session_version:<n>``: Pyramid decodes the user id as an
integer and ignores the other item; Rookery compares the session version with the user's.
The digest is ``H(H(ip+ts ‖ secret ‖ userid ‖ NUL ‖ tokens ‖ NUL ‖ user data) hex ‖ secret)``
with ip ``0.0.0.0`` and no tokens.

Invariants: a ticket is accepted only with a digest made from the same secret (compared in
constant time), only while ``timestamp + lifetime >= now``, and only if its user data carries
an integer session version; anything malformed reads as "no session", never as an error.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

_DIGEST_HEX = hashlib.sha512().digest_size * 2
_VERSION_KEY = "session_version:"


@dataclass(frozen=True)
class Ticket:
    """What a valid cookie says: who, at which session version, issued when (epoch seconds)."""

    user_id: int
    session_version: int
    issued_at: int


def _digest(secret: str, timestamp: int, userid: str, user_data: str) -> str:
    # 0.0.0.0 as four bytes, then the timestamp as four big-endian bytes.
    ip_timestamp = bytes(4) + struct.pack(">I", timestamp & 0xFFFFFFFF)
    key = secret.encode()
    inner = hashlib.sha512(
        ip_timestamp + key + userid.encode() + b"\0" + b"" + b"\0" + user_data.encode()
    ).hexdigest()
    return hashlib.sha512(inner.encode() + key).hexdigest()


def make_ticket(secret: str, user_id: int, session_version: int, now: float) -> str:
    """The cookie value for ``user_id`` at ``session_version``, issued at ``now``."""
    timestamp = int(now)
    userid = str(user_id)
    user_data = f"userid_type:int|{_VERSION_KEY}{session_version}"
    return f"{_digest(secret, timestamp, userid, user_data)}{timestamp:08x}{userid}!{user_data}"


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
    versions = [d[len(_VERSION_KEY) :] for d in user_data.split("|") if d.startswith(_VERSION_KEY)]
    if len(versions) != 1 or not versions[0].isdigit():
        return None
    return Ticket(user_id, int(versions[0]), timestamp)
