"""Turning the engine's ``Notify`` effects into outbox rows: recipients resolved, texts rendered.

Templates are rendered in the sandbox (``server.definitions.texts``) in the recipient's language.
No notification vanishes: a recipient without an address on the chosen channel, with a number that is
no telephone number, or a recipient spec that names nobody (a role no active user holds) still gets an
outbox row — ``dead`` at once, its reason in ``last_error`` (``server.notify.undeliverable``) — which the
staff ticket page, the outbox page and ``/healthz`` show, and which is logged.

SMS and WhatsApp numbers leave in E.164 (``server.notify.phones``: Saudi default region, Arabic-Indic
digits accepted). A copy addressed to a role goes to every active holder of the role, whether or not
they belong to a department. Staff recipients get the staff ticket page as ``ticket.url``; the
requester gets the tracking page.

Rendering is bounded (loop iterations, characters, widths: :mod:`server.definitions.texts`); a message
whose template passes a budget on real data is sent cut at that point, with a line saying so, and listed
in ``cut``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from server.definitions.catalogue import CompiledService
from server.definitions.model import Language
from server.definitions.sandbox import Namespace
from server.definitions.texts import render_bounded
from server.engine.model import Actor, Notify
from server.i18n import MESSAGES
from server.notify.phones import to_e164
from server.notify.undeliverable import Undeliverable
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

log = logging.getLogger("khidma.notify")


class Recipient(msgspec.Struct, frozen=True):
    label: str
    """Who, for people reading the outbox: ``user:ID``, ``requester``, ``role:ID``."""
    email: str | None = None
    phone: str | None = None
    staff: bool = True
    """A member of staff: their links go to the staff ticket page, not the tracking page."""
    nobody: bool = False
    """Stands for a recipient spec that named nobody (recorded as undeliverable)."""

    def address(self, delivery: str) -> str | Undeliverable:
        """The address on ``delivery`` (numbers in E.164), or why there is none."""
        if self.nobody:
            return Undeliverable("no_recipient", self.label)
        raw = self.email if delivery == "email" else self.phone
        if not raw or not raw.strip():
            return Undeliverable("no_address", f"{self.label} ({delivery})")
        if delivery == "email":
            return raw.strip()
        number = to_e164(raw)
        return (
            number if number is not None else Undeliverable("invalid_address", f"{self.label} ({delivery})")
        )


class Prepared(msgspec.Struct, frozen=True):
    notify: Notify
    delivery: str
    recipients: tuple[Recipient, ...]


class Rendered(msgspec.Struct):
    messages: list[NewMessage] = msgspec.field(default_factory=list)
    skipped: list[str] = msgspec.field(default_factory=list)
    cut: list[str] = msgspec.field(default_factory=list)
    """Notifications whose template passed a budget (:func:`render_bounded`): sent cut, with the reason."""


def _user(user: User, *, staff: bool = True) -> Recipient:
    return Recipient(label=f"user:{user.id}", email=user.email, phone=user.phone, staff=staff)


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
            return [_user(user, staff=actor.id != requester_id)] if user else []
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
            # every active holder, with a department or without (the general supervisor has none)
            return [_user(u) for u in await self.store.users_with_role(name)]
        return []

    async def requester(
        self, compiled: CompiledService, data: Mapping[str, Any], requester_id: str | None
    ) -> Recipient:
        """The requester's user account if there is one, else the contact fields of the form; an
        address the account lacks is taken from the form (a college user with an e-mail only is told on
        WhatsApp at the mobile number the e-ticket gives)."""
        fields = compiled.form.schema.get("x-requester") or {}
        email = data.get(fields.get("email", ""))
        phone = data.get(fields.get("mobile", ""))
        form_email = email if isinstance(email, str) and email.strip() else None
        form_phone = phone if isinstance(phone, str) and phone.strip() else None
        if requester_id:
            user = await self.store.get_user(requester_id)
            if user is not None and (user.email or user.phone):
                return Recipient(
                    label=f"user:{user.id}",
                    email=user.email or form_email,
                    phone=user.phone or form_phone,
                    staff=False,
                )
        return Recipient(label="requester", email=form_email, phone=form_phone, staff=False)

    def context(
        self,
        compiled: CompiledService,
        ticket: Ticket,
        *,
        lang: Language,
        action_data: Mapping[str, Any],
        actor: Actor,
        survey: bool,
        staff: bool = False,
    ) -> dict[str, Any]:
        org = compiled.organisation
        state = compiled.workflow.states.get(ticket.state)
        department = org.departments.get(ticket.department or "")
        contact = compiled.service.contact or org.contact
        phone = (contact.phones or org.contact.phones)[0]
        hours = contact.hours.get(lang) if contact.hours else self.calendar.describe(lang)
        track = f"{self.base_url}/track/{ticket.number}?code={ticket.tracking_code}"
        if staff:
            track = f"{self.base_url}/staff/tickets/{ticket.id}"
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
                found = await self.recipients(
                    compiled, spec, notify, actor, data=data, requester_id=requester_id
                )
                recipients.extend(found or [Recipient(label=spec, nobody=True)])
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
        who: str | None = None,
    ) -> Rendered:
        """Render the prepared notifications against the ticket row (pure; no I/O). ``who``: how the
        log names the ticket (by default its number)."""
        who = who or f"ticket {ticket.number}"
        rendered = Rendered()
        for item in prepared:
            template = compiled.templates[item.notify.template]
            texts: dict[bool, tuple[str, str]] = {}
            for recipient in item.recipients:
                if recipient.staff not in texts:  # the staff and the requester read different links
                    context = self.context(
                        compiled,
                        ticket,
                        lang=lang,
                        action_data=action_data,
                        actor=actor,
                        survey=item.notify.survey,
                        staff=recipient.staff,
                    )
                    subject, subject_cut = (
                        render_bounded(template.subject[lang], context)
                        if lang in template.subject
                        else ("", None)
                    )
                    body, body_cut = render_bounded(template.body[lang], context)
                    cut = body_cut or subject_cut
                    if cut is not None:
                        # a template that passes its budget on real data (a loop over a long message…)
                        # never hangs the write: the message goes out cut, saying so, and the reason is logged
                        log.warning(
                            "notification %s of %s was cut: %s",
                            item.notify.template,
                            who,
                            cut,
                        )
                        rendered.cut.append(f"{item.notify.template}: {cut}")
                        body = f"{body}\n\n{MESSAGES['notification_cut'].get(lang)}"
                    texts[recipient.staff] = (subject, body)
                subject, body = texts[recipient.staff]
                address = recipient.address(item.delivery)
                problem = address if isinstance(address, Undeliverable) else None
                if problem is not None:
                    rendered.skipped.append(f"{item.notify.template} → {problem.text()}")
                    log.warning(
                        "%s: notification %s is undeliverable: %s",
                        who,
                        item.notify.template,
                        problem.text(),
                    )
                rendered.messages.append(
                    NewMessage(
                        channel=item.delivery,
                        recipient="" if problem is not None else str(address),
                        template=item.notify.template,
                        language=lang,
                        subject=subject,
                        body=body,
                        undeliverable=problem.text() if problem is not None else None,
                    )
                )
        return rendered
