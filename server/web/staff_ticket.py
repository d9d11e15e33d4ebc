"""The staff ticket page: a ticket's data, attachments and history, and every action the workflow allows.

``GET /staff/tickets/{id}`` shows the ticket to a staff member who may read it (``server.access``; any
other staff member gets the same 404 as for a ticket that does not exist). The actions on it are
those the workflow allows this user in this state (``available_actions``), each with its action form;
``POST /staff/tickets/{id}/actions/{action}`` takes one:

* success → 303 back to the page with ``?done=ACTION``;
* invalid data, a refused guard → 422, the page again with the errors beside the fields and
  everything typed kept; an action this user may not take → 403;
* a stale ``_version`` (someone acted first) → 409, the page showing the ticket as it is now with a
  notice, and nothing applied.

``GET /staff/ready-replies`` is the knowledge-bank search behind the reply fields (an HTMX fragment;
without JavaScript the page lists the replies itself and filters them with ``?q=``), and
``GET /staff/attachments/{id}`` downloads an attachment of a ticket the user may read.

The read rule, the department members a ticket may be delegated to and the check of a submitted
member are shared with the API (``server.web.staff_api``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template
from markupsafe import Markup

from server.access import is_staff, may_read, read_scope
from server.dates import both
from server.definitions.catalogue import CompiledService
from server.definitions.forms import resolve
from server.definitions.model import Form, Language, Text
from server.engine.advance import available_actions
from server.engine.model import Refusal
from server.forms.coerce import coerce, group_action
from server.forms.html import render_form_fields
from server.forms.view import build_form
from server.i18n import negotiate, t
from server.runtime import Runtime
from server.store.records import Attachment, Event, ReadyReply, Ticket, User
from server.tickets.service import Conflict, view
from server.validation import FieldError
from server.web.auth import actor_for, current_user, login_redirect
from server.web.deps import language, runtime_of
from server.web.pages import _jinja, _post_items, _store_uploads
from server.web.rendering import page_context, render
from server.web.tracking import Entry, entries

AnyRequest = Request[Any, Any, State]

READY_REPLIES_SHOWN = 20
_TARGET = re.compile(r"^[A-Za-z0-9_-]{1,200}$")

# --- the read rule and the department members, shared with the API -----------------------------


async def service_departments(runtime: Runtime) -> dict[str, str]:
    """Each published service's department (what department-scoped roles read by)."""
    return {compiled.service.id: compiled.service.department for _v, compiled in await runtime.published()}


async def readable_ticket(runtime: Runtime, user: User | None, ticket_id: int) -> Ticket | None:
    """The ticket, if it exists and ``user`` may read it (``server.access``); else None."""
    ticket = await runtime.store.get_ticket(ticket_id)
    if ticket is None or user is None:
        return None
    scope = read_scope(user, runtime.org, await service_departments(runtime))
    return ticket if may_read(scope, ticket) else None


def member_pointers(schema: Mapping[str, Any], base: str = "") -> Iterator[str]:
    """The JSON pointers (without array indices) of the fields marked ``x-department-member``."""
    for key in ("properties",):
        for name, sub in (schema.get(key) or {}).items():
            if not isinstance(sub, Mapping):
                continue
            here = f"{base}/{name}"
            if sub.get("x-department-member") is True:
                yield here
            yield from member_pointers(sub, here)
            items = sub.get("items")
            if isinstance(items, Mapping):
                yield from member_pointers(items, here)
    for key in ("then", "else"):
        branch = schema.get(key)
        if isinstance(branch, Mapping):
            yield from member_pointers(branch, base)
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, Mapping):
                yield from member_pointers(branch, base)
    for branch in (schema.get("dependentSchemas") or {}).values():
        if isinstance(branch, Mapping):
            yield from member_pointers(branch, base)


async def member_choices(
    runtime: Runtime, ticket: Ticket, forms: Sequence[Form | None]
) -> dict[str, list[tuple[str, str]]]:
    """The options of the ``x-department-member`` fields of ``forms``: the active members of the
    department holding the ticket, as (user id, name) pairs, by pointer."""
    pointers = {p for form in forms if form is not None for p in member_pointers(form.schema)}
    if not pointers or not ticket.department:
        return {p: [] for p in pointers}
    members = [(u.id, u.name) for u in await runtime.store.users_in_department(ticket.department)]
    return dict.fromkeys(pointers, members)


