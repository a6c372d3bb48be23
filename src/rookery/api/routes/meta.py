"""Public routes describing the API itself: ``/``, ``/version``, ``/json`` and ``/network/*``.

``/version`` answers the Magpie API version Rookery implements (clients choose their dialect by
it) and Rookery's own under ``rookery_version``. Network mode is never enabled in Rookery: every
``/network/...`` request answers 501 as a Magpie with network mode off does, and those routes are
kept out of the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from rookery import __version__
from rookery.api.auth import rookery
from rookery.api.errors import error_response
from rookery.api.responses import respond
from rookery.api.swagger import swagger_document
from rookery.services.versions import schema_revision

router = APIRouter(tags=["api"])

MAGPIE_API_VERSION = "5.1.0"
"""The Magpie REST API version whose routes, bodies and codes Rookery answers with."""

TITLE = "Magpie REST API"
DESCRIPTION = "Access management with reliable, Magpie-compatible webhooks (Rookery)."


CONSOLE_PATH = "/ui/"
"""Where browsers asking for ``/`` are sent: the web console."""


@router.get("/", response_model=None)
async def landing(request: Request) -> JSONResponse | RedirectResponse:
    """Magpie's API landing answer (what this is, where its documentation lives); a browser
    (``Accept: text/html``) is sent to the web console instead."""
    app = rookery(request)
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"{app.settings.root_path}{CONSOLE_PATH}", status_code=303)
    return respond(
        200,
        "Get homepage successful.",
        title=TITLE,
        name="rookery",
        description=DESCRIPTION,
        documentation=f"{app.settings.public_url}/api",
    )


@router.get("/version")
async def version(request: Request) -> JSONResponse:
    """The Magpie API version implemented, Rookery's version and the schema revision."""
    app = rookery(request)
    revision = await run_in_threadpool(schema_revision, app.engine)
    return respond(
        200,
        "Get version successful.",
        version=MAGPIE_API_VERSION,
        db_version=revision,
        rookery_version=__version__,
    )


@router.get("/json", include_in_schema=False)
async def api_document(request: Request) -> JSONResponse:
    """The API document in Swagger 2.0, as Magpie serves its own at ``/json`` (``info.version``
    is the Magpie API version); ``/openapi.json`` has the OpenAPI 3 original. Neither is listed
    in itself."""
    document = swagger_document(
        request.app.openapi(),
        version=MAGPIE_API_VERSION,
        host=request.url.netloc,
        base_path=request.scope.get("root_path", "") or "/",
        scheme=request.url.scheme,
    )
    return JSONResponse(document)


NETWORK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
NETWORK_DISABLED = "Network mode is not enabled."


@router.api_route("/network", methods=NETWORK_METHODS, include_in_schema=False)
@router.api_route("/network/{rest:path}", methods=NETWORK_METHODS, include_in_schema=False)
async def network_disabled(request: Request) -> JSONResponse:
    """Network mode is off: 501, as Magpie answers when it is not enabled."""
    return error_response(request, 501, NETWORK_DISABLED)
