"""``/admin/demo/sent``: what the demo's loopback gateway stand-ins received (``khidma serve --demo``;
``server.demo.gateways``). Administrators only; without the stand-ins the page says so."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from server.demo.gateways import SentPage, sent_page
from server.web.admin_forms import AnyRequest
from server.web.deps import Lang, RuntimeDep
from server.web.guards import admin_required
from server.web.rendering import page_context, render

page_context("admin/demo_sent.html")(SentPage)


class AdminDemoPages(Controller):
    path = "/admin/demo"
    include_in_schema = False
    guards = [admin_required]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/sent")
    async def sent(self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang) -> Template:
        return render(request, "admin/demo_sent.html", sent_page(runtime, page_lang))
