"""Turning the engine's ``Notify`` effects into outbox rows: recipients resolved, texts rendered.

Templates are rendered in the sandbox (``server.definitions.texts``) in the recipient's language.
A recipient without an address on the chosen channel gets no row; the event log still shows the
action, and ``skipped`` says who was missed so the caller can report it. Rendering is bounded (loop
iterations, characters, widths: :mod:`server.definitions.texts`); a message whose template passes a
budget on real data is sent cut at that point, with a line saying so, and listed in ``cut``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.definitions.catalogue import CompiledService
from server.definitions.model import Language
from server.definitions.texts import Namespace, render_bounded
from server.engine.model import Actor, Notify
from server.i18n import MESSAGES
from server.store.interface import Store
from server.store.records import NewMessage, Ticket, User
from server.working_time import WorkingCalendar

log = logging.getLogger(__name__)

DELIVERY: Mapping[str, str] = {
    "email": "email",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "web": "email",
    "phone": "sms",
    "tawasul": "sms",
    "itqan": "email",
    "internal": "email",
}
"""Channel kind of a ticket (or of an effect) → the gateway that delivers on it."""


@dataclass(frozen=True)
class Recipient:
    label: str
    """Who, for people reading the outbox: ``user:ID``, ``requester``."""
    email: str | None = None
    phone: str | None = None

    def address(self, delivery: str) -> str | None:
        return self.email if delivery == "email" else self.phone


@dataclass(frozen=True)
class Prepared:
    notify: Notify
    delivery: str
    recipients: tuple[Recipient, ...]


@dataclass
class Rendered:
    messages: list[NewMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    """Notifications whose template passed a budget (:func:`render_bounded`): sent cut, with the reason."""


def _user(user: User) -> Recipient:
    return Recipient(label=f"user:{user.id}", email=user.email, phone=user.phone)


class Notifier:
    def __init__(self, store: Store, calendar: WorkingCalendar, *, base_url: str = "") -> None:
        self.store = store
        self.calendar = calendar
        self.base_url = base_url.rstrip("/")

    async def recipients(
        self,
        compiled: CompiledService,
        spec: str,
        notify: Notify,
        actor: Actor,
        *,
        data: Mapping[str, Any],
        requester_id: str | None,
    ) -> list[Recipient]:
        kind, _, name = spec.partition(":")
        if kind == "requester":
            return [await self.requester(compiled, data, requester_id)]
        if kind == "actor":
            user = await self.store.get_user(actor.id) if actor.id else None
            return [_user(user)] if user else []
        if kind == "assignee":
            assignment = notify.assignment
            if assignment.user:
                user = await self.store.get_user(assignment.user)
                return [_user(user)] if user else []
            if assignment.department and assignment.role:
                users = await self.store.users_in_department(assignment.department, assignment.role)
                return [_user(u) for u in users]
            return []
        if kind == "head":
            department = compiled.organisation.departments.get(name)
            if department is None:
                return []
            return [_user(u) for u in await self.store.users_in_department(name, department.head_role)]
        if kind == "role":
            holders: list[User] = []
            for department_id in compiled.organisation.departments:
                holders.extend(await self.store.users_in_department(department_id, name))
            return [_user(u) for u in holders]
        return []

    async def requester(
        self, compiled: CompiledService, data: Mapping[str, Any], requester_id: str | None
    ) -> Recipient:
        """The requester's user account if there is one, else the contact fields of the form."""
        if requester_id:
            user = await self.store.get_user(requester_id)
            if user is not None and (user.email or user.phone):
                return _user(user)
        fields = compiled.form.schema.get("x-requester") or {}
        email = data.get(fields.get("email", ""))
        phone = data.get(fields.get("mobile", ""))
        return Recipient(
            label="requester",
            email=email if isinstance(email, str) else None,
            phone=phone if isinstance(phone, str) else None,
        )

    def context(
        self,
        compiled: CompiledService,
        ticket: Ticket,
        *,
        lang: Language,
        action_data: Mapping[str, Any],
        actor: Actor,
        survey: bool,
    ) -> dict[str, Any]:
        org = compiled.organisation
        state = compiled.workflow.states.get(ticket.state)
        department = org.departments.get(ticket.department or "")
        contact = compiled.service.contact or org.contact
        phone = (contact.phones or org.contact.phones)[0]
        hours = contact.hours.get(lang) if contact.hours else self.calendar.describe(lang)
        track = f"{self.base_url}/track/{ticket.number}?code={ticket.tracking_code}"
        context: dict[str, Any] = {
            "ticket": {
                "number": ticket.number,
                "tracking_code": ticket.tracking_code,
                "state": state.label.get(lang) if state else ticket.state,
                "channel": org.channels[ticket.channel].name.get(lang)
                if ticket.channel in org.channels
                else "",
                "department": department.name.get(lang) if department else "",
                "url": track,
            },
            "service": {"name": compiled.service.name.get(lang)},
            "actor": {"name": actor.name},
            "org": {
                "name": org.name.get(lang),
                "phone": phone.display(),
                "email": contact.email or org.contact.email or "",
                "hours": hours,
            },
            "data": Namespace(ticket.data),
            "action": Namespace(action_data),
            "vars": Namespace(ticket.vars),
            "links": {k: {"url": v.url, "label": v.label.get(lang)} for k, v in org.links.items()},
        }
        if survey:
            context["survey_url"] = f"{self.base_url}/survey/{ticket.number}?code={ticket.tracking_code}"
        return context

    async def prepare(
        self,
        compiled: CompiledService,
        notifications: Sequence[Notify],
        *,
        actor: Actor,
        data: Mapping[str, Any],
        requester_id: str | None,
    ) -> list[Prepared]:
        """Resolve every recipient (reads users); rendering waits for the ticket row."""
        prepared = []
        for notify in notifications:
            delivery = DELIVERY.get(notify.channel, "email")
            recipients: list[Recipient] = []
            for spec in (notify.to, *notify.cc):
                recipients.extend(
                    await self.recipients(compiled, spec, notify, actor, data=data, requester_id=requester_id)
                )
            prepared.append(Prepared(notify=notify, delivery=delivery, recipients=tuple(recipients)))
        return prepared

    def render(
        self,
        compiled: CompiledService,
        ticket: Ticket,
        prepared: Sequence[Prepared],
        *,
        actor: Actor,
        action_data: Mapping[str, Any],
        lang: Language,
    ) -> Rendered:
        """Render the prepared notifications against the ticket row (pure; no I/O)."""
        rendered = Rendered()
        for item in prepared:
            template = compiled.templates[item.notify.template]
            context = self.context(
                compiled, ticket, lang=lang, action_data=action_data, actor=actor, survey=item.notify.survey
            )
            subject, subject_cut = (
                render_bounded(template.subject[lang], context) if lang in template.subject else ("", None)
            )
            body, body_cut = render_bounded(template.body[lang], context)
            cut = body_cut or subject_cut
            if cut is not None:
                # a template that passes its budget on real data (a loop over a long message…) never
                # hangs the write: the message goes out cut, saying so, and the reason is logged
                log.warning(
                    "notification %s of ticket %s was cut: %s", item.notify.template, ticket.number, cut
                )
                rendered.cut.append(f"{item.notify.template}: {cut}")
                body = f"{body}\n\n{MESSAGES['notification_cut'].get(lang)}"
            for recipient in item.recipients:
                address = recipient.address(item.delivery)
                if not address:
                    rendered.skipped.append(f"{item.notify.template} → {recipient.label} ({item.delivery})")
                    continue
                rendered.messages.append(
                    NewMessage(
                        channel=item.delivery,
                        recipient=address,
                        template=item.notify.template,
                        language=lang,
                        subject=subject,
                        body=body,
                    )
                )
        return rendered
