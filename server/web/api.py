"""The requester's JSON API: thin handlers that call a service (``server/requests``) and return Structs.
``ApiError`` and ``refusal_error`` (a refusal as the API's 4xx) serve every API controller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType as MediaTypeObject
from litestar.openapi.spec import OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import HeaderParameter, JSONBody

from server.api_models import ServiceDetail, ServiceSummary
from server.engine.model import Refusal
from server.requests import catalogue, submission, tracking
from server.requests.results import Missing, NeedsLogin
from server.requests.track_view import TrackView
from server.web.deps import ApiLang, RuntimeDep, Viewer
from server.web.params import PathStr, QueryOptStr, QueryStr


class ApiError(HTTPException):
    """An API error whose body carries more than ``detail`` (the field errors of a 422)."""

    def __init__(self, status_code: int, detail: str, **extra: Any) -> None:
        super().__init__(detail=detail, status_code=status_code)
        self.extra = extra


MAX_ERRORS = 50
"""A 422 lists at most this many field errors (``errors_total`` says how many there were)."""


# --- what the OpenAPI document says of every answer (tests/test_openapi_fuzz.py holds it to it) -----

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
"""The security of a route that needs ``Authorization: Bearer <token>``."""
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, {"bearer": []}]


class FieldErrorBody(msgspec.Struct, kw_only=True):
    path: str
    """A JSON pointer to the field ("" for the whole form)."""
    message: str
    messages: dict[str, str] | None = None


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every 4xx of the API: ``detail`` (English / Arabic or the caller's language), and by case a
    ``reason``, the ``messages`` in both languages, field ``errors``…"""

    status_code: int
    detail: str
    reason: str | None = None
    messages: dict[str, str] | None = None
    errors: list[FieldErrorBody] | None = None
    errors_total: int | None = None
    guard: str | None = None
    current_version: int | None = None
    state: str | None = None
    invalid: list[str] | None = None


_WHY = {
    400: "Malformed parameters or body",
    401: "No valid bearer token",
    403: "The caller may not do this",
    404: "No such thing (or one the caller may not see)",
    409: "The ticket changed, or the action does not apply in its state",
    413: "The body is over the request budgets (size, depth, values)",
    415: "The body is not application/json",
    422: "Invalid data (errors with JSON pointers) or a refused guard",
    429: "Too many anonymous requests from this address (Retry-After)",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error answers of a route, each with the ``ErrorBody`` shape."""
    return {
        code: ResponseSpec(data_container=ErrorBody, description=_WHY[code], generate_examples=False)
        for code in codes
    }


def alternatives(*media_types: str) -> type[Operation]:
    """The OpenAPI operation of a route whose 200 comes in any of ``media_types`` (Litestar declares
    one): each listed, the body an object (JSON) or a string (a document)."""

    @dataclass
    class Alternatives(Operation):
        def __post_init__(self) -> None:
            answer = (self.responses or {}).get("200")
            if isinstance(answer, OpenAPIResponse):
                answer.content = {
                    media: MediaTypeObject(
                        schema=Schema(
                            type=OpenAPIType.OBJECT if media.endswith("json") else OpenAPIType.STRING
                        )
                    )
                    for media in media_types
                }

    return Alternatives


class TicketCreated(msgspec.Struct, frozen=True):
    id: int
    number: str
    tracking_code: str
    state: str
    version: int


def refusal_error(refusal: Refusal, lang: str) -> ApiError:
    """A refusal as the brief's 403/422: field errors with a JSON pointer and a message in both languages."""
    if refusal.reason == "invalid_data":
        found = [
            {
                "path": e.path,
                "message": e.message.get(lang),
                "messages": {"ar": e.message.ar, "en": e.message.en},
            }
            for e in refusal.field_errors[:MAX_ERRORS]
        ]
        return ApiError(422, refusal.message.get(lang), errors=found, errors_total=len(refusal.field_errors))
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
    tags = ["services"]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/")
    async def list_services(self, runtime: RuntimeDep) -> list[ServiceSummary]:
        """Every published service: id, bilingual name, department, version, whether log-in is required."""
        return await catalogue.api_services(runtime)

    @get("/{service_id:str}", responses=errors(404))
    async def get_service(self, runtime: RuntimeDep, service_id: PathStr) -> ServiceDetail:
        """A published service with its form schema and workflow."""
        found = await catalogue.api_service(runtime, service_id)
        if found is None:
            raise NotFoundException(f"unknown service {service_id!r} / خدمة غير معروفة")
        return found

    @post(
        "/{service_id:str}/tickets",
        status_code=201,
        security=OPTIONAL_BEARER,
        responses={
            200: ResponseSpec(
                TicketCreated, description="The same Idempotency-Key again: the ticket it made"
            ),
            **errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
        },
    )
    async def create_ticket(
        self,
        runtime: RuntimeDep,
        viewer: Viewer,
        api_lang: ApiLang,
        service_id: PathStr,
        data: JSONBody[dict[str, Any]],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", pattern=r"^[!-~]{1,200}$")
        ] = None,
        channel: QueryOptStr = None,
    ) -> Response[TicketCreated]:
        """Submit the service's form (the JSON body is the form data). 201 with the ticket's number and
        tracking code; 422 with ``errors`` (JSON pointer + message) when the data is invalid; 401 when the
        service requires log-in and no bearer token was given; 403 when the caller may not submit it."""
        result = await submission.submit_json(
            runtime, service_id, data, viewer, channel=channel, key=idempotency_key, lang=api_lang
        )
        if isinstance(result, Missing):
            raise NotFoundException(f"unknown service {service_id!r} / خدمة غير معروفة")
        if isinstance(result, NeedsLogin):
            raise ApiError(401, "log-in required / يلزم تسجيل الدخول")
        if isinstance(result, Refusal):
            raise refusal_error(result, api_lang)
        t = result.ticket
        body = TicketCreated(
            id=t.id, number=t.number, tracking_code=t.tracking_code, state=t.state, version=t.version
        )
        return Response(body, status_code=201 if result.created else 200)


class TrackAPI(Controller):
    path = "/api/track"
    tags = ["services"]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/{number:str}", responses=errors(400, 404, 429))
    async def track(
        self, runtime: RuntimeDep, api_lang: ApiLang, number: PathStr, code: QueryStr
    ) -> TrackView:
        """The requester's view of a ticket: its state, public replies and history — never internal notes."""
        view = await tracking.api_view(runtime, number, code, api_lang)
        if view is None:
            raise NotFoundException(
                "no ticket with this number and tracking code / لا توجد تذكرة بهذا الرقم ورمز المتابعة"
            )
        return view
