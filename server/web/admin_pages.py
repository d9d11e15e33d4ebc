"""The service editor (issue 6): list, create, copy, disable services; edit a draft with validation as
you type and a live preview; publish; version history with diffs; move running tickets.

Administrators only: anyone else logged in gets 403, an anonymous visitor the log-in page. Edits go
to the service's draft (``server.admin.drafts``), stored as typed; publishing validates everything
and creates a new immutable version — tickets keep their version, new tickets take the latest.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from server.admin import compat, drafts, migrate, organisation
from server.admin.service_form import service_form
from server.definitions.crossref import ORGANISATION_FILE, service_file
from server.definitions.errors import DefinitionError
from server.definitions.model import Form, Text, Workflow
from server.exports.svg import workflow_svg
from server.forms.coerce import coerce, group_action
from server.forms.html import render_form_fields
from server.forms.view import build_form
from server.i18n import t
from server.runtime import Runtime
from server.store.records import DefinitionVersion, User
from server.validation import FieldError, validate
from server.web.auth import current_user, login_redirect
from server.web.deps import language, runtime_of
from server.web.pages import _jinja, _post_items
from server.web.rendering import page_context, render

AnyRequest = Request[Any, Any, State]
ADMIN_ROLE = "administrator"
FILE_FIELD = "file:"
MAX_NOTE = 500


def _admin(request: AnyRequest) -> User | Redirect:
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    if ADMIN_ROLE not in user.roles or not user.active:
        raise PermissionDeniedException()
    return user


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _org_text(runtime: Runtime) -> str:
    return runtime.organisation_text or runtime.catalogue.sources[ORGANISATION_FILE]


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def _valid_id(service_id: str) -> bool:
    return drafts.SERVICE_ID.match(service_id) is not None and service_id != "organisation"


async def _files(runtime: Runtime, service_id: str) -> dict[str, str]:
    """The draft's files, else the latest version's, else 404."""
    draft = await runtime.store.get_draft(service_id)
    if draft is not None:
        return dict(draft.files)
    latest = await runtime.store.latest_definition(service_id)
    if latest is None:
        raise NotFoundException()
    return drafts.draft_files(latest.bundle)


# --- page contexts -------------------------------------------------------------------------------


@page_context("admin/organisation.html")
@dataclass(frozen=True)
class OrganisationPage:
    text: str
    errors: list[DefinitionError]
    note: str = ""
    notice: str = ""


@page_context("admin/service_form.html")
@dataclass(frozen=True)
class ServiceFormPage:
    service_id: str
    fields: Markup
    error_summary: list[tuple[str, str, str]]


@dataclass(frozen=True)
class ServiceRow:
    id: str
    name: str
    version: int | None
    has_draft: bool
    published: bool


@page_context("admin/services.html")
@dataclass(frozen=True)
class ServicesPage:
    services: list[ServiceRow]
    new_id: str = ""
    new_error: str = ""
    notice: str = ""


@dataclass(frozen=True)
class FileBox:
    path: str
    slug: str
    label: str
    text: str
    errors: list[DefinitionError]


@dataclass(frozen=True)
class CheckResult:
    general: list[DefinitionError]
    by_file: dict[str, list[DefinitionError]]
    slugs: dict[str, str]
    previews: list[tuple[str, Markup]]
    """(language, rendered fields) when the form can be shown."""
    diagrams: list[tuple[str, Markup]] = field(default_factory=list)
    """(language, SVG) of the draft's workflow, when it decodes: the live diagram of states and actions."""

    @property
    def ok(self) -> bool:
        return not self.general and not any(self.by_file.values())


@page_context("admin/edit.html", "admin/_check.html")
@dataclass(frozen=True)
class EditPage:
    service_id: str
    files: list[FileBox]
    check: CheckResult
    note: str = ""
    notice: str = ""
    refused: bool = False


@dataclass(frozen=True)
class DiffFile:
    path: str
    lines: list[tuple[str, str]]
    """(kind: add / remove / context / hunk, text)."""


@page_context("admin/versions.html")
@dataclass(frozen=True)
class VersionsPage:
    service_id: str
    versions: list[DefinitionVersion]
    a: int
    b: int
    diff: list[DiffFile]


@page_context("admin/migrate.html")
@dataclass(frozen=True)
class MigratePage:
    service_id: str
    versions: list[int]
    from_version: int
    to_version: int
    report: compat.Report | None
    mapping: dict[str, str]
    drop: list[str]
    plans: list[migrate.TicketPlan] = field(default_factory=list)
    outcomes: list[tuple[migrate.TicketPlan, str]] = field(default_factory=list)
    dry_run: bool = False
    ran: bool = False