def member_errors(
    form: Form | None, data: Mapping[str, Any], choices: Mapping[str, Sequence[tuple[str, str]]]
) -> list[FieldError]:
    """A department-member field must name a member of the ticket's department (top-level fields)."""
    if form is None:
        return []
    errors = []
    for pointer in member_pointers(form.schema):
        name = pointer.removeprefix("/")
        if "/" in name or name not in data:
            continue
        allowed = {value for value, _label in choices.get(pointer, ())}
        if str(data[name]) not in allowed:
            errors.append(
                FieldError(
                    path=pointer,
                    message=Text(
                        ar="اختر أحد منسوبي القسم من القائمة",
                        en="Choose a member of the department from the list",
                    ),
                )
            )
    return errors


def lang_of(lang: str) -> Language:
    return "en" if lang == "en" else "ar"


# --- page contexts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentLink:
    id: str
    url: str
    label: str
    filename: str
    media_type: str
    size: str


@dataclass(frozen=True)
class TimelineEvent:
    seq: int
    at: str
    """ISO 8601, for machines (the ``datetime`` attribute)."""
    when: str
    who: str
    title: str
    from_state: str
    to_state: str
    moved: bool
    internal: bool
    badge: str
    details: list[Entry]


@dataclass(frozen=True)
class ReadyReplyView:
    id: int
    title_ar: str
    title_en: str
    body: str


@dataclass(frozen=True)
class ReadyRepliesPanel:
    """A reply field's picker: the search and the replies found, inserted into ``target``."""

    key: str
    """Unique on the page: the ids of the picker's elements derive from it."""
    target: str
    """The id of the textarea an inserted reply goes into."""
    query: str
    lang: str
    """The language of the bodies offered (the requester's by default)."""
    replies: list[ReadyReplyView]
    ticket_id: int = 0


@dataclass(frozen=True)
class StaffActionForm:
    id: str
    label: str
    description: str
    fields: Markup
    error_summary: list[tuple[str, str, str]]
    multipart: bool
    internal: bool
    pickers: list[ReadyRepliesPanel] = field(default_factory=list)
    failed: bool = False


@page_context("staff/ticket.html")
@dataclass(frozen=True)
class StaffTicketPage:
    id: int
    number: str
    service: str
    service_id: str
    definition_version: int
    state: str
    state_label: str
    category: str
    category_label: str
    department: str
    assignee: str
    channel: str
    requester: list[str]
    """The requester's account name, then the name and contact the form marks as the requester's."""
    created: str
    updated: str
    due: str
    overdue: bool
    data: list[Entry]
    attachments: list[AttachmentLink]
    timeline: list[TimelineEvent]
    actions: list[StaffActionForm]
    version: int
    """The ticket's version when the page was built: sent back as ``_version`` with each action."""
    notice: str = ""
    notice_kind: str = ""
    """``ok`` (an action was taken), ``conflict`` (the ticket changed) or ``error`` (a refusal)."""
    problem: str = ""


# --- building the page --------------------------------------------------------------------------


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def _file_fields(form: Form | None) -> list[str]:
    """The names of a form's top-level file fields."""
    if form is None:
        return []
    schema = form.schema
    return [
        name
        for name, node in (schema.get("properties") or {}).items()
        if isinstance(node, Mapping) and resolve(schema, node).get("x-widget") == "file"
    ]


def _field_label(form: Form, name: str, lang: str) -> str:
    node = (form.schema.get("properties") or {}).get(name)
    title = node.get("x-title") if isinstance(node, Mapping) else None
    if isinstance(title, Mapping):
        return str(title.get(lang_of(lang), name))
    return name


