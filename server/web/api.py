"""The JSON API: thin handlers that call the runtime and return Structs."""

from __future__ import annotations

from typing import Annotated, Any, cast

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from server.api_models import ServiceDetail, ServiceSummary, service_detail, service_summary
from server.engine.model import Actor, Refusal
from server.i18n import negotiate
from server.requests import tracking
from server.requests.track_view import TrackView
from server.runtime import Runtime
from server.store.records import User
from server.tickets.service import Created
from server.web.deps import ApiLang, RuntimeDep


def runtime_of(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


class ApiError(HTTPException):
    """An API error whose body carries more than ``detail`` (the field errors of a 422)."""

    def __init__(self, status_code: int, detail: str, **extra: Any) -> None:
        super().__init__(detail=detail, status_code=status_code)
        self.extra = extra


class TicketCreated(msgspec.Struct, frozen=True):
    id: int
    number: str
    tracking_code: str
    state: str
    version: int


def _lang(request: Request[Any, Any, State]) -> str:
    return negotiate(None, request.headers.get("accept-language"), "ar")


def _api_actor(request: Request[Any, Any, State]) -> tuple[Actor, str | None]:
    """The caller: the user of the bearer token, or an anonymous requester."""
    user = cast("User | None", request.scope.get("khidma_user"))
    if user is None:
        return Actor(id=None, name="", roles=frozenset({"requester"})), None
    actor = Actor(id=user.id, name=user.name, roles=frozenset(user.roles), department=user.department)
    return actor, (user.id if "requester" in user.roles else None)


def refusal_error(refusal: Refusal, lang: str) -> ApiError:
    """A refusal as the brief's 403/422: field errors with a JSON pointer and a message in both languages."""
    if refusal.reason == "invalid_data":
        errors = [
            {
                "path": e.path,
                "message": e.message.get(lang),
                "messages": {"ar": e.message.ar, "en": e.message.en},
            }
            for e in refusal.field_errors
        ]
        return ApiError(422, refusal.message.get(lang), errors=errors)
    if refusal.reason == "guard_refused":
        reason = {
            "reason": refusal.reason,
            "guard": refusal.guard,
            "messages": {"ar": refusal.message.ar, "en": refusal.message.en},
        }
        return ApiError(
            422,
            refusal.message.get(lang),
            errors=[{"path": "", "message": refusal.message.get(lang)}],
            **reason,
        )
    if refusal.reason in ("unknown_action",):
        return ApiError(404, refusal.message.get(lang), reason=refusal.reason)
    status = 409 if refusal.reason == "not_allowed_state" else 403
    return ApiError(
        status,
        refusal.message.get(lang),
        reason=refusal.reason,
        messages={"ar": refusal.message.ar, "en": refusal.message.en},
    )


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

    @post("/{service_id:str}/tickets", status_code=201)
    async def create_ticket(
        self,
        request: Request[Any, Any, State],
        state: State,
        service_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
        channel: FromQuery[str | None] = None,
    ) -> Response[TicketCreated]:
        """Submit the service's form (the JSON body is the form data). 201 with the ticket's number and
        tracking code; 422 with ``errors`` (JSON pointer + message) when the data is invalid; 401 when the
        service requires log-in and no bearer token was given; 403 when the caller may not submit it."""
        runtime = runtime_of(state)
        lang = _lang(request)
        found = await runtime.published_service(service_id)
        if found is None:
            raise NotFoundException(f"unknown service {service_id!r} / خدمة غير معروفة")
        compiled = found[1]
        actor, requester_id = _api_actor(request)
        if compiled.service.login_required and actor.id is None:
            raise ApiError(401, "log-in required / يلزم تسجيل الدخول")
        org = compiled.organisation
        default = next(
            (c for c in compiled.service.channels if org.channels[c].intake == "requester"),
            compiled.service.channels[0],
        )
        result = await runtime.tickets.submit(
            service_id,
            data,
            channel=channel or default,
            actor=actor,
            requester_id=requester_id,
            idempotency_key=f"api:{idempotency_key}" if idempotency_key else None,
            lang="en" if lang == "en" else "ar",
        )
        if isinstance(result, Refusal):
            raise refusal_error(result, lang)
        assert isinstance(result, Created)
        t = result.ticket
        body = TicketCreated(
            id=t.id, number=t.number, tracking_code=t.tracking_code, state=t.state, version=t.version
        )
        return Response(body, status_code=201 if result.created else 200)


class TrackAPI(Controller):
    path = "/api/track"

    @get("/{number:str}")
    async def track(
        self, runtime: RuntimeDep, api_lang: ApiLang, number: FromPath[str], code: FromQuery[str]
    ) -> TrackView:
        """The requester's view of a ticket: its state, public replies and history — never internal notes."""
        view = await tracking.api_view(runtime, number, code, api_lang)
        if view is None:
            raise NotFoundException(
                "no ticket with this number and tracking code / لا توجد تذكرة بهذا الرقم ورمز المتابعة"
            )
        return view
