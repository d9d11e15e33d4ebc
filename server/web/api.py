"""The JSON API: thin handlers that call the runtime and return Structs."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from server.api_models import ServiceDetail, ServiceSummary, service_detail, service_summary
from server.runtime import Runtime


def runtime_of(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


class ServicesAPI(Controller):
    path = "/api/services"

    @get("/")
    async def list_services(self, state: State) -> list[ServiceSummary]:
        """Every published service: id, bilingual name, department, version, whether log-in is required."""
        return [
            service_summary(version, compiled) for version, compiled in await runtime_of(state).published()
        ]

    @get("/{service_id:str}")
    async def get_service(self, state: State, service_id: FromPath[str]) -> ServiceDetail:
        """A published service with its form schema and workflow."""
        found = await runtime_of(state).published_service(service_id)
        if found is None:
            raise NotFoundException(f"unknown service {service_id!r} / خدمة غير معروفة")
        return service_detail(*found)