async def _attachments(
    runtime: Runtime, compiled: CompiledService, ticket: Ticket, events: Sequence[Event], lang: str
) -> list[AttachmentLink]:
    """The ticket's attachments: the file fields of its form and of the actions taken on it."""
    wanted: list[tuple[str, str]] = []
    for name in _file_fields(compiled.form):
        if isinstance(ticket.data.get(name), str):
            wanted.append((str(ticket.data[name]), _field_label(compiled.form, name, lang)))
    for event in events:
        form = compiled.action_forms.get(event.action)
        if form is None:
            continue
        for name in _file_fields(form):
            if isinstance(event.data.get(name), str):
                wanted.append((str(event.data[name]), _field_label(form, name, lang)))
    links = []
    seen: set[str] = set()
    for attachment_id, label in wanted:
        if attachment_id in seen:
            continue
        seen.add(attachment_id)
        attachment = await runtime.store.get_attachment(attachment_id)
        if attachment is None or attachment.ticket_id != ticket.id:
            continue
        links.append(
            AttachmentLink(
                id=attachment.id,
                url=f"/staff/attachments/{attachment.id}",
                label=label,
                filename=attachment.filename,
                media_type=attachment.media_type,
                size=_size(attachment.size),
            )
        )
    return links


async def _member_names(
    runtime: Runtime, compiled: CompiledService, events: Sequence[Event]
) -> dict[str, str]:
    """The names of the users the actions taken chose as department members (a delegation's assignee)."""
    ids: set[str] = set()
    for event in events:
        form = compiled.action_forms.get(event.action)
        for pointer in member_pointers(form.schema) if form is not None else ():
            value = event.data.get(pointer.removeprefix("/"))
            if isinstance(value, str):
                ids.add(value)
    names = {}
    for user_id in sorted(ids):
        found = await runtime.store.get_user(user_id)
        if found is not None:
            names[user_id] = found.name
    return names


def _with_filenames(items: list[Entry], files: Mapping[str, str]) -> list[Entry]:
    """Entries whose value is an attachment id (a user id) show the file's (the user's) name instead."""
    return [Entry(label=e.label, value=files.get(e.value, e.value)) for e in items]


def _state_label(compiled: CompiledService, state: str | None, lang: str) -> str:
    if state is None:
        return ""
    found = compiled.workflow.states.get(state)
    return found.label.get(lang) if found else state


def _timeline(
    compiled: CompiledService, events: Sequence[Event], files: Mapping[str, str], lang: str, tz: Any
) -> list[TimelineEvent]:
    workflow = compiled.workflow
    items = []
    for event in events:
        details: list[Entry] = []
        if event.kind == "created":
            title = t("stt_ticket_created", lang)
        elif event.kind == "timer":
            timer = workflow.timers.get(event.action.removeprefix("timer:"))
            title = timer.label.get(lang) if timer and timer.label else t("stt_timer", lang)
        else:
            action = workflow.actions.get(event.action)
            title = action.label.get(lang) if action else event.action
            details = _with_filenames(
                entries(compiled.action_forms.get(event.action), event.data, lang), files
            )
        if event.actor_name == "system" and event.actor_id is None:
            who = t("stt_system", lang)
        else:
            who = event.actor_name or t("stt_requester_actor", lang)
        internal = event.visibility == "internal"
        if internal:
            badge = t("stt_internal_note" if details else "stt_internal", lang)
        else:
            badge = t("stt_public_reply" if details else "stt_public", lang)
        items.append(
            TimelineEvent(
                seq=event.seq,
                at=event.at.isoformat(),
                when=both(event.at, lang, tz),
                who=who,
                title=title,
                from_state=_state_label(compiled, event.from_state, lang),
                to_state=_state_label(compiled, event.to_state, lang),
                moved=event.from_state is not None and event.from_state != event.to_state,
                internal=internal,
                badge=badge,
                details=details,
            )
        )
    items.reverse()  # newest first
    return items


def _due(
    runtime: Runtime, compiled: CompiledService, ticket: Ticket, events: Sequence[Event]
) -> dt.datetime | None:
    """When the earliest timer of the ticket's state falls due (working hours since it entered the state)."""
    timers = [timer for timer in compiled.workflow.timers.values() if timer.state == ticket.state]
    if not timers or ticket.category == "closed":
        return None
    entered = ticket.updated_at
    for event in reversed(events):
        if event.to_state == ticket.state and event.from_state != ticket.state:
            entered = event.at
            break
    calendar = runtime.tickets.calendar
    return min(calendar.add_working_hours(entered, timer.after_working_hours) for timer in timers)


