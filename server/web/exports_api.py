"""Auditor exports over HTTP: ``/api/export/…`` — read-only, for the auditor and the administrator.

Bearer token only: 401 without one, 403 for any other role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.exports import published as pub
from server.exports.audit import AuditFilter, audit_csv, audit_json, audit_rows, definition_changes
from server.exports.bpmn import workflow_bpmn
from server.exports.bundle import export_tree
from server.exports.guide import service_guide
from server.exports.svg import workflow_svg
from server.runtime import Runtime
from server.web.api import ApiError
from server.web.auth import api_user_or_401, current_user, login_redirect
from server.web.deps import language, runtime_of
from server.web.rendering import page_context, render

AnyRequest = Request[Any, Any, State]
EXPORT_ROLES = frozenset({"auditor", "administrator"})


def _auditor(request: AnyRequest) -> Runtime:
    user = api_user_or_401(request)
    if not EXPORT_ROLES & set(user.roles):
        raise PermissionDeniedException("auditors and administrators only / للمدققين والمشرفين فقط")
    return runtime_of(request)


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, f"{name}: a date YYYY-MM-DD is expected / تاريخ غير صالح", invalid=[name]
        ) from None


class ExportsAPI(Controller):
    path = "/api/export"

    def auditor_runtime(self, request: AnyRequest) -> Runtime:
        """The runtime, for an auditor or administrator identified by a bearer token."""
        return _auditor(request)

    @get("/definitions")
    async def definitions(self, request: AnyRequest) -> dict[str, Any]:
        """The latest published version of every service as a definitions tree: ``{files: {path: text}}``
        (the same files the repository ships; ``khidma import`` reads this document back)."""
        runtime = self.auditor_runtime(request)
        tree = await export_tree(runtime.store)
        return {"files": tree.files, "conflicts": tree.conflicts}

    @get("/workflows/{name:str}")
    async def workflow(self, request: AnyRequest, name: FromPath[str]) -> Response[str]:
        """``ID.bpmn``: the workflow as BPMN 2.0 XML; ``ID.svg``: its diagram (``?lang=ar|en``)."""
        runtime = self.auditor_runtime(request)
        stem, _, suffix = name.rpartition(".")
        found = pub.workflows(await runtime.published()).get(stem)
        if found is None or suffix not in ("bpmn", "svg"):
            raise NotFoundException("no such workflow export / لا يوجد مسار عمل بهذا المعرف")
        workflow, organisation = found
        if suffix == "bpmn":
            return Response(workflow_bpmn(workflow, organisation), media_type="application/xml")
        lang = "en" if request.query_params.get("lang") == "en" else "ar"
        return Response(workflow_svg(workflow, lang), media_type="image/svg+xml")

    @get("/guide")
    async def guide(self, request: AnyRequest) -> Response[str]:
        """The service guide regenerated from the published definitions, as an HTML page."""
        runtime = self.auditor_runtime(request)
        services = await runtime.published()
        organisation = pub.organisation(services, runtime.org)
        lang = "en" if request.query_params.get("lang") == "en" else "ar"
        html = service_guide([c for _v, c in services], organisation, lang)
        return Response(html, media_type="text/html; charset=utf-8")

    @get("/audit")
    async def audit(self, request: AnyRequest) -> Response[Any]:
        """The audit trail of tickets: one row per event (ticket number, service, version, at, actor,
        action, from, to, visibility), filtered by ``service`` and ``from``/``to`` (YYYY-MM-DD, inclusive,
        in the organisation's time zone); ``format=csv|json``."""
        runtime = self.auditor_runtime(request)
        query = request.query_params
        service, format = query.get("service"), query.get("format") or "json"
        date_from, date_to = query.get("from"), query.get("to")
        if format not in ("csv", "json"):
            raise ApiError(400, "format: csv or json / صيغة غير معروفة", invalid=["format"])
        audit_filter = AuditFilter(
            service=service or None,
            start=_date(date_from, "from"),
            end=_date(date_to, "to"),
            timezone=runtime.org.calendar.timezone,
        )
        rows = await audit_rows(runtime.store, audit_filter)
        if format == "csv":
            return Response(
                audit_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": 'attachment; filename="tickets.csv"'},
            )
        return Response(audit_json(rows))

    @get("/changes")
    async def changes(self, request: AnyRequest) -> dict[str, Any]:
        """The log of definition changes: every published version (service, version, hash, by, at, note)."""
        runtime = self.auditor_runtime(request)
        return {"changes": await definition_changes(runtime.store)}


@page_context("exports.html")
@dataclass(frozen=True)
class ExportsPage:
    workflows: list[tuple[str, str]]
    """(workflow id, the name of the service that runs it)."""
    services: list[tuple[str, str]]


class ExportPages(ExportsAPI):
    """The same exports in the browser (``/exports/…``), for a logged-in auditor or administrator; the
    page ``/exports`` links them all. Read-only: every route is a GET."""

    path = "/exports"
    include_in_schema = False

    def auditor_runtime(self, request: AnyRequest) -> Runtime:
        user = current_user(request)
        if user is None:
            raise NotAuthorizedException()
        if not EXPORT_ROLES & set(user.roles):
            raise PermissionDeniedException()
        return runtime_of(request)

    @get("/")
    async def index(self, request: AnyRequest) -> Template | Redirect:
        if current_user(request) is None:
            return login_redirect(request)
        runtime = self.auditor_runtime(request)
        lang = language(request)
        published = await runtime.published()
        workflows = {c.workflow.id: c.service.name.get(lang) for _v, c in published}
        page = ExportsPage(
            workflows=sorted(workflows.items()),
            services=[(c.service.id, c.service.name.get(lang)) for _v, c in published],
        )
        return render(request, "exports.html", page, lang=lang)
