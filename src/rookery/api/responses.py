"""Response and request-body conventions shared by every route (SPEC §2).

Every JSON body carries ``code``, ``type`` and ``detail`` merged with the route's own keys.
Request bodies may be JSON or form-encoded; ``read_body`` returns a dict either way and turns a
malformed body into a 400 that says so. It also refuses what no column can store and no response
can render: ``NaN``/``Infinity`` (not JSON, and unrenderable) and NUL characters (PostgreSQL text
cannot hold them), naming the field at fault.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse

from rookery.api.deep_json import dumps_deep
from rookery.errors import InvalidInputError

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


class EnvelopeResponse(JSONResponse):
    """A JSON response that also renders values nested beyond the C encoder's limit."""

    def render(self, content: Any) -> bytes:
        """The standard (fast) encoding; the iterative one for very deep trees."""
        try:
            return super().render(content)
        except RecursionError:
            return dumps_deep(content).encode("utf-8")


def respond(code: int, detail: str, **keys: Any) -> JSONResponse:
    """A JSON response in Rookery's (Magpie's) envelope."""
    return EnvelopeResponse(
        {"code": code, "type": JSON_TYPE, "detail": detail, **keys}, status_code=code
    )


async def read_body(request: Request) -> dict[str, Any]:
    """The request body as a dict (JSON object or form fields); {} when empty."""
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    looks_like_json = raw.lstrip()[:1] in (b"{", b"[")
    # Without a Content-Type, ``a=1&b=2`` is read as a form, as Magpie does.
    untyped_form = not content_type and b"=" in raw
    if (content_type == FORM_TYPE or untyped_form) and not looks_like_json:
        try:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise InvalidInputError("form body is not valid UTF-8", param="body") from None
        _refuse_unstorable(form, "body")
        return form
    if content_type.startswith("multipart/"):
        fields = await request.form()
        parts = {k: v for k, v in fields.items() if isinstance(v, str)}
        _refuse_unstorable(parts, "body")
        return parts
    body = _parse_json(raw)
    if not isinstance(body, dict):
        raise InvalidInputError(
            "request body must be a JSON object", param="body", value=type(body).__name__
        )
    _refuse_unstorable(body, "body")
    return body


def _not_a_number(constant: str) -> Any:
    raise InvalidInputError(
        f"request body is not valid JSON: {constant} is not a JSON number", param="body"
    )


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_not_a_number)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("request body is not valid JSON", param="body") from None
    except RecursionError:  # absurdly deep nesting is malformed input, not a server fault
        raise InvalidInputError("request body is nested too deeply", param="body") from None


def _refuse_unstorable(value: Any, field: str) -> None:
    """Raise when a string (or key) anywhere in ``value`` holds a NUL character, or a lone
    surrogate (JSON's ``\\ud800`` unpaired): neither database stores them, and a surrogate
    cannot even be written back in an error message."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInputError(f"{field} must not contain NUL characters", param=field)
        if not _is_text(value):
            raise InvalidInputError(
                f"{field} holds a lone surrogate (an unpaired \\uD800 to \\uDFFF escape), "
                "which is not Unicode text",
                param=field,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            shown = key if _is_text(key) else ascii(key)  # the error names it: writable
            name = shown if field == "body" else f"{field}.{shown}"
            _refuse_unstorable(key, name)
            _refuse_unstorable(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_unstorable(item, f"{field}.{index}")


def _is_text(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (a lone surrogate cannot)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def body_schema(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON/form request body with these properties."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {
            "required": bool(required),
            "content": {
                JSON_TYPE: {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }


STRING: dict[str, Any] = {"type": "string"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
