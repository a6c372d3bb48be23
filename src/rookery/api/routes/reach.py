"""What a user or group can reach: ``/users/{u}/services``, ``/users/{u}/resources``,
``/users/{u}/services/{s}/resources`` (and the older ``inherited_*`` aliases), and the
``/groups/{g}/...`` counterparts.

A user may read their own listings (``current`` names the caller); anyone else's need an
administrator (403 otherwise). Group listings are for administrators.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from rookery.api.auth import Principal, require_admin, require_reader, rookery
from rookery.api.query import flag
from rookery.api.reads import read
from rookery.api.responses import respond
from rookery.domain.service_types import SERVICE_TYPES
from rookery.errors import InvalidInputError
from rookery.services import reach
from rookery.services.lookups import get_holder, get_service

router = APIRouter(tags=["reach"])


def _types(request: Request) -> tuple[str, ...]:
    raw = request.query_params.get("type") or request.query_params.get("types") or ""
    names = tuple(sorted({t.strip().lower() for t in raw.split(",") if t.strip()}))
    unknown = [t for t in names if t not in SERVICE_TYPES]
    if unknown:
        raise InvalidInputError(
            f"unknown service type(s): {', '.join(unknown)}; expected some of "
            f"{', '.join(sorted(SERVICE_TYPES))}",
            param="type",
            value=raw,
        )
    return names


def _options(request: Request, who: Principal, *, inherited: bool = False) -> reach.ReachOptions:
    return reach.ReachOptions(
        inherited=inherited or flag(request, "inherited", "inherit"),
        resolve=flag(request, "resolve", "resolved"),
        cascade=flag(request, "cascade"),
        filtered=flag(request, "filtered", "filter"),
        caller_is_admin=who.is_admin,
        service_types=_types(request),
    )


async def _holder(request: Request, kind: str, name: str) -> tuple[Principal, str]:
    if kind == "user":
        return await require_reader(request, name)
    return await require_admin(request), name


def _flatten(grouped: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [service for by_name in grouped.values() for service in by_name.values()]


def _routes(kind: str) -> None:
    base = "/users/{holder}" if kind == "user" else "/groups/{holder}"
    tag = f"{kind} reach"

    async def services(request: Request, holder: str, inherited: bool) -> JSONResponse:
        who, name = await _holder(request, kind, holder)
        options = _options(request, who, inherited=inherited)
        app = rookery(request)

        def query(session: Session) -> dict[str, dict[str, Any]]:
            found = get_holder(session, kind, name)
            return reach.reachable_services(session, found, app.settings.twitcher_url, options)

        grouped = await read(app, query)
        shown: Any = _flatten(grouped) if flag(request, "flatten", "list") else grouped
        return respond(200, f"Get {kind} services successful.", services=shown)

    async def resources(request: Request, holder: str, inherited: bool) -> JSONResponse:
        who, name = await _holder(request, kind, holder)
        options = _options(request, who, inherited=inherited)
        app = rookery(request)

        def query(session: Session) -> dict[str, dict[str, Any]]:
            found = get_holder(session, kind, name)
            return reach.reachable_resources(session, found, app.settings.twitcher_url, options)

        return respond(200, f"Get {kind} resources successful.", resources=await read(app, query))

    @router.get(f"{base}/services", tags=[tag], name=f"{kind}_services")
    async def list_services(request: Request, holder: str) -> JSONResponse:
        return await services(request, holder, inherited=False)

    @router.get(f"{base}/resources", tags=[tag], name=f"{kind}_resources")
    async def list_resources(request: Request, holder: str) -> JSONResponse:
        return await resources(request, holder, inherited=False)

    if kind == "user":

        @router.get(f"{base}/inherited_services", tags=[tag], name="user_inherited_services")
        async def inherited_services(request: Request, holder: str) -> JSONResponse:
            return await services(request, holder, inherited=True)

        @router.get(f"{base}/inherited_resources", tags=[tag], name="user_inherited_resources")
        async def inherited_resources(request: Request, holder: str) -> JSONResponse:
            return await resources(request, holder, inherited=True)

    async def tree(
        request: Request, holder: str, service_name: str, inherited: bool
    ) -> JSONResponse:
        who, name = await _holder(request, kind, holder)
        options = _options(request, who, inherited=inherited)
        app = rookery(request)

        def query(session: Session) -> dict[str, Any]:
            found = get_holder(session, kind, name)
            service = get_service(session, service_name)
            return reach.reachable_in_service(
                session, found, service, app.settings.twitcher_url, options
            )

        found = await read(app, query)
        return respond(200, f"Get {kind} service resources successful.", service=found)

    @router.get(f"{base}/services/{{service_name}}/resources", tags=[tag], name=f"{kind}_tree")
    async def service_resources(request: Request, holder: str, service_name: str) -> JSONResponse:
        return await tree(request, holder, service_name, inherited=False)

    if kind == "user":

        @router.get(
            f"{base}/services/{{service_name}}/inherited_resources",
            tags=[tag],
            name="user_inherited_tree",
        )
        async def inherited_tree(request: Request, holder: str, service_name: str) -> JSONResponse:
            return await tree(request, holder, service_name, inherited=True)


for _kind in ("user", "group"):
    _routes(_kind)
