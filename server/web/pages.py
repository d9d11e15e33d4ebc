"""The requester's pages: the catalogue, a service, its form, the confirmation, tracking, the survey.

Thin handlers: they read the request, call the runtime (the ticket service, the form renderer), and
return a template with a typed page context. Everything works without JavaScript; HTMX re-renders
the form's fields (conditional fields, repeatable groups) and validates a field as it is left.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from litestar import Controller, Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Response, Template
from markupsafe import Markup

from server.definitions.catalogue import CompiledService
from server.definitions.model import Form, Text
from server.engine.advance import available_actions
from server.engine.model import Actor, Refusal
from server.forms.coerce import coerce, group_action
from server.forms.html import render_field, render_form_fields
from server.forms.view import build_form
from server.i18n import LANG_COOKIE_MAX_AGE, t
from server.store.interface import AlreadyExists
from server.store.records import Ticket
from server.tickets.service import Conflict, Created
from server.validation import FieldError
from server.web.deps import LANG_COOKIE, language, runtime_of
from server.web.rendering import page_context, render
from server.web.tracking import TrackView, code_matches, track_view

AnyRequest = Request[Any, Any, State]


# --- typed page contexts ------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCard:
    id: str
    name: str
    department: str
    summary: str
    login_required: bool
    staff_only: bool


@page_context("catalogue.html")
@dataclass(frozen=True)
class CataloguePage:
    services: list[ServiceCard]


@page_context("service.html")
@dataclass(frozen=True)
class ServicePage:
    id: str
    name: str
    department: str
    description: list[str]
    requirements: list[str]
    steps: list[str]
    audience: str
    channels: list[str]
    phones: list[str]
    email: str
    hours: str
    login_required: bool
    can_apply: bool
    staff_only: bool


@page_context("apply.html")
@dataclass(frozen=True)
class ApplyPage:
    service_id: str
    service_name: str
    title: str
    fields: Markup
    error_summary: list[tuple[str, str, str]]
    multipart: bool
    channels: list[tuple[str, str]]
    """Channels a representative may record the request under (empty for requesters)."""
    channel: str
    idempotency_key: str
    """Carried across re-renders, so sending the same form twice creates one ticket."""
    notice: str = ""


@dataclass(frozen=True)
class ActionForm:
    id: str
    label: str
    fields: Markup
    error_summary: list[tuple[str, str, str]]
    multipart: bool


@page_context("track.html")
@dataclass(frozen=True)
class TrackPage:
    view: TrackView
    code: str
    new: bool
    version: int
    actions: list[ActionForm] = field(default_factory=list)
    notice: str = ""


@page_context("track_lookup.html")
@dataclass(frozen=True)
class TrackLookupPage:
    number: str
    error: str


# --- helpers -------------------------------------------------------------------------------------


def _jinja(request: AnyRequest) -> jinja2.Environment:
    engine = request.app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    return engine.engine


def _user(request: AnyRequest) -> Any:
    return request.scope.get("khidma_user")


def _actor(request: AnyRequest) -> Actor:
    user = _user(request)
    if user is None:
        return Actor(id=None, name="", roles=frozenset({"requester"}))
    return Actor(id=user.id, name=user.name, roles=frozenset(user.roles), department=user.department)


def _staff_channels(compiled: CompiledService, actor: Actor) -> list[str]:
    """Channels a staff member may record this service under (those not opened by requesters)."""
    org = compiled.organisation
    if not (set(compiled.service.eligible_roles) & (actor.roles - {"requester"})):
        return []
    return [c for c in compiled.service.channels if org.channels[c].intake != "requester"] or list(
        compiled.service.channels
    )


def _requester_channel(compiled: CompiledService) -> str | None:
    org = compiled.organisation
    for channel in compiled.service.channels:
        if org.channels[channel].intake == "requester":
            return channel
    return None


async def _published(request: AnyRequest, service_id: str) -> CompiledService:
    found = await runtime_of(request).published_service(service_id)
    if found is None or not found[1].service.published:
        raise NotFoundException()
    return found[1]


def _tz(compiled: CompiledService) -> ZoneInfo:
    return ZoneInfo(compiled.organisation.calendar.timezone)


def _hours(hours: Text | None, runtime: Any, lang: str) -> str:
    return hours.get(lang) if hours is not None else str(runtime.tickets.calendar.describe(lang))


def _department(compiled: CompiledService, lang: str) -> str:
    dept = compiled.organisation.departments.get(compiled.service.department)
    return dept.name.get(lang) if dept else compiled.service.department


def _texts(items: tuple[Text, ...], lang: str) -> list[str]:
    return [item.get(lang) for item in items]


def _login_redirect(request: AnyRequest) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target)}", status_code=303)


async def _post_items(request: AnyRequest) -> tuple[dict[str, list[str]], dict[str, list[UploadFile]]]:
    """The form post as lists of strings per name, and the uploaded files per field name."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    files: dict[str, list[UploadFile]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                files.setdefault(key, []).append(value)
        else:
            values.setdefault(key, []).append(str(value))
    return values, files


