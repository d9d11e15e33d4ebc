"""Tracking a ticket (by its number and code, or as its logged-in requester) and "my tickets"."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Redirect, Template

from server.requests import mine, tracking
from server.web.answering import AnyRequest, respond
from server.web.deps import CurrentUser, Lang, RuntimeDep, Viewer
from server.web.forms import read_post
from server.web.guards import login_required
from server.web.params import PathStr, QueryInt, QueryOptStr
from server.web.rendering import page_context, render

page_context("track.html")(tracking.TrackPage)
page_context("track_lookup.html")(tracking.TrackLookupPage)
page_context("my_tickets.html")(mine.MyTicketsPage)


class TrackingPages(Controller):
    path = "/track"
    include_in_schema = False

    @get("/")
    async def lookup(
        self,
        request: AnyRequest,
        page_lang: Lang,
        number: QueryOptStr = None,
        code: QueryOptStr = None,
    ) -> Template | Redirect:
        return respond(request, tracking.lookup_page(number, code), page_lang)

    @get("/{number:str}")
    async def track(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        viewer: Viewer,
        page_lang: Lang,
        number: PathStr,
        code: QueryOptStr = None,
        new: QueryOptStr = None,
    ) -> Template | Redirect:
        found = await tracking.track_page(runtime, number, code, viewer, new=bool(new), lang=page_lang)
        return respond(request, found, page_lang)

    @post("/{number:str}/actions/{action_id:str}", status_code=200)
    async def act(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        viewer: Viewer,
        page_lang: Lang,
        number: PathStr,
        action_id: PathStr,
    ) -> Template | Redirect:
        posted = await read_post(request)
        result = await tracking.act(
            runtime, number, action_id, posted.values, posted.files, viewer, page_lang
        )
        return respond(request, result, page_lang)


class MyTicketsPages(Controller):
    path = "/my/tickets"
    include_in_schema = False
    guards = [login_required]  # noqa: RUF012

    @get("/")
    async def mine(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        page_lang: Lang,
        page: QueryInt = 1,
    ) -> Template:
        return render(
            request, "my_tickets.html", await mine.my_tickets(runtime, user, page_lang, page), lang=page_lang
        )
