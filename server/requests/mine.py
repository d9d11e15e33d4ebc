""" "My tickets": the tickets a logged-in requester submitted, newest activity first."""

from __future__ import annotations

import msgspec

from server.dates import both
from server.runtime import Runtime
from server.store.records import ReadScope, TaskFilter, TaskOrder, User

PAGE_SIZE = 50


class MyTicketRow(msgspec.Struct, frozen=True):
    number: str
    service: str
    state: str
    category: str
    submitted: str
    updated: str
    url: str


class MyTicketsPage(msgspec.Struct, frozen=True):
    tickets: list[MyTicketRow]
    total: int
    page: int
    pages: int


async def my_tickets(runtime: Runtime, user: User, lang: str, page: int = 1) -> MyTicketsPage:
    task_filter = TaskFilter(scope=ReadScope(requester_id=user.id))
    total = sum((await runtime.store.count_tasks(task_filter)).values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    found = await runtime.store.list_tasks(
        task_filter, TaskOrder(), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    tz = runtime.tickets.calendar.tz
    rows = []
    for row in found:
        compiled = await runtime.tickets.compiled_version(row.definition_version_id)
        state = compiled.workflow.states.get(row.state)
        rows.append(
            MyTicketRow(
                number=row.number,
                service=compiled.service.name.get(lang),
                state=state.label.get(lang) if state else row.state,
                category=row.category,
                submitted=both(row.created_at, lang, tz),
                updated=both(row.updated_at, lang, tz),
                url=f"/track/{row.number}",
            )
        )
    return MyTicketsPage(tickets=rows, total=total, page=page, pages=pages)