# --- checking a draft ----------------------------------------------------------------------------


def _label(path: str, service_id: str, main_form: str | None, workflow: str | None, lang: str) -> str:
    if path == service_file(service_id):
        return t("admin_file_service", lang) + f" — {path}"
    if main_form and path == f"form_schemas/{main_form}.json":
        return t("admin_file_form", lang) + f" — {path}"
    if workflow and path == f"workflows/{workflow}.json":
        return t("admin_file_workflow", lang) + f" — {path}"
    return t("admin_file_action_form", lang) + f" — {path}"


def _service_doc(service_id: str, files: dict[str, str]) -> dict[str, Any]:
    try:
        document = json.loads(files.get(service_file(service_id), "{}"))
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def _preview(request: AnyRequest, path: str, text: str) -> list[tuple[str, Markup]]:
    """The form rendered in both languages, when its file loads on its own."""
    try:
        document = json.loads(text)
        title = Text(**document["x-title"])
        form = Form(id=path.removeprefix("form_schemas/").removesuffix(".json"), title=title, schema=document)
        env = _jinja(request)
        return [
            (lang, render_form_fields(build_form(form, data=None, lang=lang, name_prefix="preview"), env))
            for lang in ("ar", "en")
        ]
    except Exception:  # a broken draft: no preview, its errors are shown
        return []


def _check(request: AnyRequest, service_id: str, files: dict[str, str]) -> CheckResult:
    runtime = runtime_of(request)
    errors = drafts.check(service_id, files, _org_text(runtime))
    by_file: dict[str, list[DefinitionError]] = {path: [] for path in files}
    general = []
    for error in errors:
        if error.file in by_file:
            by_file[error.file].append(error)
        else:
            general.append(error)
    form_id = _service_doc(service_id, files).get("form")
    form_path = f"form_schemas/{form_id}.json" if isinstance(form_id, str) else ""
    previews: list[tuple[str, Markup]] = []
    if form_path in files and not by_file.get(form_path):
        previews = _preview(request, form_path, files[form_path])
    workflow_id = _service_doc(service_id, files).get("workflow")
    workflow_path = f"workflows/{workflow_id}.json" if isinstance(workflow_id, str) else ""
    diagrams = (
        _diagrams(files[workflow_path]) if workflow_path in files and not by_file.get(workflow_path) else []
    )
    return CheckResult(
        general=general,
        by_file=by_file,
        slugs={p: _slug(p) for p in files},
        previews=previews,
        diagrams=diagrams,
    )


def _diagrams(text: str) -> list[tuple[str, Markup]]:
    """The workflow drawn in both languages (its SVG escapes every label), when the file decodes."""
    try:
        workflow = msgspec.convert(json.loads(text), Workflow)
    except (ValueError, msgspec.ValidationError):
        return []
    return [(lang, Markup(workflow_svg(workflow, lang))) for lang in ("ar", "en")]  # noqa: S704


def _edit_page(request: AnyRequest, service_id: str, files: dict[str, str], **extra: Any) -> EditPage:
    lang = language(request)
    check = _check(request, service_id, files)
    doc = _service_doc(service_id, files)
    form_id, workflow_id = doc.get("form"), doc.get("workflow")
    order = sorted(
        files,
        key=lambda p: (
            p != service_file(service_id),
            p != f"form_schemas/{form_id}.json",
            p != f"workflows/{workflow_id}.json",
            p,
        ),
    )
    boxes = [
        FileBox(
            path=path,
            slug=_slug(path),
            label=_label(
                path,
                service_id,
                form_id if isinstance(form_id, str) else None,
                workflow_id if isinstance(workflow_id, str) else None,
                lang,
            ),
            text=files[path],
            errors=check.by_file.get(path, []),
        )
        for path in order
    ]
    return EditPage(service_id=service_id, files=boxes, check=check, **extra)


