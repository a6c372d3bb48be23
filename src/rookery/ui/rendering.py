"""Rendering console pages: the Jinja2 environment, forms, redirects with a message, errors.

Invariants: templates autoescape; every page gets the viewer, the CSRF token and the URL
prefix; a failed form action never shows a traceback — the service's one-sentence error comes
back on the page it was sent from (``?error=``), and a page that cannot be shown is an HTML page
with the status the API would give.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from rookery.errors import (
    AuthenticationError,
    ConflictError,
    DatabaseUnavailableError,
    ForbiddenError,
    NotFoundError,
    RookeryError,
)
from rookery.ui.session import (
    CSRF_FIELD,
    Caller,
    PageError,
    check_csrf,
    csrf_token,
    remember_csrf,
    rookery,
)

T = TypeVar("T")

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# The page status for a service error (the API's table, reduced to what a page shows).
_STATUS = [
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (DatabaseUnavailableError, 503),
]


def status_of(error: RookeryError) -> int:
    """The HTTP status a page shows for ``error`` (400 for bad input and anything else)."""
    return next((code for kind, code in _STATUS if isinstance(error, kind)), 400)


def prefix(request: Request) -> str:
    """Where the console lives: ``{root_path}/ui``."""
    return f"{rookery(request).settings.root_path}/ui"


def render(
    request: Request, template: str, who: Caller | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` with the common context; sets the CSRF cookie when new."""
    settings = rookery(request).settings
    html = TEMPLATES.get_template(template).render(
        request=request,
        who=who,
        ui=prefix(request),
        root=settings.root_path,
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        message=request.query_params.get("message"),
        error=request.query_params.get("error"),
        registration_open=settings.user_registration_enabled,
        approval=settings.user_registration_approval,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    remember_csrf(request, response)
    return response


def redirect(request: Request, path: str, **flash: str) -> RedirectResponse:
    """303 to a console path, with a ``message`` or ``error`` shown there."""
    joiner = "&" if "?" in path else "?"
    query = f"{joiner}{urlencode(flash)}" if flash else ""
    return RedirectResponse(f"{prefix(request)}{path}{query}", status_code=303)


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's text fields, after checking its CSRF token."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, fields.get(CSRF_FIELD))
    return fields


async def query(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a read in the thread pool; a service error becomes the page's error."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except RookeryError as error:
        raise PageError(status_of(error), error.detail) from error


async def act(
    request: Request, back: str, done: str, fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> Response:
    """Run a change; redirect to ``back`` with ``done`` or with the service's error."""
    try:
        await run_in_threadpool(fn, *args, **kwargs)
    except RookeryError as error:
        return redirect(request, back, error=error.detail)
    return redirect(request, back, message=done)


def error_page(request: Request, error: PageError) -> Response:
    """The HTML page for a PageError (no viewer lookup: it may be the failure)."""
    return render(
        request,
        "error.html",
        None,
        status_code=error.status,
        detail=error.detail,
        code=error.status,
    )
