"""The report pages (``/reports/…``) and the report API (``GET /api/reports``, ``GET /api/reports/{name}``).

Thin handlers over ``server.reports``: the view builds each page, the service decides who may see what
(a head: their department; a role with ``see_all``: every department) — unknown report 404, not
allowed 403, an invalid period 400 (a page saying so in the page's language, or the API's JSON error).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Redirect, Response, Template

from server.i18n import t
from server.reports import files, view
from server.reports.files import ReportOut, ReportSummaryOut
from server.reports.periods import PeriodError
from server.reports.service import NotAllowed, UnknownReport
from server.reports.view import FigureTicketsPage, ReportPage, ReportsIndexPage
from server.web.api import ApiError, errors
from server.web.deps import ApiLang, CurrentUser, Lang, RuntimeDep
from server.web.guards import login_required
from server.web.params import PathStr
from server.web.rendering import page_context, render

AnyRequest = Request[Any, Any, State]

page_context("reports/index.html")(ReportsIndexPage)
page_context("reports/report.html")(ReportPage)
page_context("reports/tickets.html")(FigureTicketsPage)


@page_context("reports/bad_period.html")
class BadPeriodPage(msgspec.Struct, frozen=True):
    message: str
    detail: str
    back_href: str


def _refuse(exc: Exception) -> Exception:
    if isinstance(exc, UnknownReport | LookupError) and not isinstance(exc, PeriodError):
        return NotFoundException()
    return PermissionDeniedException()


class ReportPages(Controller):
    path = "/reports"
    include_in_schema = False
    guards = (login_required,)

    @get("/")
    async def index(
        self, request: AnyRequest, runtime: RuntimeDep, user: CurrentUser, page_lang: Lang
    ) -> Template:
        return render(
            request, "reports/index.html", await view.index_page(runtime, user, page_lang), lang=page_lang
        )

    @get("/mine")
    async def mine(self, runtime: RuntimeDep, user: CurrentUser) -> Redirect:
        """A head's weekly report (the task list links here)."""
        return Redirect(await view.mine(runtime, user), status_code=303)

    @get("/{name:str}")
    async def report(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        page_lang: Lang,
        name: PathStr,
    ) -> Template:
        try:
            page = await view.report_page(runtime, user, name, dict(request.query_params), page_lang)
        except PeriodError as exc:
            return _bad_period(request, name, exc, page_lang)
        except (UnknownReport, NotAllowed) as exc:
            raise _refuse(exc) from exc
        return render(request, "reports/report.html", page, lang=page_lang)

    @get("/{name:str}/tickets")
    async def figure(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        page_lang: Lang,
        name: PathStr,
    ) -> Template:
        try:
            page = await view.figure_page(runtime, user, name, dict(request.query_params), page_lang)
        except PeriodError as exc:
            return _bad_period(request, name, exc, page_lang)
        except (UnknownReport, NotAllowed, LookupError) as exc:
            raise _refuse(exc) from exc
        return render(request, "reports/tickets.html", page, lang=page_lang)

    @get("/{name:str}/{format:str}")
    async def download(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        page_lang: Lang,
        name: PathStr,
        format: PathStr,
    ) -> Response[bytes] | Template:
        """The report as a file: ``csv`` (UTF-8 with a BOM) or ``xlsx``; ``lang`` picks the language."""
        if format not in ("csv", "xlsx"):
            raise NotFoundException()
        ask = dict(request.query_params)
        lang = "en" if ask.get("lang") == "en" else ("ar" if ask.get("lang") == "ar" else page_lang)
        try:
            result = await view.report_result(runtime, user, name, ask, detail=False)
        except PeriodError as exc:
            return _bad_period(request, name, exc, page_lang)
        except (UnknownReport, NotAllowed) as exc:
            raise _refuse(exc) from exc
        content, media_type, filename = view.report_file(runtime, result, format, lang)
        return Response(
            content,
            media_type=media_type,
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )


def _bad_period(request: AnyRequest, name: PathStr, exc: PeriodError, lang: str) -> Template:
    page = BadPeriodPage(message=t("report_bad_period", lang), detail=str(exc), back_href=f"/reports/{name}")
    return render(request, "reports/bad_period.html", page, status_code=400, lang=lang)


class ReportsAPI(Controller):
    path = "/api/reports"
    guards = (login_required,)

    @get("/", responses=errors(401))
    async def list_reports(
        self, runtime: RuntimeDep, user: CurrentUser, api_lang: ApiLang
    ) -> list[ReportSummaryOut]:
        """The reports the caller may see: ``name``, ``title``, ``description``, ``period`` (its kind)."""
        return await view.summaries(runtime, user, api_lang)

    @get("/{name:str}", responses=errors(400, 401, 403, 404))
    async def get_report(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        api_lang: ApiLang,
        name: PathStr,
    ) -> ReportOut:
        """One report's figures. Query: ``period`` (``week:YYYY-MM-DD``, ``month:YYYY-MM``,
        ``semester:YYYY-MM-DD``, ``half_year:YYYY-MM-DD``, ``custom:FIRST..LAST``, ``now``; default: the
        report's period holding today), ``department`` (for a caller who sees all). 404 for an unknown
        report, 403 for one the caller may not see, 400 for an invalid period."""
        ask = dict(request.query_params)
        try:
            only = {"period": ask.get("period", ""), "department": ask.get("department", "")}  # no picker
            result = await view.report_result(runtime, user, name, only, detail=True)
        except PeriodError as exc:
            raise ApiError(400, f"period: {exc} / الفترة غير صالحة", invalid=["period"]) from exc
        except UnknownReport as exc:
            raise NotFoundException(f"no report {name!r} / لا يوجد تقرير بهذا الاسم") from exc
        except NotAllowed as exc:
            raise PermissionDeniedException("this report is not yours / هذا التقرير ليس من صلاحياتك") from exc
        return files.to_data(result, api_lang)
