"""The OpenAPI document: FastAPI's, with Rookery's response envelope and error codes.

Routes read their bodies themselves (JSON or form), so FastAPI cannot infer the responses;
this module documents them in one place: every success is the ``Envelope`` (``code``, ``type``,
``detail`` plus the route's keys) and every operation may answer the listed error codes with
the ``Error`` body. FastAPI's own 422 schema is replaced: Rookery never sends it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_CODES = {
    "400": "invalid input (the `param` names the field)",
    "401": "no session",
    "403": "not allowed",
    "404": "not found",
    "405": "method not allowed",
    "409": "conflict",
    "410": "expired",
    "422": "unknown name",
    "413": "request body larger than ROOKERY_MAX_BODY_BYTES",
    "429": "too many attempts; retry after `Retry-After` seconds",
    "503": "database or SMTP server unavailable; retry after `Retry-After` seconds",
}

ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["code", "type", "detail"],
    "properties": {
        "code": {"type": "integer"},
        "type": {"type": "string"},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["code", "type", "detail", "path", "url", "method"],
    "properties": {
        **ENVELOPE["properties"],
        "path": {"type": "string"},
        "url": {"type": "string"},
        "method": {"type": "string"},
        # Magpie's ``param`` (rookery.api.error_params): the field, the value given, what it
        # was compared with (as text) and the check that failed.
        "param": {
            "type": "object",
            "required": ["name", "value", "conditions"],
            "properties": {
                "name": {"type": "string"},
                "value": {},
                "compare": {"type": "string"},
                "conditions": {"type": "object", "additionalProperties": {"type": "boolean"}},
            },
        },
    },
    "additionalProperties": True,
}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _document_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code in list(responses):
        if code.startswith("2") and "content" in responses[code]:
            responses[code] = _json("Envelope", responses[code].get("description", "success"))
    for code, description in ERROR_CODES.items():
        responses[code] = _json("Error", description)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """Build (once) and return the document served at ``/openapi.json``."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas.update(Envelope=ENVELOPE, Error=ERROR)
        for path_item in document.get("paths", {}).values():
            for operation in path_item.values():
                _document_operation(operation)
        app.openapi_schema = document
    return app.openapi_schema
