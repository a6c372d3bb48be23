"""The one table mapping Rookery's errors to HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from rookery.api.error_params import error_param, param_object
from rookery.api.responses import respond
from rookery.errors import (
    AuthenticationError,
    Check,
    ConflictError,
    DatabaseUnavailableError,
    ForbiddenError,
    GoneError,
    InvalidInputError,
    InvalidWebhookConfigError,
    MailUnavailableError,
    NotFoundError,
    PayloadTooLargeError,
    RookeryError,
    TooManyRequestsError,
    UnprocessableError,
)

LOG = logging.getLogger("rookery.api")
ENVELOPE_KEYS = ("code", "type", "detail")

# Most specific first: UnprocessableError is an InvalidInputError.
STATUS_BY_ERROR: list[tuple[type[RookeryError], int]] = [
    (UnprocessableError, 422),
    (InvalidInputError, 400),
    (InvalidWebhookConfigError, 400),
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (GoneError, 410),
    (PayloadTooLargeError, 413),
    (TooManyRequestsError, 429),
    (DatabaseUnavailableError, 503),
    (MailUnavailableError, 503),
]


def status_for(error: RookeryError) -> int:
    """The HTTP status of a Rookery error."""
    for kind, code in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return code
    return 500


def _where(request: Request) -> dict[str, Any]:
    return {"path": request.url.path, "url": str(request.url), "method": request.method}


def error_response(
    request: Request,
    code: int,
    detail: str,
    param: dict[str, Any] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An error body: envelope plus where it happened and, when known, the field at fault
    (``extra`` keys never replace the envelope's own)."""
    keys = {**extra, **_where(request), **({"param": param} if param else {})}
    return respond(code, detail, **{k: v for k, v in keys.items() if k not in ENVELOPE_KEYS})


def rookery_error_response(request: Request, error: RookeryError) -> JSONResponse:
    """The response for one of our errors, with ``Retry-After`` when the error says when.

    A 409 also names the conflicting item at the top level (``"service_name": "x"``), as
    Magpie's conflict bodies do.
    """
    named: dict[str, Any] = {}
    if isinstance(error, ConflictError):
        if error.param and error.value is not None:
            named[error.param] = _jsonable(error.value)
        named.update(error.named)
    response = error_response(request, status_for(error), error.detail, error_param(error), **named)
    retry_after = getattr(error, "retry_after_seconds", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON envelope."""

    @app.exception_handler(RookeryError)
    async def rookery_error(request: Request, error: RookeryError) -> JSONResponse:
        if isinstance(error, DatabaseUnavailableError):
            # One line per failed request: the cause only, never a statement or a traceback.
            LOG.warning("%s %s: 503, %s", request.method, request.url.path, error.detail)
        return rookery_error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        name = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        detail = f"invalid value for '{name}': {first.get('msg', 'invalid input')}"
        kind = str(first.get("type", ""))
        if kind.endswith(("_parsing", "_type")):  # "int_parsing" → compare "Type[int]"
            compare = f"Type[{kind.split('_', maxsplit=1)[0]}]"
            param = param_object(name, first.get("input"), compare=compare, check=Check.IS_TYPE)
        elif kind == "missing":  # pydantic's input is then the enclosing object
            param = param_object(name, None, check=Check.NOT_NONE)
        else:
            param = param_object(name, first.get("input"))
        return error_response(request, 400, detail, param)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else "request failed"
        response = error_response(request, error.status_code, detail)
        if error.headers:
            response.headers.update(error.headers)
        if error.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(app, request))
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # One line (the first of the message: a database error's text goes on with its
        # statement); the traceback only when debugging.
        first = (str(error).strip().splitlines() or [""])[0][:300]
        LOG.error(
            "%s %s: 500, %s: %s", request.method, request.url.path, type(error).__name__, first
        )
        LOG.debug("traceback of the 500 above", exc_info=error)
        return error_response(request, 500, "internal error; the server log has the details")


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette lists only one route's)."""
    methods: set[str] = set()
    for route in app.routes:
        if (
            isinstance(route, APIRoute)
            and route.path_regex.match(request.url.path)
            and not getattr(route.endpoint, "refuses_every_method", False)
        ):
            methods |= route.methods or set()
    return sorted(methods)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, dict)):
        return value
    return str(value)
