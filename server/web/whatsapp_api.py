"""``/api/whatsapp/webhook``: the WhatsApp Cloud API's webhook (service 9).

GET is Meta's verify-token handshake (the challenge echoed as text, else 403); POST carries the events,
accepted only with a valid ``X-Hub-Signature-256`` (else 401, nothing read, nothing created). Under
``/api``, so exempt from the CSRF check; no bearer token — the signature is the authentication. The
rules are ``server.channels.whatsapp``'s; these handlers only read the request and answer.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State

from server.channels import whatsapp
from server.i18n import t
from server.web.api import ApiError
from server.web.deps import RuntimeDep

AnyRequest = Request[Any, Any, State]


def _both(key: str) -> str:
    return f"{t(key, 'en')} / {t(key, 'ar')}"


class WhatsAppWebhook(Controller):
    path = "/api/whatsapp/webhook"
    include_in_schema = False

    @get("/")
    async def verify(self, request: AnyRequest, runtime: RuntimeDep) -> Response[str]:
        query = request.query_params
        challenge = whatsapp.handshake(
            runtime.settings, query.get("hub.mode"), query.get("hub.verify_token"), query.get("hub.challenge")
        )
        if challenge is None:
            raise ApiError(403, _both("dlv_whatsapp_bad_token"))
        return Response(challenge, media_type="text/plain")

    @post("/", status_code=200)
    async def receive(self, request: AnyRequest, runtime: RuntimeDep) -> dict[str, object]:
        try:
            received = await whatsapp.receive_signed(
                runtime, await request.body(), request.headers.get("x-hub-signature-256")
            )
        except whatsapp.NotConfigured:
            raise ApiError(503, _both("dlv_whatsapp_not_configured")) from None
        except whatsapp.BadSignature:
            raise ApiError(401, _both("dlv_whatsapp_bad_signature")) from None
        except whatsapp.BadPayload:
            raise ApiError(400, _both("dlv_whatsapp_bad_payload")) from None
        return {"opened": received.opened, "continued": received.continued, "ignored": received.ignored}