async def _posted_files(request: AnyRequest, service_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """The files of the draft as posted (only paths the draft already has), and the other fields."""
    form = await request.form()
    runtime = runtime_of(request)
    known = await _files(runtime, service_id)
    files: dict[str, str] = {}
    other: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if key.startswith(FILE_FIELD):
            path = key.removeprefix(FILE_FIELD)
            if path in known:
                files[path] = value.replace("\r\n", "\n")
        else:
            other[key] = value
    return {**known, **files}, other


# --- diffs ---------------------------------------------------------------------------------------


def diff_files(old: dict[str, Any], new: dict[str, Any]) -> list[DiffFile]:
    out = []
    for path in sorted(set(old) | set(new)):
        a = str(old.get(path, "")).splitlines()
        b = str(new.get(path, "")).splitlines()
        if a == b:
            continue
        lines = []
        for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=2, lineterm=""):
            if line.startswith(("---", "+++")):
                continue
            kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "context")
            lines.append((kind, line))
        out.append(DiffFile(path=path, lines=lines))
    return out


# --- the pages -----------------------------------------------------------------------------------


class AdminServicePages(Controller):
    path = "/admin/services"
    include_in_schema = False

    async def _list(self, request: AnyRequest, **extra: Any) -> ServicesPage:
        runtime = runtime_of(request)
        lang = language(request)
        latest = {v.service_id: v for v in await runtime.store.latest_definitions()}
        draft_ids = {d.service_id for d in await runtime.store.list_drafts()}
        rows = []
        for service_id in sorted(set(latest) | draft_ids):
            version = latest.get(service_id)
            name, published = service_id, False
            if version is not None:
                compiled = await runtime.tickets.compiled_version(version.id)
                name, published = compiled.service.name.get(lang), compiled.service.published
            rows.append(
                ServiceRow(
                    service_id, name, version.version if version else None, service_id in draft_ids, published
                )
            )
        return ServicesPage(services=rows, **extra)

    @get("/")
    async def services(self, request: AnyRequest, notice: FromQuery[str] = "") -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        return render(request, "admin/services.html", await self._list(request, notice=notice[:200]))

    async def _new_id_problem(self, request: AnyRequest, new_id: str) -> str:
        runtime = runtime_of(request)
        lang = language(request)
        if not _valid_id(new_id):
            return t("admin_bad_id", lang)
        if await runtime.store.latest_definition(new_id) or await runtime.store.get_draft(new_id):
            return t("admin_id_taken", lang)
        return ""

    @post("/new", status_code=200)
    async def create(self, request: AnyRequest) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        form = await request.form()
        new_id = str(form.get("service_id") or "").strip()
        problem = await self._new_id_problem(request, new_id)
        if problem:
            page = await self._list(request, new_id=new_id[:63], new_error=problem)
            return render(request, "admin/services.html", page, status_code=422)
        runtime = runtime_of(request)
        org = runtime.org
        department = (
            "customer_service" if "customer_service" in org.departments else next(iter(org.departments))
        )
        handler = (
            "customer_service"
            if "customer_service" in org.roles
            else next(r for r, role in org.roles.items() if role.scope != "requester")
        )
        files = drafts.new_service_files(new_id, department, (handler, "requester"))
        await runtime.store.save_draft(new_id, files, by=user.id, now=_now())
        return Redirect(f"/admin/services/{new_id}/edit", status_code=303)

    @post("/{service_id:str}/copy", status_code=200)
    async def copy(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        runtime = runtime_of(request)
        files = await _files(runtime, service_id)
        form = await request.form()
        new_id = str(form.get("new_id") or "").strip()
        problem = await self._new_id_problem(request, new_id)
        if problem:
            page = await self._list(request, new_id=new_id[:63], new_error=problem)
            return render(request, "admin/services.html", page, status_code=422)
        try:
            copied = drafts.copied_files(files, service_id, new_id)
        except (KeyError, ValueError, RecursionError):
            raise NotFoundException() from None
        await runtime.store.save_draft(new_id, copied, by=user.id, now=_now())
        return Redirect(f"/admin/services/{new_id}/edit", status_code=303)

    @post("/{service_id:str}/{switch:str}", status_code=200)
    async def switch(
        self, request: AnyRequest, service_id: FromPath[str], switch: FromPath[str]
    ) -> Template | Redirect:
        """``/disable`` or ``/enable``: a new version with ``published`` false or true."""
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        if switch not in ("disable", "enable"):
            raise NotFoundException()
        runtime = runtime_of(request)
        latest = await runtime.store.latest_definition(service_id)
        if latest is None:
            raise NotFoundException()
        files = drafts.with_published(drafts.draft_files(latest.bundle), service_id, switch == "enable")
        try:
            done = await drafts.publish(
                runtime.store, service_id, files, _org_text(runtime), by=user.id, note=switch, now=_now()
            )
        except drafts.PublishRefused as exc:
            page = _edit_page(request, service_id, files, refused=True, notice=str(exc)[:500])
            return render(request, "admin/edit.html", page, status_code=422)
        return Redirect(f"/admin/services?notice={switch}d+v{done.version.version}", status_code=303)

    @get("/{service_id:str}/edit")
    async def edit(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        files = await _files(runtime_of(request), service_id)
        return render(request, "admin/edit.html", _edit_page(request, service_id, files))

    def _service_form_page(
        self, request: AnyRequest, service_id: str, files: dict[str, str], data: Any, errors: list[FieldError]
    ) -> ServiceFormPage:
        runtime = runtime_of(request)
        lang = language(request)
        form = service_form(
            runtime.org,
            [
                p.removeprefix("form_schemas/").removesuffix(".json")
                for p in files
                if p.startswith("form_schemas/")
            ],
            [p.removeprefix("workflows/").removesuffix(".json") for p in files if p.startswith("workflows/")],
        )
        view = build_form(form, data=data, errors=errors, lang=lang)
        return ServiceFormPage(
            service_id=service_id,
            fields=render_form_fields(view, _jinja(request)),
            error_summary=view.error_summary,
        )

    @get("/{service_id:str}/service")
    async def service_definition(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        """The service definition as a form drawn by our renderer from the service meta-schema."""
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        files = await _files(runtime_of(request), service_id)
        try:
            data = json.loads(files[service_file(service_id)])
        except (KeyError, ValueError):
            data = None  # a draft whose service file does not parse: edit it as JSON first
        page = self._service_form_page(request, service_id, files, data, [])
        return render(request, "admin/service_form.html", page)

    @post("/{service_id:str}/service", status_code=200)
    async def save_service_definition(
        self, request: AnyRequest, service_id: FromPath[str]
    ) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        runtime = runtime_of(request)
        files = await _files(runtime, service_id)
        form = service_form(runtime.org, [], [])
        values, _uploads = await _post_items(request)
        data = coerce(form, values)
        data["id"] = service_id  # the id is the file's name: never changed here
        if group_action(values) is not None:
            return render(
                request,
                "admin/service_form.html",
                self._service_form_page(request, service_id, files, data, []),
            )
        errors = [e for e in validate(form, data) if not e.path.startswith(("/form", "/workflow"))]
        if errors:
            page = self._service_form_page(request, service_id, files, data, errors)
            return render(request, "admin/service_form.html", page, status_code=422)
        files[service_file(service_id)] = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        await runtime.store.save_draft(service_id, files, by=user.id, now=_now())
        return Redirect(f"/admin/services/{service_id}/edit", status_code=303)

    @post("/{service_id:str}/check", status_code=200)
    async def check(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        """HTMX: the errors of the draft as typed (beside each file, out of band) and the preview."""
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        files, _ = await _posted_files(request, service_id)
        return render(request, "admin/_check.html", _edit_page(request, service_id, files))

    @post("/{service_id:str}/draft", status_code=200)
    async def save(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        files, other = await _posted_files(request, service_id)
        await runtime_of(request).store.save_draft(service_id, files, by=user.id, now=_now())
        page = _edit_page(
            request,
            service_id,
            files,
            notice=t("admin_draft_saved", language(request)),
            note=other.get("note", ""),
        )
        return render(request, "admin/edit.html", page)

    @post("/{service_id:str}/publish", status_code=200)
    async def publish(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        runtime = runtime_of(request)
        files, other = await _posted_files(request, service_id)
        note = other.get("note", "").strip()[:MAX_NOTE]
        await runtime.store.save_draft(service_id, files, by=user.id, now=_now())  # nothing typed is lost
        try:
            done = await drafts.publish(
                runtime.store, service_id, files, _org_text(runtime), by=user.id, note=note, now=_now()
            )
        except drafts.PublishRefused:
            page = _edit_page(request, service_id, files, note=note, refused=True)
            return render(request, "admin/edit.html", page, status_code=422)
        return Redirect(f"/admin/services?notice=v{done.version.version}", status_code=303)

    @get("/{service_id:str}/versions")
    async def versions(
        self, request: AnyRequest, service_id: FromPath[str], a: FromQuery[int] = 0, b: FromQuery[int] = 0
    ) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        versions = await runtime_of(request).store.list_definitions(service_id)
        if not versions:
            raise NotFoundException()
        by_number = {v.version: v for v in versions}
        b = b if b in by_number else versions[-1].version
        a = a if a in by_number else max(1, b - 1)
        diff = diff_files(by_number[a].bundle, by_number[b].bundle) if a in by_number else []
        return render(request, "admin/versions.html", VersionsPage(service_id, versions, a, b, diff))

    async def _migration(
        self, request: AnyRequest, service_id: str, from_v: int, to_v: int
    ) -> tuple[list[DefinitionVersion], DefinitionVersion | None, DefinitionVersion | None]:
        versions = await runtime_of(request).store.list_definitions(service_id)
        if not versions:
            raise NotFoundException()
        by_number = {v.version: v for v in versions}
        return versions, by_number.get(from_v), by_number.get(to_v)

    @get("/{service_id:str}/migrate")
    async def migration_report(
        self,
        request: AnyRequest,
        service_id: FromPath[str],
        from_version: FromQuery[int] = 0,
        to_version: FromQuery[int] = 0,
    ) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        frm = int(request.query_params.get("from", from_version) or 0)
        to = int(request.query_params.get("to", to_version) or 0)
        page = await self._migrate_page(request, service_id, frm, to, {}, frozenset())
        return render(request, "admin/migrate.html", page)

    async def _migrate_page(
        self,
        request: AnyRequest,
        service_id: str,
        frm: int,
        to: int,
        mapping: dict[str, str],
        drop: frozenset[str],
        *,
        dry_run: bool = False,
        execute: bool = False,
        user: User | None = None,
    ) -> MigratePage:
        runtime = runtime_of(request)
        versions, old_v, new_v = await self._migration(request, service_id, frm, to)
        numbers = [v.version for v in versions]
        if old_v is None or new_v is None or old_v.version >= new_v.version:
            return MigratePage(service_id, numbers, frm, to, None, mapping, sorted(drop))
        old = await runtime.tickets.compiled_version(old_v.id)
        new = await runtime.tickets.compiled_version(new_v.id)
        tickets = await runtime.store.open_tickets_on(old_v.id)
        report = compat.report(old, new, tickets)
        plans = migrate.plan(tickets, old, new, mapping, drop) if (dry_run or execute) else []
        outcomes: list[tuple[migrate.TicketPlan, str]] = []
        if execute and user is not None:
            outcomes = await migrate.run(
                runtime.store, tickets, plans, new_v, new, actor_id=user.id, actor_name=user.name, now=_now()
            )
        return MigratePage(
            service_id, numbers, frm, to, report, mapping, sorted(drop), plans, outcomes, dry_run, execute
        )

    @post("/{service_id:str}/migrate", status_code=200)
    async def migration_run(self, request: AnyRequest, service_id: FromPath[str]) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        form = await request.form()
        values = {k: str(v) for k, v in form.multi_items() if isinstance(v, str)}
        mapping = {k.removeprefix("map:"): v for k, v in values.items() if k.startswith("map:") and v}
        drop = frozenset(str(v) for k, v in form.multi_items() if k == "drop" and isinstance(v, str))
        try:
            frm, to = int(values.get("from", "0")), int(values.get("to", "0"))
        except ValueError:
            frm = to = 0
        dry = values.get("dry_run") == "1"
        page = await self._migrate_page(
            request, service_id, frm, to, mapping, drop, dry_run=dry, execute=not dry, user=user
        )
        return render(request, "admin/migrate.html", page)


class AdminOrganisationPage(Controller):
    """The organisation file (roles, departments, channels, calendar…), checked against every service and
    published as a new version of every service."""

    path = "/admin/organisation"
    include_in_schema = False

    @get("/")
    async def show(self, request: AnyRequest, notice: FromQuery[str] = "") -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        runtime = runtime_of(request)
        text = runtime.organisation_text or runtime.catalogue.sources[ORGANISATION_FILE]
        done = t("admin_organisation_published", language(request)) if notice else ""
        return render(request, "admin/organisation.html", OrganisationPage(text=text, errors=[], notice=done))

    @post("/", status_code=200)
    async def submit(self, request: AnyRequest) -> Template | Redirect:
        user = _admin(request)
        if isinstance(user, Redirect):
            return user
        runtime = runtime_of(request)
        form = await request.form()
        text = str(form.get("text") or "").replace("\r\n", "\n")
        note = str(form.get("note") or "")[:MAX_NOTE]
        errors = await organisation.check(runtime.store, text)
        if errors or form.get("action") != "publish":
            page = OrganisationPage(text=text, errors=errors, note=note)
            return render(request, "admin/organisation.html", page, status_code=422 if errors else 200)
        await organisation.publish(runtime.store, text, by=user.id, note=note or "organisation", now=_now())
        await runtime.refresh()
        return Redirect("/admin/organisation?notice=published", status_code=303)
