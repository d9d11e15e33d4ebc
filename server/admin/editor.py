"""The service editor's actions (issue 6): the list of services; creating, copying, disabling and
enabling a service; saving and publishing a draft; editing the service definition as a form.

Each action answers an :class:`~server.directory.outcome.Outcome`: done (``done`` names what the next
page needs: the service id or the notice), the page again with its problems, or not found. Edits go
to the service's draft, stored as typed; publishing validates everything and creates a new immutable
version — tickets keep their version, new tickets take the latest.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

import jinja2
import msgspec
from markupsafe import Markup

from server.access import intake_departments, roles_with
from server.admin import drafts
from server.admin.draft_page import EditPage, current_files, edit_page, organisation_text, posted_files
from server.admin.service_form import service_form
from server.definitions.crossref import service_file
from server.definitions.model import Organisation
from server.directory.outcome import Outcome, again, not_found, refused
from server.forms.coerce import coerce, group_action
from server.forms.html import render_form_fields
from server.forms.view import build_form
from server.i18n import t
from server.runtime import Runtime
from server.store.records import User
from server.validation import FieldError, validate

MAX_NOTE = 500


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the list of services ---------------------------------------------------------------------------


class ServiceRow(msgspec.Struct, frozen=True):
    id: str
    name: str
    version: int | None
    has_draft: bool
    published: bool


class ServicesPage(msgspec.Struct, frozen=True):
    services: list[ServiceRow]
    new_id: str = ""
    new_error: str = ""
    notice: str = ""
    departments: list[tuple[str, str]] = msgspec.field(default_factory=list)
    """The departments a new service may belong to (id, name in the page's language)."""
    new_values: dict[str, str] = msgspec.field(default_factory=dict)
    """The new service's name and department as typed (``name_ar``, ``name_en``, ``department``)."""
    new_errors: dict[str, str] = msgspec.field(default_factory=dict)


async def services_page(
    runtime: Runtime,
    lang: str,
    *,
    new_id: str = "",
    new_error: str = "",
    notice: str = "",
    new_values: Mapping[str, str] | None = None,
    new_errors: Mapping[str, str] | None = None,
) -> ServicesPage:
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
    return ServicesPage(
        services=rows,
        new_id=new_id[:63],
        new_error=new_error,
        notice=_notice(notice, lang),
        departments=[(d, dept.name.get(lang)) for d, dept in runtime.org.departments.items()],
        new_values=dict(new_values or {}),
        new_errors=dict(new_errors or {}),
    )


_NOTICE = re.compile(r"^(?:(disabled|enabled) )?v(\d{1,9})$")


def _notice(word: str, lang: str) -> str:
    """The notice after publishing (``v3``), disabling (``disabled v3``) or enabling, in ``lang``;
    nothing for anything else (no text from the address is shown as is)."""
    found = _NOTICE.match(word.strip())
    if found is None:
        return ""
    key = f"admin_notice_{found.group(1) or 'published'}"
    return t(key, lang).format(version=found.group(2))


async def _new_id_problem(runtime: Runtime, lang: str, new_id: str) -> str:
    if drafts.SERVICE_ID.match(new_id) is None or new_id == "organisation":
        return t("admin_bad_id", lang)
    if await runtime.store.latest_definition(new_id) or await runtime.store.get_draft(new_id):
        return t("admin_id_taken", lang)
    return ""


def new_service_roles(org: Organisation) -> tuple[str, str, str]:
    """The department and roles a new service starts with, from the organisation: the intake
    department (``intake: true``), a role with the ``intake`` capability as the handler (else any
    staff role) and the requester role."""
    department = next(
        (d for d in org.departments if d in intake_departments(org)), next(iter(org.departments))
    )
    intake = roles_with(org, "intake")
    staff = [r for r, role in org.roles.items() if role.scope != "requester"]
    handler = next((r for r in org.roles if r in intake), staff[0] if staff else next(iter(org.roles)))
    requester = next((r for r, role in org.roles.items() if role.scope == "requester"), handler)
    return department, handler, requester


async def create_service(
    runtime: Runtime, lang: str, values: Mapping[str, list[str]], by: User
) -> Outcome[ServicesPage]:
    """A new service's draft (``done``: its id), or the list with the problems of the id, the name
    (both languages, or neither for a placeholder) and the department (the intake one when none)."""
    new_id = (values.get("service_id") or [""])[0].strip()
    typed = {k: (values.get(k) or [""])[0].strip()[:200] for k in ("name_ar", "name_en", "department")}
    problem = await _new_id_problem(runtime, lang, new_id)
    errors = {}
    if bool(typed["name_ar"]) != bool(typed["name_en"]):
        errors["name_ar" if not typed["name_ar"] else "name_en"] = t("builder_err_translation_missing", lang)
    if typed["department"] and typed["department"] not in runtime.org.departments:
        errors["department"] = t("builder_err_unknown_department", lang)
    if problem or errors:
        page = await services_page(
            runtime, lang, new_id=new_id, new_error=problem, new_values=typed, new_errors=errors
        )
        return refused(page)
    department, handler, requester = new_service_roles(runtime.org)
    name = {"ar": typed["name_ar"], "en": typed["name_en"]} if typed["name_ar"] else None
    files = drafts.new_service_files(new_id, typed["department"] or department, (handler, requester), name)
    await runtime.store.save_draft(new_id, files, by=by.id, now=_now())
    return Outcome(done=new_id)


async def copy_service(
    runtime: Runtime, lang: str, service_id: str, values: Mapping[str, list[str]], by: User
) -> Outcome[ServicesPage]:
    """A copy of the service under a new id, as a draft (``done``: the new id)."""
    files = await current_files(runtime, service_id)
    if files is None:
        return not_found()
    new_id = (values.get("new_id") or [""])[0].strip()
    problem = await _new_id_problem(runtime, lang, new_id)
    if problem:
        return refused(await services_page(runtime, lang, new_id=new_id, new_error=problem))
    try:
        copied = drafts.copied_files(files, service_id, new_id)
    except (KeyError, ValueError, RecursionError):
        return not_found()
    await runtime.store.save_draft(new_id, copied, by=by.id, now=_now())
    return Outcome(done=new_id)


async def switch_service(
    runtime: Runtime, env: jinja2.Environment, lang: str, service_id: str, switch: str, by: User
) -> Outcome[EditPage]:
    """``disable`` or ``enable``: a new version with ``published`` false or true (``done``: the notice)."""
    latest = await runtime.store.latest_definition(service_id)
    if switch not in ("disable", "enable") or latest is None:
        return not_found()
    files = drafts.with_published(drafts.draft_files(latest.bundle), service_id, switch == "enable")
    try:
        done = await drafts.publish(
            runtime.store, service_id, files, organisation_text(runtime), by=by.id, note=switch, now=_now()
        )
    except drafts.PublishRefused:  # its errors are listed beside the files
        return refused(edit_page(runtime, env, lang, service_id, files, refused=True))
    return Outcome(done=f"{switch}d+v{done.version.version}")


# --- the draft ---------------------------------------------------------------------------------------


async def draft_page(
    runtime: Runtime, env: jinja2.Environment, lang: str, service_id: str
) -> EditPage | None:
    files = await current_files(runtime, service_id)
    return None if files is None else edit_page(runtime, env, lang, service_id, files)


async def check_draft(
    runtime: Runtime, env: jinja2.Environment, lang: str, service_id: str, values: Mapping[str, list[str]]
) -> EditPage | None:
    """The draft as typed (not saved), checked: for the live check."""
    files = await current_files(runtime, service_id)
    return None if files is None else edit_page(runtime, env, lang, service_id, posted_files(files, values))


async def save_draft(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    values: Mapping[str, list[str]],
    by: User,
) -> EditPage | None:
    """Saves the draft as typed, even with errors (the page says it was saved)."""
    known = await current_files(runtime, service_id)
    if known is None:
        return None
    files = posted_files(known, values)
    await runtime.store.save_draft(service_id, files, by=by.id, now=_now())
    note = (values.get("note") or [""])[0]
    return edit_page(runtime, env, lang, service_id, files, notice=t("admin_draft_saved", lang), note=note)


async def publish_draft(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    values: Mapping[str, list[str]],
    by: User,
) -> Outcome[EditPage]:
    """Saves the draft as typed (nothing typed is lost), then publishes it if everything checks
    (``done``: the notice ``v<number>``)."""
    known = await current_files(runtime, service_id)
    if known is None:
        return not_found()
    files = posted_files(known, values)
    note = (values.get("note") or [""])[0].strip()[:MAX_NOTE]
    await runtime.store.save_draft(service_id, files, by=by.id, now=_now())
    try:
        done = await drafts.publish(
            runtime.store, service_id, files, organisation_text(runtime), by=by.id, note=note, now=_now()
        )
    except drafts.PublishRefused:
        return refused(edit_page(runtime, env, lang, service_id, files, note=note, refused=True))
    return Outcome(done=f"v{done.version.version}")


# --- the service definition as a form ----------------------------------------------------------------


class ServiceFormPage(msgspec.Struct, frozen=True):
    service_id: str
    fields: Markup
    error_summary: list[tuple[str, str, str]]


def _service_form_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    files: Mapping[str, str],
    data: Any,
    errors: list[FieldError],
) -> ServiceFormPage:
    forms = [
        p.removeprefix("form_schemas/").removesuffix(".json") for p in files if p.startswith("form_schemas/")
    ]
    workflows = [
        p.removeprefix("workflows/").removesuffix(".json") for p in files if p.startswith("workflows/")
    ]
    view = build_form(service_form(runtime.org, forms, workflows), data=data, errors=errors, lang=lang)
    return ServiceFormPage(
        service_id=service_id, fields=render_form_fields(view, env), error_summary=view.error_summary
    )


