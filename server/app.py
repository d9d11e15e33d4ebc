"""The application factory: ``create_app(settings)`` builds one Litestar app."""

from __future__ import annotations

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi.config import OpenAPIConfig
from litestar.params import FromPath

from server.api_models import ServiceDetail, ServiceSummary, service_detail, service_summary
from server.definitions.catalogue import Catalogue
from server.definitions.loader import load_tree
from server.settings import Settings


class DefinitionsInvalid(RuntimeError):
    """The definitions tree the server was asked to load has errors."""


def catalogue_of(state: State) -> Catalogue:
    catalogue: Catalogue = state.catalogue
    return catalogue


@get("/healthz", sync_to_thread=False)
def healthz(state: State) -> dict[str, object]:
    return {"status": "ok", "services": len(catalogue_of(state).services)}


@get("/api/services", sync_to_thread=False)
def list_services(state: State) -> list[ServiceSummary]:
    return [service_summary(compiled) for compiled in catalogue_of(state).services.values()]


@get("/api/services/{service_id:str}", sync_to_thread=False)
def get_service(state: State, service_id: FromPath[str]) -> ServiceDetail:
    compiled = catalogue_of(state).services.get(service_id)
    if compiled is None:
        raise NotFoundException(f"unknown service {service_id!r} / خدمة غير معروفة")
    return service_detail(compiled)


def _error(request: Request[object, object, State], exc: Exception) -> Response[dict[str, object]]:
    """Never a stack trace to a user: a short JSON body with the status."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error / خطأ داخلي"
    return Response({"status_code": status, "detail": detail}, status_code=status)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    result = load_tree(settings.definitions)
    if result.catalogue is None:
        raise DefinitionsInvalid("\n".join(str(e) for e in result.errors))
    return Litestar(
        route_handlers=[healthz, list_services, get_service],
        state=State({"catalogue": result.catalogue, "settings": settings}),
        exception_handlers={Exception: _error},
        openapi_config=OpenAPIConfig(title="khidma", version="0.1.0", path="/schema"),
        debug=settings.debug,
    )
