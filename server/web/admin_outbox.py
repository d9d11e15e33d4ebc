"""``/admin/outbox``: the notifications that did not leave, and sending a failed one again.
Administrators only (``admin_required``). The page's data and the rule of what may be sent again are
``server.notify.outbox_page``'s; these handlers parse the request and answer."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Template

from server.notify.outbox_page import OutboxPage, outbox_page, retry
from server.web.admin_forms import AnyRequest
from server.web.deps import CurrentUser, Lang, RuntimeDep
from server.web.guards import admin_required
from server.web.params import PathInt, QueryInt
from server.web.rendering import page_context, render

page_context("admin/outbox.html")(OutboxPage)


class AdminOutboxPages(Controller):
    path = "/admin/outbox"
    include_in_schema = False
    guards = [admin_required]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/")
    async def outbox(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        page: QueryInt = 1,
    ) -> Template:
        return render(request, "admin/outbox.html", await outbox_page(runtime, page_lang, page=page))

    @post("/{message_id:int}/retry")
    async def retry(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        message_id: PathInt,
    ) -> Template:
        page = await retry(runtime, page_lang, message_id, by=user.username)
        return render(
            request, "admin/outbox.html", page, status_code=200 if page.notice_kind == "ok" else 409
        )


# --- what the demo's stand-ins received ------------------------------------------------------------
