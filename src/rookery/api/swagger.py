"""Magpie's ``/json``: the API document in Swagger 2.0, converted from the OpenAPI 3 one.

Magpie serves a Swagger 2.0 document (``swagger``, ``host``, ``basePath``, ``schemes``, ``tags``,
``securityDefinitions``) whose ``info.version`` is the Magpie API version; its own test suite
and some clients read those keys. Rookery's native document stays OpenAPI 3 at
``/openapi.json``; this module derives the 2.0 form from it: the same paths and operations,
path/query/header parameters with their types, request bodies as one ``body`` parameter, and
the schemas under ``definitions``.
"""

from __future__ import annotations

import json
from typing import Any

OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch")


def _rewrite_refs(value: Any) -> Any:
    text = json.dumps(value).replace("#/components/schemas/", "#/definitions/")
    return json.loads(text)


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = parameter.get("schema") or {}
    converted = {
        "name": parameter["name"],
        "in": parameter["in"],
        "required": bool(parameter.get("required", parameter["in"] == "path")),
        "type": schema.get("type", "string") if isinstance(schema.get("type"), str) else "string",
    }
    if parameter.get("description"):
        converted["description"] = parameter["description"]
    return converted


def _body(request_body: dict[str, Any]) -> dict[str, Any] | None:
    for media in request_body.get("content", {}).values():
        if "schema" in media:
            return {
                "name": "body",
                "in": "body",
                "required": bool(request_body.get("required")),
                "schema": media["schema"],
            }
    return None


def _operation(operation: dict[str, Any]) -> dict[str, Any]:
    parameters = [_parameter(p) for p in operation.get("parameters", []) if p.get("in") != "cookie"]
    body = _body(operation.get("requestBody") or {})
    if body is not None:
        parameters.append(body)
    converted: dict[str, Any] = {
        key: operation[key]
        for key in ("tags", "summary", "description", "operationId")
        if key in operation
    }
    converted["produces"] = ["application/json"]
    converted["parameters"] = parameters
    converted["responses"] = {
        code: {"description": response.get("description", "")}
        for code, response in operation.get("responses", {}).items()
    }
    return converted


def swagger_document(
    openapi: dict[str, Any], *, version: str, host: str, base_path: str, scheme: str
) -> dict[str, Any]:
    """The Swagger 2.0 form of ``openapi``, served from ``scheme://host/base_path``."""
    paths: dict[str, Any] = {}
    tags: list[str] = []
    for path, item in openapi.get("paths", {}).items():
        paths[path] = {}
        for method, operation in item.items():
            if method in OPERATIONS:
                paths[path][method] = _operation(operation)
                tags += [t for t in operation.get("tags", []) if t not in tags]
    info = dict(openapi.get("info", {}))
    info["version"] = version
    document = {
        "swagger": "2.0",
        "info": info,
        "host": host,
        "basePath": base_path or "/",
        "schemes": [scheme],
        "consumes": ["application/json", "application/x-www-form-urlencoded"],
        "produces": ["application/json"],
        "tags": [{"name": tag} for tag in tags],
        "securityDefinitions": {
            "auth_tkt": {"type": "apiKey", "in": "header", "name": "Cookie"},
        },
        "paths": paths,
        "definitions": openapi.get("components", {}).get("schemas", {}),
    }
    return dict(_rewrite_refs(document))
