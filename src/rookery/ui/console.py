"""Mounting the console on the application: routes, static assets and its error page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from rookery.ui import (
    pages_access,
    pages_deliveries,
    pages_register,
    pages_services,
    pages_session,
)
from rookery.ui.rendering import error_page
from rookery.ui.session import ConsoleSession, PageError

STATIC_DIR = Path(__file__).with_name("static")


def install_console(app: FastAPI, session: ConsoleSession, root_path: str) -> None:
    """Serve the console at ``{root_path}/ui`` using the API's session functions."""
    app.state.console_session = session
    console = APIRouter(include_in_schema=False)
    for module in (pages_session, pages_register, pages_access, pages_services, pages_deliveries):
        console.include_router(module.router)
    app.include_router(console, prefix=f"{root_path}/ui")
    app.mount(f"{root_path}/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")

    async def page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        return error_page(request, error)

    app.add_exception_handler(PageError, page_error)
