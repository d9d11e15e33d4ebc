"""The SQLite store writes only the columns a change moves (``sqlite_tickets.changed_columns``): SQLite
rewrites the entry of every index holding a column an UPDATE assigns, whether its value changed or not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from server.store import SQLiteStore, open_store
from server.store.records import Ticket, TicketChange
from tests.test_store import NOW, change, create, event

pytestmark = pytest.mark.single_backend("the SQLite store's UPDATE statement (PostgreSQL writes the row)")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with await open_store(tmp_path / "khidma.db") as opened:
        yield opened


async def _updates(
    store: SQLiteStore, ticket: Ticket, moving: TicketChange, minutes: int
) -> tuple[Ticket, str]:
    """``moving`` applied, and the UPDATE statement of the ticket's row it ran."""
    writer = store._writer._conn  # the writer's connection; its sqlite3 one is used on its own thread
    statements: list[str] = []
    await writer._execute(writer._conn.set_trace_callback, statements.append)  # type: ignore[no-untyped-call]
    try:
        changed = await store.apply_change(
            ticket.id,
            ticket.version,
            moving,
            [event("act", moving.state, kind="action", at=NOW + timedelta(minutes=minutes))],
            [],
            [],
            cancel_pending_timers=False,
            now=NOW + timedelta(minutes=minutes),
        )
    finally:
        await writer._execute(writer._conn.set_trace_callback, None)  # type: ignore[no-untyped-call]
    # (the trace names the statement again for each trigger it runs)
    [update] = {s for s in statements if s.startswith("UPDATE tickets SET")}
    return changed, update.split(" WHERE ")[0]


async def test_a_change_assigns_only_the_columns_it_moves(store: SQLiteStore) -> None:
    version = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
    ticket = await create(store, version.id)
    held = ("state", "category", "department", "assignee_role", "assignee_user", "vars", "closed_at")

    noted, update = await _updates(store, ticket, change(ticket), 1)  # a note: nothing of its own moves
    assert not [column for column in held if f"{column} =" in update]
    assert "updated_at =" in update and "version = version + 1" in update
    assert (noted.version, noted.updated_at) == (ticket.version + 1, NOW + timedelta(minutes=1))

    taken, update = await _updates(store, noted, change(noted, state="in_review", assignee_user="u-7"), 2)
    assert [column for column in held if f"{column} =" in update] == ["state", "assignee_user"]
    assert (taken.state, taken.assignee_user, taken.category) == ("in_review", "u-7", noted.category)

    closed, update = await _updates(store, taken, change(taken, closed=True, vars={"n": 1}), 3)
    assert [column for column in held if f"{column} =" in update] == ["vars", "closed_at"]
    assert (closed.closed_at, closed.vars) == (NOW + timedelta(minutes=3), {"n": 1})

    kept, update = await _updates(store, closed, change(closed), 4)  # still closed: closed_at kept
    assert "closed_at =" not in update and kept.closed_at == NOW + timedelta(minutes=3)

    reopened, update = await _updates(store, kept, change(kept, closed=False), 5)
    assert [column for column in held if f"{column} =" in update] == ["closed_at"]
    assert reopened.closed_at is None
    assert await store.get_ticket(ticket.id) == reopened