async def _people(
    runtime: Runtime, compiled: CompiledService, ticket: Ticket, lang: str
) -> tuple[str, list[str]]:
    """Who holds the ticket (a user's name, or the role's queue in a department) and who asked."""
    org = compiled.organisation
    department = org.departments.get(ticket.department or "")
    dept_name = department.name.get(lang) if department else (ticket.department or "")
    if ticket.assignee_user:
        user = await runtime.store.get_user(ticket.assignee_user)
        assignee = user.name if user else ticket.assignee_user
    elif ticket.assignee_role:
        role = org.roles.get(ticket.assignee_role)
        assignee = role.name.get(lang) if role else ticket.assignee_role
        if dept_name:
            assignee = f"{assignee} — {dept_name}"
    else:
        assignee = t("stt_unassigned", lang)
    parts: list[str] = []
    if ticket.requester_id:
        requester = await runtime.store.get_user(ticket.requester_id)
        if requester is not None:
            parts.append(requester.name)
    hints = compiled.form.schema.get("x-requester")
    if isinstance(hints, Mapping):
        for hint in ("name", "mobile", "email"):
            name = hints.get(hint)
            value = ticket.data.get(name) if isinstance(name, str) else None
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
    return assignee, parts


async def find_ready_replies(runtime: Runtime, query: str, lang: str) -> list[ReadyReplyView]:
    found: list[ReadyReply] = await runtime.store.search_ready_replies(
        query.strip()[:200], limit=READY_REPLIES_SHOWN
    )
    return [
        ReadyReplyView(
            id=r.id, title_ar=r.title_ar, title_en=r.title_en, body=r.body_en if lang == "en" else r.body_ar
        )
        for r in found
    ]


@dataclass(frozen=True)
class Failed:
    """An action that came back: its id, the data typed, the errors, and the page-level message."""

    action: str
    data: dict[str, Any]
    errors: list[FieldError]


async def build_page(
    request: AnyRequest,
    ticket: Ticket,
    *,
    lang: str,
    user: User,
    notice: str = "",
    notice_kind: str = "",
    problem: str = "",
    failed: Failed | None = None,
    query: str = "",
    reply_lang: str | None = None,
) -> StaffTicketPage:
    runtime = runtime_of(request)
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    definition = await runtime.store.get_definition(ticket.definition_version_id)
    events = await runtime.store.list_events(ticket.id)
    tz = runtime.tickets.calendar.tz
    org = compiled.organisation
    attachments = await _attachments(runtime, compiled, ticket, events, lang)
    # what an id stands for on the page: an attachment's file name, a department member's name
    files = {**await _member_names(runtime, compiled, events), **{a.id: a.filename for a in attachments}}
    assignee, requester = await _people(runtime, compiled, ticket, lang)
    state = compiled.workflow.states.get(ticket.state)
    department = org.departments.get(ticket.department or "")
    channel = org.channels.get(ticket.channel)
    due = _due(runtime, compiled, ticket, events)

    action_ids = available_actions(compiled, view(ticket), actor_for(user))
    if failed is not None and failed.action not in action_ids:
        failed = None  # not an action this user may take now: its message is the page's problem
    forms = [compiled.action_forms.get(a) for a in action_ids]
    choices = await member_choices(runtime, ticket, forms)
    env = _jinja(request)
    reply_lang = lang_of(reply_lang or ticket.language)
    replies: list[ReadyReplyView] | None = None
    actions = []
    for action_id, form in zip(action_ids, forms, strict=True):
        action = compiled.workflow.actions[action_id]
        mine = failed is not None and failed.action == action_id
        pickers: list[ReadyRepliesPanel] = []
        if form is not None:
            fv = build_form(
                form,
                data=failed.data if failed is not None and mine else None,
                errors=failed.errors if failed is not None and mine else [],
                lang=lang,
                name_prefix=action_id,
                files=files,
                choices=choices,
                autocomplete=False,
                timezone=ZoneInfo(org.calendar.timezone),
            )
            for fieldview in fv.walk():
                if fieldview.ready_replies and fieldview.kind == "textarea":
                    if replies is None:
                        replies = await find_ready_replies(runtime, query, reply_lang)
                    pickers.append(
                        ReadyRepliesPanel(
                            key=fieldview.id,
                            target=fieldview.id,
                            query=query,
                            lang=reply_lang,
                            replies=replies,
                            ticket_id=ticket.id,
                        )
                    )
            fields, summary, multipart = render_form_fields(fv, env), fv.error_summary, fv.multipart
        else:
            errors = failed.errors if failed is not None and mine else []
            fields = Markup("")
            summary = [("", "", e.message.get(lang)) for e in errors]
            multipart = False
        actions.append(
            StaffActionForm(
                id=action_id,
                label=action.label.get(lang),
                description=action.description.get(lang) if action.description else "",
                fields=fields,
                error_summary=summary,
                multipart=multipart,
                internal=action.visibility == "internal",
                pickers=pickers,
                failed=mine,
            )
        )
    category = ticket.category
    return StaffTicketPage(
        id=ticket.id,
        number=ticket.number,
        service=compiled.service.name.get(lang),
        service_id=ticket.service_id,
        definition_version=definition.version if definition else 0,
        state=ticket.state,
        state_label=state.label.get(lang) if state else ticket.state,
        category=category,
        category_label=t(f"stt_category_{category}", lang)
        if f"stt_category_{category}" in _CATEGORY_KEYS
        else category,
        department=department.name.get(lang) if department else (ticket.department or ""),
        assignee=assignee,
        channel=channel.name.get(lang) if channel else ticket.channel,
        requester=requester,
        created=both(ticket.created_at, lang, tz),
        updated=both(ticket.updated_at, lang, tz),
        due=both(due, lang, tz) if due else "",
        overdue=due is not None and due < dt.datetime.now(dt.UTC),
        data=_with_filenames(entries(compiled.form, ticket.data, lang), files),
        attachments=attachments,
        timeline=_timeline(compiled, events, files, lang, tz),
        actions=actions,
        version=ticket.version,
        notice=notice,
        notice_kind=notice_kind,
        problem=problem,
    )