# --- pages ---------------------------------------------------------------------------------------


class RequesterPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def catalogue(self, request: AnyRequest) -> Template:
        lang = language(request)
        cards = []
        for _version, compiled in await runtime_of(request).published():
            service = compiled.service
            if not service.published:
                continue
            cards.append(
                ServiceCard(
                    id=service.id,
                    name=service.name.get(lang),
                    department=_department(compiled, lang),
                    summary=(service.summary or service.description[0]).get(lang),
                    login_required=service.login_required,
                    staff_only="requester" not in service.eligible_roles,
                )
            )
        return render(request, "catalogue.html", CataloguePage(services=cards), lang=lang)

    @get("/services/{service_id:str}")
    async def service(self, request: AnyRequest, service_id: FromPath[str]) -> Template:
        lang = language(request)
        compiled = await _published(request, service_id)
        service, org = compiled.service, compiled.organisation
        contact = service.contact or org.contact
        phones = [p.display(t("extension", lang)) for p in (contact.phones or org.contact.phones)]
        actor = _actor(request)
        staff_only = "requester" not in service.eligible_roles
        page = ServicePage(
            id=service.id,
            name=service.name.get(lang),
            department=_department(compiled, lang),
            description=_texts(service.description, lang),
            requirements=_texts(service.requirements, lang),
            steps=_texts(service.steps, lang),
            audience=service.audience.get(lang),
            channels=[org.channels[c].name.get(lang) for c in service.channels],
            phones=phones,
            email=contact.email or org.contact.email or "",
            hours=_hours(contact.hours or org.contact.hours, runtime_of(request), lang),
            login_required=service.login_required,
            can_apply=not staff_only or bool(_staff_channels(compiled, actor)),
            staff_only=staff_only,
        )
        return render(request, "service.html", page, lang=lang)

    def _apply_page(
        self,
        request: AnyRequest,
        compiled: CompiledService,
        *,
        data: dict[str, Any] | None,
        errors: list[FieldError],
        lang: str,
        channel: str,
        files: dict[str, str] | None = None,
        notice: str = "",
        key: str | None = None,
    ) -> ApplyPage:
        view = build_form(
            compiled.form,
            data=data,
            errors=errors,
            lang=lang,
            files=files or {},
            hx_url=f"/services/{compiled.service.id}/apply/fields",
            timezone=_tz(compiled),
        )
        env = _jinja(request)
        actor = _actor(request)
        org = compiled.organisation
        return ApplyPage(
            service_id=compiled.service.id,
            service_name=compiled.service.name.get(lang),
            title=view.title,
            fields=render_form_fields(view, env),
            error_summary=view.error_summary,
            multipart=view.multipart,
            channels=[(c, org.channels[c].name.get(lang)) for c in _staff_channels(compiled, actor)],
            channel=channel,
            idempotency_key=key or secrets.token_urlsafe(16),
            notice=notice,
        )

    @get("/services/{service_id:str}/apply")
    async def apply_form(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        lang = language(request)
        compiled = await _published(request, service_id)
        actor = _actor(request)
        staff = _staff_channels(compiled, actor)
        if compiled.service.login_required and _user(request) is None:
            return _login_redirect(request)
        channel = staff[0] if staff else _requester_channel(compiled)
        if channel is None:
            raise NotFoundException()
        page = self._apply_page(request, compiled, data=None, errors=[], lang=lang, channel=channel)
        return render(request, "apply.html", page, lang=lang)

    @post("/services/{service_id:str}/apply", status_code=200)
    async def apply_submit(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        lang = language(request)
        runtime = runtime_of(request)
        compiled = await _published(request, service_id)
        actor = _actor(request)
        user = _user(request)
        if compiled.service.login_required and user is None:
            return _login_redirect(request)
        values, uploads = await _post_items(request)
        staff = _staff_channels(compiled, actor)
        requested = (values.get("_channel") or [""])[0]
        channel = requested if requested in staff else (staff[0] if staff else _requester_channel(compiled))
        if channel is None:
            raise NotFoundException()
        data = coerce(compiled.form, values, timezone=_tz(compiled))
        upload_errors, filenames = await _store_uploads(runtime, compiled.form, uploads, data)
        key = (values.get("_idempotency_key") or [""])[0] or None
        if group_action(values) is not None or upload_errors:
            page = self._apply_page(
                request,
                compiled,
                data=data,
                errors=upload_errors,
                lang=lang,
                channel=channel,
                files=filenames,
                key=key,
            )
            return render(request, "apply.html", page, lang=lang)
        result = await runtime.tickets.submit(
            compiled.service.id,
            data,
            channel=channel,
            actor=actor,
            requester_id=user.id if user is not None and "requester" in user.roles else None,
            idempotency_key=f"web:{key}" if key else None,
            lang="en" if lang == "en" else "ar",
        )
        if isinstance(result, Refusal):
            page = self._apply_page(
                request,
                compiled,
                data=data,
                errors=list(result.field_errors) or [FieldError(path="", message=result.message)],
                lang=lang,
                channel=channel,
                files=filenames,
                key=key,
            )
            return render(request, "apply.html", page, lang=lang)
        assert isinstance(result, Created)
        await _link_uploads(runtime, result.ticket, result.ticket.data, compiled.form)
        ticket = result.ticket
        return Redirect(f"/track/{ticket.number}?code={ticket.tracking_code}&new=1", status_code=303)

    @post("/services/{service_id:str}/apply/fields", status_code=200)
    async def apply_fields(self, request: AnyRequest, service_id: FromPath[str]) -> Response[str]:
        """HTMX: the form's fields re-rendered for the current data (conditional fields, groups)."""
        lang = language(request)
        compiled = await _published(request, service_id)
        values, _uploads = await _post_items(request)
        data = coerce(compiled.form, values, timezone=_tz(compiled))
        view = build_form(
            compiled.form,
            data=data,
            errors=[],
            lang=lang,
            hx_url=f"/services/{compiled.service.id}/apply/fields",
            timezone=_tz(compiled),
        )
        env = _jinja(request)
        return Response(str(render_form_fields(view, env)), media_type="text/html")

    @post("/services/{service_id:str}/apply/validate", status_code=200)
    async def apply_validate(self, request: AnyRequest, service_id: FromPath[str]) -> Response[str]:
        """HTMX: one field re-rendered with its error (or none) as it is left."""
        from server.validation import apply_defaults, validate

        lang = language(request)
        compiled = await _published(request, service_id)
        values, _uploads = await _post_items(request)
        data = coerce(compiled.form, values, timezone=_tz(compiled))
        trigger = request.headers.get("hx-trigger-name") or ""
        errors = validate(compiled.form, apply_defaults(compiled.form, data))
        view = build_form(compiled.form, data=data, errors=errors, lang=lang, timezone=_tz(compiled))
        env = _jinja(request)
        for fv in view.walk():
            if fv.name == trigger:
                return Response(str(render_field(fv, env)), media_type="text/html")
        return Response("", status_code=204)


async def _store_uploads(
    runtime: Any,
    form: Form,
    uploads: dict[str, list[UploadFile]],
    data: dict[str, Any],
    ticket_id: int | None = None,
) -> tuple[list[FieldError], dict[str, str]]:
    """Check each uploaded file against its field's limits and store the good ones as attachments
    (not yet tied to a ticket); their ids go into ``data``. Returns errors and id → file name."""
    errors: list[FieldError] = []
    names: dict[str, str] = {}
    props = form.schema.get("properties") or {}
    for name, files in uploads.items():
        node = props.get(name)
        if not isinstance(node, dict) or node.get("x-widget") != "file":
            continue
        upload = files[0]
        content = await upload.read()
        limit = int(node.get("x-max-bytes") or runtime.settings.max_upload_bytes)
        accept = node.get("x-accept") or []
        media = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
        path = f"/{name}"
        if len(content) > limit:
            size = f"{limit / 1024 / 1024:.1f} MB"
            errors.append(
                FieldError(
                    path=path,
                    message=Text(
                        ar=t("upload_too_large", "ar").format(limit=size),
                        en=t("upload_too_large", "en").format(limit=size),
                    ),
                )
            )
            continue
        if accept and not any(media == a or (a.endswith("/*") and media.startswith(a[:-1])) for a in accept):
            errors.append(
                FieldError(
                    path=path, message=Text(ar=t("upload_wrong_type", "ar"), en=t("upload_wrong_type", "en"))
                )
            )
            continue
        attachment = await runtime.store.add_attachment(
            ticket_id=ticket_id,
            field=name,
            filename=upload.filename or name,
            media_type=media,
            content=content,
            now=dt.datetime.now(dt.UTC),
        )
        data[name] = attachment.id
        names[attachment.id] = attachment.filename
    return errors, names


async def _link_uploads(runtime: Any, ticket: Ticket, data: dict[str, Any], form: Form) -> None:
    """Tie the attachments a submission uploaded to the ticket it created."""
    props = form.schema.get("properties") or {}
    ids = [
        str(data[name])
        for name, node in props.items()
        if isinstance(node, dict) and node.get("x-widget") == "file" and data.get(name)
    ]
    if ids:
        await runtime.store.link_attachments(ticket.id, ids)


class TrackingPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/track")
    async def lookup(
        self, request: AnyRequest, number: FromQuery[str | None] = None, code: FromQuery[str | None] = None
    ) -> Template | Redirect:
        lang = language(request)
        if number and code:
            return Redirect(f"/track/{quote(number.strip())}?code={quote(code.strip())}", status_code=303)
        return render(request, "track_lookup.html", TrackLookupPage(number=number or "", error=""), lang=lang)

    async def _ticket(self, request: AnyRequest, number: str, code: str | None) -> Ticket | None:
        ticket = await runtime_of(request).store.get_ticket_by_number(number)
        if ticket is None or not code_matches(ticket, code):
            return None
        return ticket

    async def _page(
        self,
        request: AnyRequest,
        ticket: Ticket,
        *,
        code: str,
        new: bool,
        lang: str,
        notice: str = "",
        failed: tuple[str, dict[str, Any], list[FieldError]] | None = None,
    ) -> TrackPage:
        runtime = runtime_of(request)
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        events = await runtime.store.list_events(ticket.id, public_only=True)
        view = track_view(
            {ticket.definition_version_id: compiled},
            ticket,
            events,
            lang=lang,
            base_url="",
            tz=runtime.tickets.calendar.tz,
        )
        holder = Actor(id=None, roles=frozenset({"requester"}), holds_tracking_code=True)
        from server.tickets.service import view as ticket_view

        env = _jinja(request)
        forms = []
        for action_id in available_actions(compiled, ticket_view(ticket), holder):
            action = compiled.workflow.actions[action_id]
            form = compiled.action_forms.get(action_id)
            data, errors = (failed[1], failed[2]) if failed and failed[0] == action_id else (None, [])
            if form is not None:
                fv = build_form(form, data=data, errors=errors, lang=lang, name_prefix="")
                forms.append(
                    ActionForm(
                        id=action_id,
                        label=action.label.get(lang),
                        fields=render_form_fields(fv, env),
                        error_summary=fv.error_summary,
                        multipart=fv.multipart,
                    )
                )
            else:
                forms.append(
                    ActionForm(
                        id=action_id,
                        label=action.label.get(lang),
                        fields=Markup(""),
                        error_summary=[],
                        multipart=False,
                    )
                )
        return TrackPage(view=view, code=code, new=new, version=ticket.version, actions=forms, notice=notice)

    @get("/track/{number:str}")
    async def track(
        self,
        request: AnyRequest,
        number: FromPath[str],
        code: FromQuery[str | None] = None,
        new: FromQuery[str | None] = None,
    ) -> Template:
        lang = language(request)
        ticket = await self._ticket(request, number, code)
        if ticket is None:
            page = TrackLookupPage(number=number, error=t("not_found_ticket", lang))
            return render(request, "track_lookup.html", page, lang=lang, status_code=404)
        assert code is not None
        return render(
            request,
            "track.html",
            await self._page(request, ticket, code=code, new=bool(new), lang=lang),
            lang=lang,
        )

    @post("/track/{number:str}/actions/{action_id:str}", status_code=200)
    async def act(
        self, request: AnyRequest, number: FromPath[str], action_id: FromPath[str]
    ) -> Template | Redirect:
        lang = language(request)
        runtime = runtime_of(request)
        values, uploads = await _post_items(request)
        code = (values.get("_code") or [""])[0] or None
        ticket = await self._ticket(request, number, code)
        if ticket is None or code is None:
            raise NotFoundException()
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        form = compiled.action_forms.get(action_id)
        data = coerce(form, values) if form is not None else {}
        if form is not None and uploads:
            upload_errors, _names = await _store_uploads(runtime, form, uploads, data, ticket_id=ticket.id)
            if upload_errors:
                page = await self._page(
                    request, ticket, code=code, new=False, lang=lang, failed=(action_id, data, upload_errors)
                )
                return render(request, "track.html", page, lang=lang, status_code=422)
        expected = int((values.get("_version") or ["0"])[0] or 0)
        holder = Actor(id=None, name="", roles=frozenset({"requester"}), holds_tracking_code=True)
        result = await runtime.tickets.act(
            ticket.id,
            action_id,
            data,
            actor=holder,
            expected_version=expected,
            lang="en" if lang == "en" else "ar",
        )
        if isinstance(result, Ticket):
            return Redirect(f"/track/{ticket.number}?code={code}", status_code=303)
        if isinstance(result, Conflict):
            page = await self._page(
                request, result.ticket, code=code, new=False, lang=lang, notice=t("stale_action", lang)
            )
            return render(request, "track.html", page, lang=lang, status_code=409)
        errors = list(result.field_errors) or [FieldError(path="", message=result.message)]
        page = await self._page(
            request, ticket, code=code, new=False, lang=lang, failed=(action_id, data, errors)
        )
        return render(request, "track.html", page, lang=lang, status_code=422 if result.field_errors else 403)


@dataclass(frozen=True)
class SurveyQuestionView:
    id: str
    label: str
    scale: int
    error: str


@page_context("survey.html")
@dataclass(frozen=True)
class SurveyPage:
    number: str
    code: str
    title: str
    service: str
    questions: list[SurveyQuestionView]
    comment: bool
    state: str
    """``open`` (the form), ``not_yet`` (ticket not closed), ``done`` (already rated), ``thanks``."""


class SurveyPages(Controller):
    path = "/survey"
    include_in_schema = False

    async def _load(
        self, request: AnyRequest, number: str, code: str | None
    ) -> tuple[Ticket, CompiledService]:
        runtime = runtime_of(request)
        ticket = await runtime.store.get_ticket_by_number(number)
        if ticket is None or not code_matches(ticket, code):
            raise NotFoundException()
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        if compiled.service.survey is None:
            raise NotFoundException()
        return ticket, compiled

    def _page(
        self,
        ticket: Ticket,
        compiled: CompiledService,
        code: str,
        lang: str,
        state: str,
        errors: dict[str, str] | None = None,
    ) -> SurveyPage:
        survey = compiled.organisation.surveys[compiled.service.survey or ""]
        return SurveyPage(
            number=ticket.number,
            code=code,
            title=survey.title.get(lang),
            service=compiled.service.name.get(lang),
            questions=[
                SurveyQuestionView(
                    id=q.id, label=q.label.get(lang), scale=q.scale, error=(errors or {}).get(q.id, "")
                )
                for q in survey.questions
            ],
            comment=survey.comment,
            state=state,
        )

    @get("/{number:str}")
    async def show(
        self, request: AnyRequest, number: FromPath[str], code: FromQuery[str | None] = None
    ) -> Template:
        lang = language(request)
        ticket, compiled = await self._load(request, number, code)
        done = await runtime_of(request).store.get_survey_response(ticket.id)
        state = "done" if done else ("open" if ticket.category == "closed" else "not_yet")
        return render(
            request, "survey.html", self._page(ticket, compiled, code or "", lang, state), lang=lang
        )

    @post("/{number:str}", status_code=200)
    async def answer(self, request: AnyRequest, number: FromPath[str]) -> Template:
        lang = language(request)
        values, _ = await _post_items(request)
        code = (values.get("_code") or [""])[0]
        ticket, compiled = await self._load(request, number, code)
        store = runtime_of(request).store
        if ticket.category != "closed":
            return render(
                request, "survey.html", self._page(ticket, compiled, code, lang, "not_yet"), lang=lang
            )
        survey = compiled.organisation.surveys[compiled.service.survey or ""]
        answers: dict[str, int] = {}
        errors: dict[str, str] = {}
        for question in survey.questions:
            raw = (values.get(question.id) or [""])[0]
            if raw.isdigit() and 1 <= int(raw) <= question.scale:
                answers[question.id] = int(raw)
            else:
                errors[question.id] = t("choose_a_rating", lang)
        if errors:
            page = self._page(ticket, compiled, code, lang, "open", errors)
            return render(request, "survey.html", page, lang=lang, status_code=422)
        comment = (values.get("comment") or [""])[0].strip()[:2000] if survey.comment else ""
        try:
            await store.add_survey_response(
                ticket_id=ticket.id,
                survey_id=compiled.service.survey or "",
                answers=answers,
                comment=comment,
                now=dt.datetime.now(dt.UTC),
            )
        except AlreadyExists:
            return render(request, "survey.html", self._page(ticket, compiled, code, lang, "done"), lang=lang)
        return render(request, "survey.html", self._page(ticket, compiled, code, lang, "thanks"), lang=lang)


@get("/lang/{code:str}", include_in_schema=False)
async def set_language(code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
    """Switch the page language (remembered in a cookie) and go back where the user was."""
    target = next if next and next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = Redirect(target, status_code=303)
    if code in ("ar", "en"):
        response.set_cookie(LANG_COOKIE, code, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", httponly=True)
    return response
