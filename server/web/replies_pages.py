"""``/staff/replies``: the customer-service replies log of service 6, as a page and as CSV or XLSX
(``server.channels.replies``, which decides who may see it — the read rule of the e-mail service's
tickets — and reads it): not allowed 403, no e-mail service 404, a filter that cannot be read 400 (the
page, saying so in the page's language). These handlers parse the request and answer."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Response, Template

from server.channels import replies_files
from server.channels.replies import (
    BadFilter,
    NoMailService,
    NotAllowed,
    RepliesPage,
    replies_export,
    replies_page,
)
from server.web.admin_forms import AnyRequest
from server.web.deps import CurrentUser, Lang, RuntimeDep
from server.web.guards import staff_required
from server.web.params import PathStr
from server.web.rendering import page_context, render

page_context("staff/replies.html")(RepliesPage)


def _refuse(exc: Exception) -> Exception:
    return NotFoundException() if isinstance(exc, NoMailService) else PermissionDeniedException()


class RepliesPages(Controller):
    path = "/staff/replies"
    include_in_schema = False
    guards = (staff_required,)

    @get("/")
    async def log(
        self, request: AnyRequest, runtime: RuntimeDep, user: CurrentUser, page_lang: Lang
    ) -> Template:
        ask = dict(request.query_params)
        try:
            page = await replies_page(runtime, user, ask, page_lang)
        except BadFilter as exc:
            page = await replies_page(runtime, user, {}, page_lang)
            return render(request, "staff/replies.html", _with_error(page, str(exc)), status_code=400)
        except (NotAllowed, NoMailService) as exc:
            raise _refuse(exc) from exc
        return render(request, "staff/replies.html", page)

    @get("/{filename:str}")
    async def download(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        page_lang: Lang,
        filename: PathStr,
    ) -> Response[bytes] | Template:
        """The log as a file: ``export.csv`` (UTF-8 with a BOM) or ``export.xlsx``; ``lang`` picks the
        language."""
        if filename not in ("export.csv", "export.xlsx"):
            raise NotFoundException()
        format = filename.removeprefix("export.")
        ask = dict(request.query_params)
        lang = ask.get("lang") if ask.get("lang") in ("ar", "en") else page_lang
        assert lang is not None
        try:
            heading, rows = await replies_export(runtime, user, ask, lang)
        except BadFilter as exc:
            page = await replies_page(runtime, user, {}, page_lang)
            return render(request, "staff/replies.html", _with_error(page, str(exc)), status_code=400)
        except (NotAllowed, NoMailService) as exc:
            raise _refuse(exc) from exc
        if format == "csv":
            content, media_type = replies_files.to_csv(heading, rows), replies_files.CSV_MEDIA_TYPE
        else:
            content = replies_files.to_xlsx(heading, rows, lang)
            media_type = replies_files.XLSX_MEDIA_TYPE
        return Response(
            content,
            media_type=media_type,
            headers={"content-disposition": f'attachment; filename="customer-service-replies.{format}"'},
        )


def _with_error(page: RepliesPage, error: str) -> RepliesPage:
    return msgspec.structs.replace(page, error=error)