_CATEGORY_KEYS = {f"stt_category_{c}" for c in ("open", "pending", "in_progress", "closed")}


def _refusal_status(refusal: Refusal) -> int:
    if refusal.reason in ("invalid_data", "guard_refused"):
        return 422
    if refusal.reason == "not_allowed_state":
        return 409
    if refusal.reason == "unknown_action":
        return 404
    return 403


def _strip_prefix(key: str, prefix: str) -> str:
    inner = key.removeprefix(prefix + "[")
    return inner[:-1] if inner != key and inner.endswith("]") else key


# --- the controller -----------------------------------------------------------------------------


class StaffTicketPages(Controller):
    path = "/staff"
    include_in_schema = False

    async def _staff(self, request: AnyRequest) -> User | Redirect:
        user = current_user(request)
        if user is None:
            return login_redirect(request)
        if not is_staff(user, runtime_of(request).org):
            raise PermissionDeniedException()
        return user

    @get("/tickets/{ticket_id:int}")
    async def show(
        self,
        request: AnyRequest,
        ticket_id: FromPath[int],
        done: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The ticket page (see the module's text)."""
        user = await self._staff(request)
        if isinstance(user, Redirect):
            return user
        page_lang = language(request)
        runtime = runtime_of(request)
        ticket = await readable_ticket(runtime, user, ticket_id)
        if ticket is None:
            raise NotFoundException()
        notice = ""
        if done:
            compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
            action = compiled.workflow.actions.get(done)
            if action is not None:
                notice = t("stt_done", page_lang).format(action=action.label.get(page_lang))
        page = await build_page(
            request,
            ticket,
            lang=page_lang,
            user=user,
            notice=notice,
            notice_kind="ok" if notice else "",
            query=q or "",
            reply_lang=lang if lang in ("ar", "en") else None,
        )
        return render(request, "staff/ticket.html", page, lang=page_lang)

    @post("/tickets/{ticket_id:int}/actions/{action_id:str}", status_code=200)
    async def act(
        self, request: AnyRequest, ticket_id: FromPath[int], action_id: FromPath[str]
    ) -> Template | Redirect:
        """Take one action (see the module's text for the answers)."""
        user = await self._staff(request)
        if isinstance(user, Redirect):
            return user
        lang = language(request)
        runtime = runtime_of(request)
        ticket = await readable_ticket(runtime, user, ticket_id)
        if ticket is None:
            raise NotFoundException()
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        if action_id not in compiled.workflow.actions:
            raise NotFoundException()
        values, uploads = await _post_items(request)
        form = compiled.action_forms.get(action_id)
        tz = ZoneInfo(compiled.organisation.calendar.timezone)
        data = coerce(form, values, name_prefix=action_id, timezone=tz) if form is not None else {}

        async def again(status: int, errors: list[FieldError], problem: str = "") -> Template:
            page = await build_page(
                request,
                ticket,
                lang=lang,
                user=user,
                problem=problem,
                notice_kind="error" if problem else "",
                failed=Failed(action=action_id, data=data, errors=errors),
            )
            return render(request, "staff/ticket.html", page, lang=lang, status_code=status)

        if form is not None and group_action(values) is not None:
            return await again(200, [])  # a group row added or removed: not a submission
        errors: list[FieldError] = []
        if form is not None and uploads:
            named = {_strip_prefix(key, action_id): files for key, files in uploads.items()}
            upload_errors, _names = await _store_uploads(runtime, form, named, data, ticket_id=ticket.id)
            errors.extend(upload_errors)
        choices = await member_choices(runtime, ticket, [form])
        errors.extend(member_errors(form, data, choices))
        if errors:
            return await again(422, errors)
        raw_version = (values.get("_version") or [""])[0]
        expected = int(raw_version) if raw_version.isdigit() else -1
        result = await runtime.tickets.act(
            ticket.id, action_id, data, actor=actor_for(user), expected_version=expected, lang=lang_of(lang)
        )
        if isinstance(result, Ticket):
            return Redirect(f"/staff/tickets/{ticket.id}?done={action_id}", status_code=303)
        if isinstance(result, Conflict):
            page = await build_page(
                request,
                result.ticket,
                lang=lang,
                user=user,
                notice=t("stale_action", lang),
                notice_kind="conflict",
                failed=Failed(action=action_id, data=data, errors=[]),  # what was typed is kept, not applied
            )
            return render(request, "staff/ticket.html", page, lang=lang, status_code=409)
        status = _refusal_status(result)
        field_errors = list(result.field_errors) or [FieldError(path="", message=result.message)]
        return await again(status, field_errors, problem=result.message.get(lang))

    @get("/ready-replies")
    async def ready_replies(
        self,
        request: AnyRequest,
        q: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
        target: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """HTMX: the ready replies matching ``q`` (title or body, either language), bodies in ``lang``."""
        user = await self._staff(request)
        if isinstance(user, Redirect):
            return user
        page_lang = language(request)
        reply_lang = lang_of(lang if lang in ("ar", "en") else page_lang)
        chosen = target if target and _TARGET.match(target) else ""
        panel = ReadyRepliesPanel(
            key=chosen,
            target=chosen,
            query=q or "",
            lang=reply_lang,
            replies=await find_ready_replies(runtime_of(request), q or "", reply_lang),
        )
        return Template(
            template_name="staff/_ready_replies.html",
            context={"panel": panel, "t": partial(t, lang=page_lang), "lang": page_lang},
        )

    @get("/attachments/{attachment_id:str}")
    async def attachment(self, request: AnyRequest, attachment_id: FromPath[str]) -> File | Redirect:
        """Download an attachment of a ticket the user may read (else 404, as for an unknown one)."""
        user = current_user(request)
        if user is None:
            return login_redirect(request)
        runtime = runtime_of(request)
        found: Attachment | None = await runtime.store.get_attachment(attachment_id[:200])
        if found is None or found.ticket_id is None:
            raise NotFoundException()
        if await readable_ticket(runtime, user, found.ticket_id) is None:
            raise NotFoundException()
        return File(
            path=runtime.store.attachment_path(found),
            filename=found.filename,
            media_type=found.media_type,
            content_disposition_type="attachment",
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
        )


def api_language(request: AnyRequest) -> Language:
    """The API's language: ``Accept-Language``, Arabic by default."""
    return negotiate(None, request.headers.get("accept-language"), "ar")
