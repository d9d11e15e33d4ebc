"""The staff ticket API: ``GET /api/tickets/{id}`` and ``POST /api/tickets/{id}/actions/{action}``.

Bearer token only (401 without). Reading follows the one read rule (``server.tickets.reading``, the
same as the ticket page and the task lists): a ticket the caller may not read is a 404 on GET and a 403
on POST — the same answer as for a ticket that does not exist, so nothing is revealed. Staff get the
full history; a requester reading their own ticket gets its public events only (never internal notes).
The answers are built by ``server.tickets.api_view``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody

from server.tickets.api_view import TicketDetail, TicketSummary, Unavailable, act_on_ticket, ticket_detail
from server.tickets.service import Conflict
from server.web.api import BEARER, ApiError, errors, refusal_error
from server.web.deps import ApiLang, CurrentUser, RuntimeDep
from server.web.guards import login_required
from server.web.params import PathInt, PathStr

__all__ = ["ActionRequest", "TicketsAPI"]


class ActionRequest(msgspec.Struct, frozen=True, kw_only=True):
    expected_version: int
    """The ``ticket_version`` the caller last read; a stale one is a 409 and nothing is applied."""
    data: dict[str, Any] = {}


class TicketsAPI(Controller):
    path = "/api/tickets"
    tags = ["staff"]  # noqa: RUF012 (Litestar's declared class attribute)
    guards = [login_required]  # noqa: RUF012 (Litestar's declared class attribute)
    security = BEARER

    @get("/{ticket_id:int}", responses=errors(400, 401, 404))
    async def get_ticket(self, runtime: RuntimeDep, user: CurrentUser, ticket_id: PathInt) -> TicketDetail:
        """A ticket with its data, its history and the actions the caller may take now (each with its
        bilingual label and action form). 401 without a token; 404 when there is no such ticket or the
        caller may not read it. Staff get every event; a requester, on their own ticket, the public ones."""
        found = await ticket_detail(runtime, user, ticket_id)
        if found is None:
            raise NotFoundException("no such ticket / لا توجد هذه التذكرة")
        return found

    @post(
        "/{ticket_id:int}/actions/{action_id:str}",
        status_code=200,
        responses=errors(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def act(
        self,
        runtime: RuntimeDep,
        user: CurrentUser,
        api_lang: ApiLang,
        ticket_id: PathInt,
        action_id: PathStr,
        data: JSONBody[ActionRequest],
    ) -> TicketSummary:
        """Take an action: ``{"data": {...}, "expected_version": N}``. 200 with the ticket as it is now;
        403 when the caller may not take it (or may not read the ticket); 404 for an action the workflow
        does not have; 409 when ``expected_version`` is stale (``current_version`` in the body) or the
        action does not apply in the ticket's state; 422 for invalid data (``errors`` with JSON pointers)
        or a refused guard (``reason``, ``guard`` and ``messages`` in both languages)."""
        result = await act_on_ticket(
            runtime,
            user,
            ticket_id,
            action_id,
            data.data,
            expected_version=data.expected_version,
            lang=api_lang,
        )
        if isinstance(result, TicketSummary):
            return result
        if isinstance(result, Unavailable):
            if result.what == "action":
                raise NotFoundException(f"unknown action {action_id!r} / إجراء غير معروف")
            raise ApiError(
                403,
                "you may not act on this ticket / ليس لك أن تتخذ إجراءً على هذه التذكرة",
                reason="not_allowed_actor",
            )
        if isinstance(result, Conflict):
            raise ApiError(
                409,
                "the ticket changed since you read it; read it again / تغيّرت التذكرة منذ قراءتها؛ أعد قراءتها",
                reason="stale_version",
                current_version=result.ticket.version,
                state=result.ticket.state,
            )
        raise refusal_error(result, api_lang)
