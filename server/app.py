"""The application factory: ``create_app(settings)`` builds one Litestar app.

The definitions tree is checked when the app is built (an invalid tree refuses to start); the
store is opened by the lifespan, which publishes the shipped definitions on first start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig

from server.runtime import DefinitionsInvalid, Runtime, load_shipped
from server.settings import Settings
from server.web.api import ServicesAPI, runtime_of

__all__ = ["DefinitionsInvalid", "create_app"]


@get("/healthz")
async def healthz(state: State) -> dict[str, object]:
    runtime = runtime_of(state)
    return {"status": "ok", "services": len(await runtime.store.latest_definitions())}


def _error(request: Request[object, object, State], exc: Exception) -> Response[dict[str, object]]:
    """Never a stack trace to a user: a short JSON body with the status."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error / خطأ داخلي"
    if status == 500:
        request.logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response({"status_code": status, "detail": detail}, status_code=status)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    catalogue = load_shipped(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime = await Runtime.open(settings, catalogue)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.close()

    return Litestar(
        route_handlers=[healthz, ServicesAPI],
        lifespan=[lifespan],
        state=State({"settings": settings}),
        exception_handlers={Exception: _error},
        openapi_config=OpenAPIConfig(title="khidma", version="0.1.0", path="/schema"),
        debug=settings.debug,
    )