async def service_form_page(
    runtime: Runtime, env: jinja2.Environment, lang: str, service_id: str
) -> ServiceFormPage | None:
    """The service definition as a form drawn by our renderer from the service meta-schema."""
    files = await current_files(runtime, service_id)
    if files is None:
        return None
    try:
        data = json.loads(files[service_file(service_id)])
    except (KeyError, ValueError):
        data = None  # a draft whose service file does not parse: edit it as JSON first
    return _service_form_page(runtime, env, lang, service_id, files, data, [])


async def save_service_form(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    values: Mapping[str, list[str]],
    by: User,
) -> Outcome[ServiceFormPage]:
    """The posted service definition into the draft (``done``: the service id); a group's add/remove
    button answers the form again."""
    files = await current_files(runtime, service_id)
    if files is None:
        return not_found()
    form = service_form(runtime.org, [], [])
    data = coerce(form, values)
    data["id"] = service_id  # the id is the file's name: never changed here
    if group_action(values) is not None:
        return again(_service_form_page(runtime, env, lang, service_id, files, data, []))
    errors = [e for e in validate(form, data) if not e.path.startswith(("/form", "/workflow"))]
    if errors:
        return refused(_service_form_page(runtime, env, lang, service_id, files, data, errors))
    files[service_file(service_id)] = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    await runtime.store.save_draft(service_id, files, by=by.id, now=_now())
    return Outcome(done=service_id)
