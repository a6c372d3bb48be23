"""Assertions on Rookery's JSON error envelope, shared by the API tests."""

from __future__ import annotations

from typing import Any

import httpx


def assert_error(response: httpx.Response, code: int, param: str | None = None) -> dict[str, Any]:
    """The response is an error envelope with ``code`` (and ``param.name`` when given)."""
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["type"] == "application/json"
    assert body["detail"]
    assert body["method"] == response.request.method
    assert body["path"] == response.request.url.path
    assert body["url"] == str(response.request.url)
    if param is not None:
        assert body["param"]["name"] == param, body
    return body
