"""Redaction: what of a webhook's configuration may be shown or stored.

Invariants (SPEC §9: "no configured header value or secret is stored in the database or
shown by the API, CLI or logs"):
- every configured header value is a secret, whatever the header's name: its name is shown,
  its value never is (``REDACTED``). A deny-list of names would miss ``X-Auth`` or
  ``X-Hub-Signature``; the only header values ever shown or stored in clear are those Rookery
  computes itself (``Content-Type`` from ``format``);
- signing secrets are shown as one ``REDACTED`` per secret (so rotation is visible);
- the password in a URL's user information is replaced by ``REDACTED``.
The real values exist only in the loaded configuration, in memory; the worker takes them
from there at send time.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
# Headers whose values Rookery computes (never configured, never secret).
COMPUTED_HEADERS = frozenset({"content-type"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with every value replaced, except the ones Rookery computes."""
    return {
        name: value if name.lower() in COMPUTED_HEADERS else REDACTED
        for name, value in headers.items()
    }


def redact_url(url: str) -> str:
    """``url`` with the password of its user information replaced."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{REDACTED}@{hostport}"))
