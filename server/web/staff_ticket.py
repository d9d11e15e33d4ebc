"""The staff ticket page: a ticket's data, attachments and history, and every action the workflow allows.

``GET /staff/tickets/{id}`` shows the ticket to a staff member who may read it (any other staff member
gets the same 404 as for a ticket that does not exist). ``POST /staff/tickets/{id}/actions/{action}``
takes one action (the answers are :mod:`server.tickets.staff_actions`'): success → 303 back to the page
with ``?done=ACTION``; invalid data or a refused guard → 422, the page again with the errors beside the
fields and everything typed kept; an action this user may not take → 403; a stale ``_version`` → 409,
the ticket as it is now with a notice, nothing applied.

**In place, with HTMX.** Each action form also carries ``hx-post`` with ``hx-target="#ticket-main"``
and ``hx-swap="outerHTML"``. A request with ``HX-Request: true`` gets the ticket's main region alone —
``staff/_ticket_main.html``, the same partial the page includes, from the same context — so the state,
the assignee, the due time, the data, the actions and the history update without a reload; success is
200 with the "done" notice (no redirect). Refusals and conflicts keep their real status (422, 403,
409) for HTMX too, and the fragment is marked with the response header ``X-Khidma-Fragment:
ticket-main``: ``server/static/staff-ticket.js`` tells htmx (which by default swaps no 4xx) to swap
exactly those marked 4xx answers — never an error page — and then moves focus to the problem, the
error summary or the notice. Without JavaScript the forms post and redirect as ever.

``GET /staff/ready-replies`` is the knowledge-bank search behind the reply fields (an HTMX fragment;
without JavaScript the page lists the replies itself and filters them with ``?q=``), and
``GET /staff/attachments/{id}`` downloads an attachment of a ticket the user may read — any logged-in
user, a requester too (``server.tickets.reading``).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import File, Redirect, Template

from server.tickets.reading import readable_attachment
from server.tickets.ready_replies import ReadyRepliesPanel, ready_replies
from server.tickets.staff_actions import Applied, take_action
from server.tickets.staff_view import StaffTicketPage, open_page
from server.web.deps import CurrentUser, Lang, RuntimeDep, template_env
from server.web.forms import read_post
from server.web.guards import login_required, staff_required
from server.web.params import PathInt, PathStr, QueryOptStr
from server.web.rendering import page_context, render

__all__ = ["FRAGMENT_HEADER", "ReadyRepliesPanel", "StaffTicketPage", "StaffTicketPages"]

AnyRequest = Request[Any, Any, State]

page_context("staff/ticket.html", "staff/_ticket_main.html")(StaffTicketPage)
page_context("staff/_ready_replies.html")(ReadyRepliesPanel)

FRAGMENT_HEADER = {"X-Khidma-Fragment": "ticket-main"}
"""On the in-place answers: what ``staff-ticket.js`` swaps even with a 4xx status."""


def in_place(request: AnyRequest) -> bool:
    """An HTMX request (not a history restore): answer with the fragment."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


class StaffTicketPages(Controller):
    path = "/staff"
    include_in_schema = False

    @get("/tickets/{ticket_id:int}", guards=[staff_required])
    async def show(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        page_lang: Lang,
        ticket_id: PathInt,
        done: QueryOptStr = None,
        q: QueryOptStr = None,
        lang: QueryOptStr = None,
    ) -> Template:
        """The ticket page (see the module's text); ``q`` and ``lang`` search the ready replies."""
        page = await open_page(
            runtime,
            user,
            ticket_id,
            lang=page_lang,
            env=template_env(request),
            done=done,
            query=q or "",
            reply_lang=lang,
        )
        if page is None:
            raise NotFoundException()
        return render(request, "staff/ticket.html", page, lang=page_lang)

    @post("/tickets/{ticket_id:int}/actions/{action_id:str}", guards=[staff_required], status_code=200)
    async def act(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        user: CurrentUser,
        page_lang: Lang,
        ticket_id: PathInt,
        action_id: PathStr,
    ) -> Template | Redirect:
        """Take one action (see the module's text for the answers)."""
        posted, fragment = await read_post(request), in_place(request)
        result = await take_action(
            runtime,
            user,
            ticket_id,
            action_id,
            posted.values,
            posted.files,
            lang=page_lang,
            env=template_env(request),
            in_place=fragment,
        )
        if result is None:
            raise NotFoundException()
        if isinstance(result, Applied):
            return Redirect(f"/staff/tickets/{result.ticket.id}?done={result.action}", status_code=303)
        if fragment:
            return render(
                request,
                "staff/_ticket_main.html",
                result.page,
                lang=page_lang,
                status_code=result.status,
                headers=FRAGMENT_HEADER,
            )
        return render(request, "staff/ticket.html", result.page, lang=page_lang, status_code=result.status)

    @get("/ready-replies", guards=[staff_required])
    async def ready_replies(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        q: QueryOptStr = None,
        lang: QueryOptStr = None,
        target: QueryOptStr = None,
    ) -> Template:
        """HTMX: the ready replies matching ``q`` (title or body, either language), bodies in ``lang``."""
        panel = await ready_replies(runtime, query=q, lang=lang, target=target, page_lang=page_lang)
        return render(request, "staff/_ready_replies.html", panel, lang=page_lang)

    @get("/attachments/{attachment_id:str}", guards=[login_required])
    async def attachment(self, runtime: RuntimeDep, user: CurrentUser, attachment_id: PathStr) -> File:
        """Download an attachment of a ticket the user may read (else 404, as for an unknown one)."""
        found = await readable_attachment(runtime, user, attachment_id)
        if found is None:
            raise NotFoundException()
        return File(
            path=found.path,
            filename=found.filename,
            media_type=found.media_type,
            content_disposition_type="attachment",
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
        )
