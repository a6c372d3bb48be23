"""Standard Webhooks signatures for delivery requests (SPEC §6 "Signing").

The signing itself is done by the ``standardwebhooks`` package, so any Standard Webhooks
library verifies what we send. Invariants:

- A secret that starts with ``whsec_`` is base64 (as the specification defines it) and must
  decode to a non-empty key; any other secret is raw text whose UTF-8 bytes are the key.
  (``standardwebhooks.Webhook`` base64-decodes every ``str`` it is given, so raw text is handed
  to it as ``bytes``.)
- Several secrets give several space-separated ``v1,...`` signatures over the same message,
  which lets receivers rotate keys without missing a delivery.
- The timestamp is taken as UTC (it must be timezone-aware); the body is signed exactly as sent.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

WHSEC_PREFIX = "whsec_"
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def normalize_secret(text: str) -> str | bytes:
    """Return the secret in the form ``standardwebhooks.Webhook`` reads as intended.

    ``whsec_...`` stays a string (after checking its base64); raw text becomes its UTF-8 bytes.
    Raise ``ValueError`` for an empty secret or a ``whsec_`` secret that is not valid base64.
    """
    if not text:
        raise ValueError("a signing secret cannot be empty")
    if text.startswith(WHSEC_PREFIX):
        decode_whsec(text)
        return text
    return text.encode("utf-8")


def decode_whsec(text: str) -> bytes:
    """Return the key bytes of a ``whsec_`` secret, or raise ``ValueError``."""
    encoded = text[len(WHSEC_PREFIX) :]
    if not _BASE64.fullmatch(encoded):
        raise ValueError("a 'whsec_' secret must be followed by base64 text")
    unpadded = encoded.rstrip("=")
    if len(unpadded) % 4 == 1:
        raise ValueError("a 'whsec_' secret has base64 text of an impossible length")
    try:
        key = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True)
    except binascii.Error as error:
        raise ValueError(f"a 'whsec_' secret is not valid base64: {error}") from error
    if not key:
        raise ValueError("a 'whsec_' secret decodes to an empty key")
    return key


def signature_headers(
    secrets: Sequence[str], msg_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """Return the ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers.

    ``body`` is the exact request body (UTF-8; ``b""`` when there is none). Raise
    ``ValueError`` when there is no secret, a secret is invalid, or the timestamp is naive.
    """
    if not secrets:
        raise ValueError("signing needs at least one secret")
    if timestamp.tzinfo is None:
        raise ValueError("the signature timestamp must be timezone-aware")
    # Webhook.sign() replaces the tzinfo instead of converting, so hand it UTC already.
    moment = timestamp.astimezone(UTC)
    text = body.decode("utf-8")
    signatures = [
        Webhook(normalize_secret(secret)).sign(msg_id=msg_id, timestamp=moment, data=text)
        for secret in secrets
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
