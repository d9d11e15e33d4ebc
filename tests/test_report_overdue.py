"""The overdue report's store query (``report_overdue``) on both backends (``store_db``, tests/pg.py):
a ticket is overdue from its earliest pending timer's due time — of any kind — which the store reads
from ``tickets.due_at`` (kept by the timers' triggers), so a fired, cancelled or claimed timer counts
as the timers say, and a closed ticket is never overdue."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from server.store.open import open_any
from server.store.records import NewTimer, Ticket
from tests.test_store import NOW, change, event, message, new_ticket

HOUR = timedelta(hours=1)


async def test_a_ticket_is_overdue_from_its_earliest_pending_timer(store_db: str, tmp_path: Path) -> None:
    async with await open_any(store_db, tmp_path / "files") as store:
        published = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
        timers = [
            NewTimer(timer="reminder", state="submitted", due_at=NOW + HOUR),
            NewTimer(timer="escalation", state="submitted", due_at=NOW + 3 * HOUR),
        ]
        ticket, _ = await store.create_ticket(
            new_ticket(published.id), [event()], [message()], timers, now=NOW
        )
        other, _ = await store.create_ticket(
            new_ticket(published.id, service_id="other"),
            [event()],
            [],
            [NewTimer(timer="reminder", state="submitted", due_at=NOW)],
            now=NOW,
        )
        calm, _ = await store.create_ticket(new_ticket(published.id), [event()], [], [], now=NOW)

        async def overdue(at: timedelta, services: tuple[str, ...] = ("svc",)) -> list[tuple[int, object]]:
            found = await store.report_overdue(services=list(services), now=NOW + at)
            return [(t.id, t.due_at) for t in found]

        assert await overdue(0 * HOUR) == []
        assert await overdue(0 * HOUR, ("svc", "other")) == [(other.id, NOW)]
        assert await overdue(2 * HOUR) == [(ticket.id, NOW + HOUR)]  # the earlier of its two timers
        # the reminder fires (claimed, then fired in its ticket's transaction): the escalation is next
        [claimed] = [t for t in await store.claim_due_timers(now=NOW + 2 * HOUR) if t.ticket_id == ticket.id]
        assert claimed.timer == "reminder"
        assert await overdue(2 * HOUR) == [(ticket.id, NOW + HOUR)]  # claimed: still pending
        moved = await store.apply_change(
            ticket.id, ticket.version, change(ticket), [event("timer:reminder")], [], [],
            cancel_pending_timers=False, now=NOW + 2 * HOUR, fired_timer_id=claimed.id,
        )  # fmt: skip
        assert await overdue(2 * HOUR) == []
        assert await overdue(3 * HOUR) == [(ticket.id, NOW + 3 * HOUR)]
        # closing the ticket cancels its timers; a closed ticket is never overdue
        closed = change(moved, state="done", category="closed", closed=True)
        done: Ticket = await store.apply_change(
            ticket.id, moved.version, closed, [event("close", "done")], [], [],
            cancel_pending_timers=True, now=NOW + 3 * HOUR,
        )  # fmt: skip
        assert done.category == "closed"
        assert await overdue(9 * HOUR) == []
        assert calm.id not in [t for t, _ in await overdue(9 * HOUR, ("svc", "other"))]
