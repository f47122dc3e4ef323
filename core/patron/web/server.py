"""The ASGI application ``patron serve`` runs: health, plugin routes, admin reports.

Routes come from plugins through ``patron_web_routes`` (collected as
``app.web_routes``), like Datasette's ``register_routes``. The server adds what
every route needs and no route should have to remember:

- errors are the short human page (``patron.web.pages``), never a traceback;
  the traceback of a bug goes to the server log;
- request bodies are limited in size and clients in rate (``patron.web.limits``);
- ``/health`` says whether the database answers (for load balancers).

Convention for plugin routes (checked by review, stated in ``patron_web_routes``):
a GET never changes anything, so a mail scanner or a link preview that follows
every link changes nobody's data; every change is a POST.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from patron.web.limits import BURST, MAX_BODY_BYTES, RATE_PER_SECOND, BodySizeLimit, RateLimit
from patron.web.pages import error_page

if TYPE_CHECKING:
    from patron.app import App

log = logging.getLogger("patron.web")


def build_asgi_app(
    app: App,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    rate_per_second: float = RATE_PER_SECOND,
    burst: int = BURST,
) -> Starlette:
    """Build the Starlette application serving ``app``'s plugin routes, ``/health`` and the admin pages."""
    routes: list[BaseRoute] = [Route("/health", _health(app), methods=["GET"], name="health")]
    routes += plugin_routes(app)
    if app.settings.admin_token:
        from patron.web.admin import admin_routes

        routes += admin_routes(app)
    web = Starlette(
        routes=routes,
        middleware=[
            Middleware(RateLimit, rate=rate_per_second, burst=burst),
            Middleware(BodySizeLimit, max_bytes=max_body_bytes),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    web.state.patron = app
    return web


def plugin_routes(app: App) -> list[BaseRoute]:
    """Starlette routes for the ``WebRoute``\\s every enabled plugin registered through ``patron_web_routes``."""
    return [Route(r.path, r.endpoint, methods=list(r.methods), name=r.name) for r in app.web_routes.values()]


def _health(app: App) -> Any:
    def health(request: Request) -> Response:
        from sqlalchemy import text

        try:
            with app.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            # Any failure to reach the database means "not healthy"; the log keeps the cause.
            log.exception("health check: the database did not answer")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return health


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    response = error_page(status)
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    # A bug: the person sees the short page; the traceback goes to the log (uvicorn prints it).
    log.error("error serving %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return error_page(500)
