"""The integrations' intake API: Tawasul tickets, Itqan reports and the mail gateway's raw messages.
Each route takes an integration key of its own channel (``Authorization: Bearer <key>`` or
``X-Api-Key``), made with ``khidma integration key create``; the rules live in ``server/channels``."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from server.accounts.records import IntegrationKey
from server.channels import intake
from server.channels.integration_models import IntakeAnswer, ItqanReport, MailAnswer, TawasulTicket
from server.channels.mail import receive_mail
from server.engine.model import Refusal
from server.i18n import t
from server.web.api import ApiError, errors, refusal_error
from server.web.auth import AnyRequest
from server.web.deps import ApiLang, RuntimeDep

_AGAIN = {
    200: ResponseSpec(data_container=IntakeAnswer, description="The same number again: the same ticket")
}
_MAIL = {200: ResponseSpec(data_container=MailAnswer, description="Threaded, ignored or a duplicate")}


async def _key(runtime: RuntimeDep, request: AnyRequest, channel: str, lang: str) -> IntegrationKey:
    key = await intake.authenticated(runtime, request.headers, channel)
    if key is None:
        raise ApiError(401, t("ch_key_required", lang))
    return key


def _answer(result: intake.Intake, lang: str) -> Response[IntakeAnswer]:
    if result is None:
        raise ApiError(404, t("ch_no_service", lang))
    if isinstance(result, Refusal):
        raise refusal_error(result, lang)
    answer, created = result
    return Response(answer, status_code=201 if created else 200)


class IntegrationsAPI(Controller):
    path = "/api/integrations"
    tags = ("integrations",)

    @post("/tawasul/tickets", responses={**_AGAIN, **errors(400, 401, 404, 413, 415, 422)})
    async def tawasul_ticket(
        self,
        runtime: RuntimeDep,
        request: AnyRequest,
        api_lang: ApiLang,
        data: JSONBody[TawasulTicket],
    ) -> Response[IntakeAnswer]:
        """A new Tawasul ticket: 201 with khidma's ticket (the Tawasul coordinator is sent an SMS); the same
        ``ticket_number`` again: 200 with the same ticket, nothing sent twice. 401 without a live
        ``tawasul`` key; 422 with field errors when the ticket does not fit the form."""
        key = await _key(runtime, request, "tawasul", api_lang)
        return _answer(await intake.receive(runtime, key, data.ticket_number, data.form_data()), api_lang)

    @post("/itqan/reports", responses={**_AGAIN, **errors(400, 401, 404, 413, 415, 422)})
    async def itqan_report(
        self,
        runtime: RuntimeDep,
        request: AnyRequest,
        api_lang: ApiLang,
        data: JSONBody[ItqanReport],
    ) -> Response[IntakeAnswer]:
        """A new Itqan maintenance report: 201, the ticket in verification (its information is checked
        before it goes to the Maintenance Center); the same ``report_number`` again: 200, the same
        ticket. 401 without a live ``itqan`` key; 422 with field errors."""
        key = await _key(runtime, request, "itqan", api_lang)
        return _answer(await intake.receive(runtime, key, data.report_number, data.form_data()), api_lang)

    @post("/mail", responses={**_MAIL, **errors(401, 413, 415, 422)})
    async def mail(self, runtime: RuntimeDep, request: AnyRequest, api_lang: ApiLang) -> Response[MailAnswer]:
        """A raw e-mail (``Content-Type: message/rfc822``) from the mail gateway: 201 when it opened a
        ticket, 200 otherwise (threaded into a ticket, ignored as an auto-reply or bounce, a duplicate
        Message-ID); 401 without a live ``email`` key; 415 for another body type."""
        key = await _key(runtime, request, "email", api_lang)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "message/rfc822":
            raise ApiError(415, t("ch_not_rfc822", api_lang))
        receipt = await receive_mail(runtime, await request.body(), source=key.name)
        if receipt.outcome == "refused":
            raise ApiError(422, t("ch_mail_unreadable", api_lang), reason=receipt.reason)
        answer = MailAnswer(
            outcome=receipt.outcome,
            message_id=receipt.message_id,
            ticket_number=receipt.ticket_number,
            reason=receipt.reason,
        )
        return Response(answer, status_code=201 if receipt.outcome == "created" else 200)
