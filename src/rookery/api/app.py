"""The FastAPI application: routers, error handlers and the service's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from rookery import __version__
from rookery.api import errors
from rookery.api import webhooks as seed_api
from rookery.api.openapi import openapi_document
from rookery.api.routes import (
    groups,
    health,
    meta,
    permissions,
    reach,
    resources,
    service_types,
    services,
    session,
    users,
    webhooks,
)
from rookery.bootstrap import Rookery

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def _no_lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield


def create_app(rookery: Rookery, lifespan: Lifespan | None = None) -> FastAPI:
    """Build the ASGI app for an already bootstrapped Rookery."""
    prefix = rookery.settings.root_path
    app = FastAPI(
        title="Rookery",
        version=__version__,
        description="Access management with reliable, Magpie-compatible webhooks.",
        lifespan=lifespan or _no_lifespan,
        docs_url=f"{prefix}/api",
        openapi_url=f"{prefix}/openapi.json",
        redoc_url=None,
    )
    app.state.rookery = rookery
    seed_api.use_app(rookery)
    errors.install(app)
    routers = (meta, session, users, groups, service_types, services, resources, permissions)
    for module in (*routers, reach, webhooks, health):
        app.include_router(module.router, prefix=prefix)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app
