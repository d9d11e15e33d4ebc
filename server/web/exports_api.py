"""Auditor exports over HTTP: ``/api/export/…`` (bearer token) and the same in the browser
(``/exports/…``, a logged-in user), for a role with the ``export`` capability (``export_required``),
any past version of a service and the difference between two included (``server.admin.past_versions``):
401 / the log-in page without a user, 403 for anyone else. Read-only: every route is a GET.

The exports themselves are ``server.admin.exports``; these handlers parse the query and answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Template

from server.admin import exports, past_versions
from server.admin.exports import Document, ExportsPage
from server.exports.audit import AuditFilter
from server.web.api import BEARER, ApiError, alternatives, errors
from server.web.deps import Lang, RuntimeDep
from server.web.guards import export_required
from server.web.params import PathInt, PathStr, QueryInt, QueryOptStr
from server.web.rendering import page_context, render

AnyRequest = Request[Any, Any, State]

page_context("exports.html")(ExportsPage)


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, f"{name}: a date YYYY-MM-DD is expected / تاريخ غير صالح", invalid=[name]
        ) from None


def _lang(lang: str | None) -> str:
    return "en" if lang == "en" else "ar"


def _response(document: Document, **headers: str) -> Response[Any]:
    # Litestar adds the charset of a text/* type itself: given it twice, it would send it twice
    media_type = document.media_type.split(";")[0].strip()
    return Response(document.content, media_type=media_type, headers=headers or None)


NO_VERSION = "no such service or version / لا توجد خدمة أو إصدار بهذا المعرف"


def _or_404(value: dict[str, Any] | None) -> dict[str, Any]:
    if value is None:
        raise NotFoundException(NO_VERSION)
    return value


GUIDE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
"""The service guide is a standalone document with its own ``<style>``: that, and nothing else."""


class ExportsAPI(Controller):
    path = "/api/export"
    guards = [export_required]  # noqa: RUF012 (Litestar's declared class attribute)
    tags = ["exports"]  # noqa: RUF012 (Litestar's declared class attribute)
    security = BEARER

    @get("/definitions", responses=errors(401, 403))
    async def definitions(self, runtime: RuntimeDep) -> dict[str, Any]:
        """The latest published version of every service as a definitions tree: ``{files: {path: text}}``
        (the same files the repository ships; ``khidma import`` reads this document back)."""
        return await exports.definitions(runtime)

    @get(
        "/workflows/{name:str}",
        operation_class=alternatives("application/xml", "image/svg+xml"),
        responses=errors(400, 401, 403, 404),
    )
    async def workflow(self, runtime: RuntimeDep, name: PathStr, lang: QueryOptStr = None) -> Response[Any]:
        """``ID.bpmn``: the workflow as BPMN 2.0 XML; ``ID.svg``: its diagram (``?lang=ar|en``)."""
        document = await exports.workflow(runtime, name, _lang(lang))
        if document is None:
            raise NotFoundException("no such workflow export / لا يوجد مسار عمل بهذا المعرف")
        return _response(document)

    @get("/guide", media_type="text/html", responses=errors(400, 401, 403))
    async def guide(self, runtime: RuntimeDep, lang: QueryOptStr = None) -> Response[str]:
        """The service guide regenerated from the published definitions, as an HTML page."""
        return _response(await exports.guide(runtime, _lang(lang)), **{"content-security-policy": GUIDE_CSP})

    @get(
        "/audit",
        operation_class=alternatives("application/json", "text/csv"),
        responses=errors(400, 401, 403),
    )
    async def audit(self, request: AnyRequest, runtime: RuntimeDep) -> Response[Any]:
        """The audit trail of tickets: one row per event (ticket number, service, version, at, actor,
        action, from, to, visibility), filtered by ``service`` and ``from``/``to`` (YYYY-MM-DD, inclusive,
        in the organisation's time zone); ``format=csv|json``."""
        query = request.query_params
        format = query.get("format") or "json"
        if format not in ("csv", "json"):
            raise ApiError(400, "format: csv or json / صيغة غير معروفة", invalid=["format"])
        audit_filter = AuditFilter(
            service=query.get("service") or None,
            start=_date(query.get("from"), "from"),
            end=_date(query.get("to"), "to"),
        )
        found = await exports.audit(runtime, audit_filter, format)
        if isinstance(found, Document):
            return Response(
                found.content,
                media_type=found.media_type,
                headers={"content-disposition": 'attachment; filename="tickets.csv"'},
            )
        return Response(found)

    @get("/changes", responses=errors(401, 403))
    async def changes(self, runtime: RuntimeDep) -> dict[str, Any]:
        """The log of definition changes: every published version (service, version, hash, by, at, note)."""
        return await exports.changes(runtime)

    @get("/services/{service_id:str}/versions", responses=errors(401, 403, 404))
    async def versions(self, runtime: RuntimeDep, service_id: PathStr) -> dict[str, Any]:
        """Every published version of a service: number, content hash, by, at, note."""
        return _or_404(await past_versions.version_list(runtime, service_id))

    @get("/services/{service_id:str}/versions/{version:int}", responses=errors(400, 401, 403, 404))
    async def version(self, runtime: RuntimeDep, service_id: PathStr, version: PathInt) -> dict[str, Any]:
        """One version's files as an exported bundle ``{files: {path: text}}`` (``khidma import`` reads
        it), with its number and content hash."""
        return _or_404(await past_versions.version_bundle(runtime, service_id, version))

    @get("/services/{service_id:str}/diff", responses=errors(400, 401, 403, 404))
    async def diff(
        self, runtime: RuntimeDep, service_id: PathStr, a: QueryInt, b: QueryInt
    ) -> dict[str, Any]:
        """The difference from version ``a`` to ``b``: each file's changed lines, and every difference
        named by the compatibility report (kind, subject, detail, breaking)."""
        return _or_404(await past_versions.version_diff(runtime, service_id, a, b))


class ExportPages(ExportsAPI):
    """The same exports in the browser (``/exports/…``), for a logged-in user with the ``export``
    capability; the page ``/exports`` links them all."""

    path = "/exports"
    include_in_schema = False

    @get("/")
    async def index(self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang) -> Template:
        return render(request, "exports.html", await exports.exports_page(runtime, page_lang))

    @get("/services/{service_id:str}/history")
    async def history(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        service_id: PathStr,
        a: QueryInt = 0,
        b: QueryInt = 0,
    ) -> Template:
        """A service's versions and the differences between two, read-only (the editor's page is
        ``/admin/services/{id}/versions``)."""
        page = await past_versions.versions_page(runtime, service_id, a, b, lang=page_lang, auditor=True)
        if page is None:
            raise NotFoundException(NO_VERSION)
        return render(request, "admin/versions.html", page)
