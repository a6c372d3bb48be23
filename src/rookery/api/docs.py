"""``/api``: Swagger UI served from files shipped inside the package (no CDN, works offline).

Invariants: the page and every asset it loads come from Rookery itself (``{prefix}/api/static``,
swagger-ui-dist copied into ``api/static/``); the online validator badge is switched off, so the
page names no other host.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")


def install_docs(app: FastAPI, prefix: str) -> None:
    """Serve Swagger UI at ``{prefix}/api`` with its assets under ``{prefix}/api/static``."""
    assets = f"{prefix}/api/static"
    app.mount(assets, StaticFiles(directory=STATIC_DIR), name="api-static")

    async def swagger_ui(_: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{prefix}/openapi.json",
            title="Rookery API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_route(f"{prefix}/api", swagger_ui, include_in_schema=False)
