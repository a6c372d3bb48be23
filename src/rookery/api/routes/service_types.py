"""``/services/types...``: the service types Rookery knows and what each may hold.

Registered before ``/services/{service_name}`` so that ``types`` is never taken for a service.
An unknown type in the path is 404 for the resource listings (as Magpie answers) and 400 for the
service listing (Magpie's ``GET /services/types/{type}``).
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from rookery.api.auth import require_admin, rookery
from rookery.api.errors import error_response
from rookery.api.query import flag
from rookery.api.reads import read
from rookery.api.responses import respond
from rookery.domain.service_types import SERVICE_TYPES
from rookery.errors import InvalidInputError, NotFoundError
from rookery.services import catalog

router = APIRouter(tags=["services"])
ADMIN = [Depends(require_admin)]
"""Every route here is for administrators, except the 405 for methods ``/services/types``
does not have (405 whoever asks, as for any other undeclared method)."""


def _known(service_type: str, missing: type[InvalidInputError] | type[NotFoundError]) -> str:
    if service_type not in SERVICE_TYPES:
        raise missing(
            f"service type '{service_type}' is not supported; expected one of "
            f"{', '.join(sorted(SERVICE_TYPES))}",
            param="service_type",
            value=service_type,
        )
    return service_type


@router.get("/services/types", dependencies=ADMIN)
async def list_service_types(request: Request) -> JSONResponse:
    """Every service type Magpie knows (and any other type in use), sorted."""
    kinds = await read(rookery(request), catalog.listed_service_types)
    return respond(200, "Get service types successful.", service_types=kinds)


@router.api_route(
    "/services/types", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def service_types_are_read_only(request: Request) -> JSONResponse:
    """405: ``/services/types`` is its own (read-only) route, never a service named ``types``."""
    response = error_response(request, 405, "/services/types can only be read")
    response.headers["Allow"] = "GET"
    return response


# A marker read by errors.allowed_methods: the methods of this route are the refused ones.
service_types_are_read_only.refuses_every_method = True  # type: ignore[attr-defined]


@router.get("/services/types/{service_type}", dependencies=ADMIN)
async def list_services_of_type(request: Request, service_type: str) -> JSONResponse:
    """The services of one type, grouped as ``GET /services`` groups them (or listed)."""
    app = rookery(request)
    kind = _known(service_type, InvalidInputError)
    found = await read(
        app,
        partial(catalog.services_by_type, flatten=flag(request, "flatten", "list")),
        app.settings.twitcher_url,
        kind,
    )
    return respond(200, "Get services successful.", services=found)


@router.get("/services/types/{service_type}/resources", dependencies=ADMIN)
async def service_type_resources(service_type: str) -> JSONResponse:
    """Each resource type of a service type with its allowed permissions."""
    kind = _known(service_type, NotFoundError)
    return respond(
        200,
        "Get service type resources successful.",
        resource_types=catalog.service_type_resources(kind),
    )


@router.get("/services/types/{service_type}/resources/types", dependencies=ADMIN)
async def service_type_resource_types(service_type: str) -> JSONResponse:
    """The names of the resource types a service type knows."""
    kind = _known(service_type, NotFoundError)
    names = sorted(SERVICE_TYPES[kind].resource_types[1:])
    return respond(200, "Get service type resource types successful.", resource_types=names)
