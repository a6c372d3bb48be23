"""The FastAPI application: routers, error handlers and the service's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from rookery import __version__
from rookery.api import errors
from rookery.api.body_limit import BodyLimit
from rookery.api.docs import install_docs
from rookery.api.header_case import HeaderCase
from rookery.api.negotiation import Negotiation
from rookery.api.openapi import openapi_document
from rookery.api.routes import (
    groups,
    health,
    meta,
    permissions,
    reach,
    register,
    resources,
    service_types,
    services,
    session,
    users,
    webhooks,
)
from rookery.api.signin_throttle import SigninThrottle
from rookery.services.context import AppContext

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def _no_lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield


class RookeryApp(FastAPI):
    """FastAPI with content negotiation and canonical header names outside everything else.

    ``add_middleware`` places middleware inside Starlette's server-error layer; these two go
    outside it, so that even a 500 is rendered in the format asked for and named canonically.
    """

    negotiation_prefix = ""

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack wrapped in negotiation, then in header-name casing."""
        return HeaderCase(Negotiation(super().build_middleware_stack(), self.negotiation_prefix))


def create_app(rookery: AppContext, lifespan: Lifespan | None = None) -> FastAPI:
    """Build the ASGI app for an already bootstrapped application."""
    prefix = rookery.settings.root_path
    app = RookeryApp(
        title="Rookery",
        version=__version__,
        description="Access management with reliable, Magpie-compatible webhooks.",
        lifespan=lifespan or _no_lifespan,
        docs_url=None,  # served from the package by install_docs, never from a CDN
        openapi_url=f"{prefix}/openapi.json",
        redoc_url=None,
    )
    app.state.rookery = rookery
    app.negotiation_prefix = prefix
    settings = rookery.settings
    app.state.signin_throttle = SigninThrottle(
        settings.signin_user_failures,
        settings.signin_address_failures,
        settings.signin_window_seconds,
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    errors.install(app)
    install_docs(app, prefix)
    routers = (meta, session, users, groups, service_types, services, resources, permissions)
    for module in (*routers, reach, register, webhooks, health):
        app.include_router(module.router, prefix=prefix)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app
