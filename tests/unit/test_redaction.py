"""Redaction of webhook configuration: every header value but the computed Content-Type."""

from __future__ import annotations

from rookery.webhooks.redaction import REDACTED, redact_headers, redact_url


def test_every_configured_header_value_is_redacted_whatever_its_name() -> None:
    """Names off any deny-list (X-Auth, X-Hub-Signature, X-Trace) are redacted too."""
    headers = {"X-Auth": "a", "X-Hub-Signature": "b", "X-Trace": "c", "Authorization": "d"}
    assert redact_headers(headers) == dict.fromkeys(headers, REDACTED)


def test_computed_content_type_stays_in_any_case() -> None:
    """Content-Type comes from `format`, not from a secret: it is kept, whatever its case."""
    assert redact_headers({"content-type": "text/plain", "X-A": "s"}) == {
        "content-type": "text/plain",
        "X-A": REDACTED,
    }


def test_url_password_is_redacted_and_the_rest_kept() -> None:
    """Only the password of the user information is replaced."""
    assert redact_url("https://u:p4ss@h:8/x?q=1") == "https://u:***@h:8/x?q=1"
    assert redact_url("https://u@h/x") == "https://u@h/x"
    assert redact_url("http://h/x") == "http://h/x"
