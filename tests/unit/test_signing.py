"""Standard Webhooks signatures, checked with the `standardwebhooks` package itself."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from rookery.webhooks.signing import normalize_secret, signature_headers

WHSEC = "whsec_" + base64.b64encode(b"a 24-byte signing key!!!").decode()
BODY = '{"user": "élodie"}'.encode()


def _now() -> datetime:
    return datetime.now(tz=UTC)


def test_whsec_secret_verifies() -> None:
    """A whsec_ secret signs so that the Standard Webhooks library verifies the body."""
    headers = signature_headers([WHSEC], "msg_1", _now(), BODY)
    assert Webhook(WHSEC).verify(BODY, headers) == {"user": "élodie"}
    assert headers["webhook-id"] == "msg_1"


def test_raw_text_secret_is_used_as_key_bytes() -> None:
    """A raw-text secret signs with its UTF-8 bytes as the key."""
    headers = signature_headers(["not base64 at all!"], "msg_2", _now(), BODY)
    Webhook(b"not base64 at all!").verify(BODY, headers)
    Webhook(normalize_secret("not base64 at all!")).verify(BODY, headers)


def test_rotation_signs_with_every_secret() -> None:
    """Two secrets give two v1 signatures, and a receiver knowing either one verifies."""
    headers = signature_headers([WHSEC, "old-secret"], "msg_3", _now(), BODY)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(sig.startswith("v1,") for sig in signatures)
    Webhook(WHSEC).verify(BODY, headers)
    Webhook(b"old-secret").verify(BODY, headers)


def test_wrong_secret_does_not_verify() -> None:
    """A receiver with another secret rejects the signature."""
    headers = signature_headers([WHSEC], "msg_4", _now(), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another").verify(BODY, headers)


def test_tampered_body_does_not_verify() -> None:
    """A changed body no longer matches the signature."""
    headers = signature_headers([WHSEC], "msg_5", _now(), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(WHSEC).verify(BODY + b" ", headers)


def test_timestamp_is_utc_seconds_even_from_another_zone() -> None:
    """The timestamp header is Unix seconds whatever zone the aware datetime is in."""
    moment = _now().astimezone(timezone(timedelta(hours=-5)))
    headers = signature_headers([WHSEC], "msg_6", moment, BODY)
    assert headers["webhook-timestamp"] == str(int(moment.timestamp()))
    Webhook(WHSEC).verify(BODY, headers)


def test_empty_body_can_be_signed() -> None:
    """A request without body is signed over the empty string."""
    headers = signature_headers([WHSEC], "msg_7", _now(), b"")
    assert Webhook(WHSEC).verify(b"", headers, json_parse=False) is None


def test_naive_timestamp_is_refused() -> None:
    """A timestamp without timezone is refused rather than guessed."""
    with pytest.raises(ValueError, match="timezone"):
        signature_headers([WHSEC], "m", datetime(2024, 1, 1), BODY)


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_not*base64", "whsec_abcde"])
def test_invalid_secrets_are_refused(secret: str) -> None:
    """Empty secrets and whsec_ secrets with invalid base64 are refused."""
    with pytest.raises(ValueError, match="secret"):
        normalize_secret(secret)


def test_no_secret_is_refused() -> None:
    """Signing without any secret is refused."""
    with pytest.raises(ValueError, match="at least one"):
        signature_headers([], "m", _now(), BODY)


def test_normalize_keeps_whsec_and_encodes_raw_text() -> None:
    """whsec_ secrets stay text; raw secrets become their UTF-8 bytes."""
    assert normalize_secret(WHSEC) == WHSEC
    assert normalize_secret("clé") == "clé".encode()
