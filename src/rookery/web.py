"""The web application: the API and the console in one ASGI app (the entry points' factory).

Only this module knows both ``api`` and ``ui``: it hands the console the API's own session
functions, so the two share one sign-in and one cookie format, and the worker's sender for
"test this webhook"; it also registers the served application with Magpie's module API
(``rookery.compat.webhooks``).
"""

from __future__ import annotations

from fastapi import FastAPI

from rookery.api import auth, signin
from rookery.api.app import Lifespan
from rookery.api.app import create_app as create_api
from rookery.api.header_case import SERVER_OPTIONS
from rookery.bootstrap import Rookery
from rookery.compat import webhooks as magpie_api
from rookery.delivery.sender import send_once
from rookery.ui.console import install_console
from rookery.ui.session import ConsoleSession

__all__ = ["SERVER_OPTIONS", "create_app"]


def create_app(rookery: Rookery, lifespan: Lifespan | None = None) -> FastAPI:
    """The API with the console mounted at ``{root_path}/ui``."""
    app = create_api(rookery, lifespan)
    magpie_api.use_app(rookery)
    install_console(
        app,
        ConsoleSession(
            principal=auth.principal,
            check_credentials=signin.check_credentials,
            start_session=signin.start_session,
            end_session=signin.end_session,
            send_once=send_once,
        ),
        rookery.settings.root_path,
    )
    return app
