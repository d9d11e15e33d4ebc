"""Tickets that integrations bring in: Tawasul (service 8), Itqan (service 3) and inbound e-mail.

An integration acts as the organisation's intake: its actor holds the service's eligible roles that
have the ``intake`` capability (never a role id written here), is known in the history by its key's
name, and submits under its key's channel, so the workflow starts where that channel starts it (an
Itqan report in verification) and sends what it sends (the Tawasul coordinator's SMS). Posting the
same external ticket number twice gives the one ticket: the ticket's idempotency key is
``integration:<channel>:<external number>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.channels.host import ChannelHost
from server.channels.integration_models import IntakeAnswer
from server.channels.keys import authenticate
from server.definitions.catalogue import CompiledService
from server.definitions.model import Language
from server.engine.model import Actor, Refusal
from server.store.records import IntegrationKey
from server.tickets.service import Created


def integration_actor(compiled: CompiledService, name: str) -> Actor:
    """The actor an integration acts as on ``compiled``'s tickets: its eligible intake roles."""
    org = compiled.organisation
    roles = {
        r for r in compiled.service.eligible_roles if r in org.roles and "intake" in org.roles[r].capabilities
    }
    return Actor(id=f"integration:{name}", name=name, roles=frozenset(roles))


async def service_for_channel(runtime: ChannelHost, channel: str) -> CompiledService | None:
    """The published service that takes tickets from ``channel`` (the first in catalogue order)."""
    for _version, compiled in await runtime.published():
        if compiled.service.published and channel in compiled.service.channels:
            return compiled
    return None


def idempotency_key(channel: str, external_id: str) -> str:
    return f"integration:{channel}:{external_id}"


async def submit_external(
    runtime: ChannelHost,
    key: IntegrationKey,
    external_id: str,
    data: Mapping[str, Any],
    *,
    lang: Language = "ar",
) -> Created | Refusal | None:
    """A ticket from the integration of ``key`` (None: no published service takes its channel)."""
    compiled = await service_for_channel(runtime, key.channel)
    if compiled is None:
        return None
    return await runtime.tickets.submit(
        compiled.service.id,
        data,
        channel=key.channel,
        actor=integration_actor(compiled, key.name),
        idempotency_key=idempotency_key(key.channel, external_id),
        lang=lang,
    )


Intake = tuple[IntakeAnswer, bool] | Refusal | None
"""What an intake post gives: the answer and whether the ticket is new; a refusal; None (no service)."""


async def authenticated(
    runtime: ChannelHost, headers: Mapping[str, str], channel: str
) -> IntegrationKey | None:
    """The live key of ``channel`` a request carries (see ``keys.authenticate``)."""
    return await authenticate(runtime.store, headers, channel, now=runtime.tickets.clock())


async def receive(
    runtime: ChannelHost, key: IntegrationKey, external_id: str, data: Mapping[str, Any]
) -> Intake:
    """An integration's post: the ticket it makes (or made before, for the same external number)."""
    lang = runtime.org.default_language
    result = await submit_external(runtime, key, external_id, data, lang=lang)
    if result is None or isinstance(result, Refusal):
        return result
    ticket = result.ticket
    answer = IntakeAnswer(
        number=ticket.number, external_number=external_id, state=ticket.state, created=result.created
    )
    return answer, result.created
