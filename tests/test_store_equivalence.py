"""The same operations on a SQLite store and a PostgreSQL store give the same records.

One script of writes and reads over every area of the ``Store`` Protocol — tickets and their history,
task lists (every view, filter and order), reports, accounts, drafts, lookups, ready replies,
attachments, inbound channels, the audit chain — run on both backends side by side; every answer is
compared, with only the values that are random by design (tracking codes, gateway request ids,
attachment ids) left out.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.store import postgres_task_counts, sqlite_task_counts, sqlite_tasks
from server.store.interface import AlreadyExists, NotFound, VersionConflict
from server.store.interface_channels import ReplyQuery, ReplyRow
from server.store.open import open_any
from server.store.postgres import PostgresStore
from server.store.records import (
    MailAttachment,
    NewEvent,
    NewMail,
    NewMessage,
    NewTicket,
    NewTimer,
    ReadScope,
    ReportCount,
    TaskCounts,
    TaskFilter,
    TaskOrder,
    Ticket,
    TicketChange,
)
from server.store.sqlite import SQLiteStore

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
RANDOM = {"tracking_code", "gateway_request_id"}

Stores = tuple[SQLiteStore, PostgresStore]


def plain(value: Any, *, drop: frozenset[str] = frozenset()) -> Any:
    """A record (or a list, dict, tuple of them) as builtins, the random-by-design values left out."""
    built = msgspec.to_builtins(value, builtin_types=(datetime,))

    def strip(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: strip(v) for k, v in item.items() if k not in RANDOM | drop}
        if isinstance(item, list | tuple):
            return [strip(v) for v in item]
        return item

    return strip(built)


class Pair:
    def __init__(self, sqlite: SQLiteStore, pg: PostgresStore) -> None:
        self.sqlite = sqlite
        self.pg = pg

    async def same(self, call: Callable[[Any], Awaitable[Any]], *, drop: frozenset[str] = frozenset()) -> Any:
        """Call on both; the answers must be equal (or both raise the same error). Returns SQLite's."""
        results = []
        for store in (self.sqlite, self.pg):
            try:
                results.append(await call(store))
            except (AlreadyExists, NotFound, VersionConflict, ValueError) as exc:
                results.append(f"raises {type(exc).__name__}")
        assert plain(results[1], drop=drop) == plain(results[0], drop=drop)
        return results[0]


@pytest.fixture
async def pair(tmp_path: Path, pg_url: str) -> AsyncIterator[Pair]:
    sqlite = await open_any(str(tmp_path / "k.db"), tmp_path / "sqlite-files")
    pg = await open_any(pg_url, tmp_path / "pg-files")
    assert isinstance(sqlite, SQLiteStore) and isinstance(pg, PostgresStore)
    try:
        yield Pair(sqlite, pg)
    finally:
        await sqlite.close()
        await pg.close()


def ticket(definition_id: int, n: int, **overrides: Any) -> NewTicket:
    fields: dict[str, Any] = {
        "service_id": "svc" if n % 3 else "other",
        "definition_version_id": definition_id,
        "state": "submitted",
        "category": ("open", "in_progress", "waiting")[n % 3],
        "department": (None, "it", "hr", "it")[n % 4],
        "assignee_role": ("it_staff", None)[n % 2],
        "assignee_user": "u-ali" if n % 5 == 0 else None,
        "channel": ("web", "email")[n % 2],
        "requester_id": "u-sara" if n % 2 else None,
        "data": {"subject": f"Printer {n}", "count": n, "nested": {"b": [1, n], "a": None}},
        "vars": {"priority": n % 3, "flag": n % 2 == 0},
        "search_text": f"sara printer number{n} ب {('عبدالله الغامدي', 'نورة العتيبي', 'omar')[n % 3]}"
        if n % 4
        else None,
        "language": ("ar", "en")[n % 2],
    }
    fields.update(overrides)
    return NewTicket(**fields)


def event(action: str, at: datetime, *, kind: str = "action", actor: str = "u-ali") -> NewEvent:
    return NewEvent(
        at=at,
        actor_id=actor,
        actor_name=actor.removeprefix("u-").title(),
        actor_department="it",
        action=action,
        from_state=None,
        to_state=action,
        data={"note": f"{action} ✓", "z": 1, "a": [1.5, True]},
        visibility="public" if action != "note" else "internal",
        kind=kind,  # type: ignore[arg-type]
    )


async def sorted_counts(found: Awaitable[list[ReportCount]]) -> list[Any]:
    """``report_counts`` in one order (the backends group in an order of their own)."""
    return sorted(msgspec.to_builtins(await found, builtin_types=(datetime,)), key=repr)


def mail(to: str, *, files: int = 0) -> NewMail:
    return NewMail(
        recipient=f"{to}@x",
        recipient_id=f"u-{to}",
        department="it" if files else None,
        template="report",
        language="en",
        subject=f"Weekly {to}",
        body="figures",
        html="<p>figures ✓</p>" if files else None,
        attachments=tuple(
            MailAttachment(filename=f"r{i}.csv", content_type="text/csv", content=bytes([i, 0, 255]) * 3)
            for i in range(files)
        ),
    )


def message(to: str, channel: str = "email") -> NewMessage:
    return NewMessage(channel=channel, recipient=to, template="t", language="ar", subject="s", body="b")


async def test_the_same_operations_give_the_same_records(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    same = pair.same
    # --- users and accounts ------------------------------------------------------------------
    for user_id, username, name, dept, roles, active in [
        ("u-ali", "ali", "Ali", "it", ["it_staff"], True),
        ("u-huda", "Huda", "Huda", "it", ["it_head", "it_staff"], True),
        ("u-zed", "zed", "zed", "it", ["it_staff"], False),
        ("u-sara", "sara", "Sara", None, ["requester"], True),
        ("u-omar", "omar", "Omar", "hr", ["hr_staff", "auditor"], True),
    ]:
        await same(
            lambda s, u=user_id, n=username, m=name, d=dept, r=roles, a=active: s.add_user(
                id=u, username=n, name=m, department=d, roles=r, active=a, now=NOW, email=f"{n}@x"
            )
        )
    await same(lambda s: s.add_user(username="HUDA", name="x", roles=[], now=NOW))  # AlreadyExists
    await same(lambda s: s.get_user_by_username("huda"))
    await same(lambda s: s.get_users(["u-ali", "u-omar", "nobody"]))
    await same(lambda s: s.users_in_department("it"))
    await same(lambda s: s.users_in_department("it", "it_head", active_only=False))
    await same(lambda s: s.users_with_role("it_staff", active_only=False))
    await same(lambda s: s.list_users())
    await same(
        lambda s: s.update_user("u-omar", name="Omar B", email=None, phone="1", department="it", roles=["x"])
    )
    await same(lambda s: s.update_user("nobody", name="n", email=None, phone=None, department=None, roles=[]))
    await same(lambda s: s.set_password("u-ali", "hash", end_sessions=False))
    await same(lambda s: s.create_session("u-ali", "sess-1", now=NOW, expires_at=NOW + 8 * HOUR))
    await same(lambda s: s.get_session_user("sess-1", now=NOW + 2 * HOUR, idle=3 * HOUR))
    await same(lambda s: s.get_session_user("sess-1", now=NOW + 6 * HOUR, idle=3 * HOUR))  # idle: ended
    await same(lambda s: s.get_session_user("sess-1", now=NOW, idle=3 * HOUR))
    await same(lambda s: s.create_session("u-huda", "sess-2", now=NOW, expires_at=NOW + HOUR))
    await same(lambda s: s.delete_user_sessions("u-huda"))
    await same(lambda s: s.create_api_token("u-huda", "ci", "tok-1", now=NOW))
    await same(lambda s: s.get_token_user("tok-1", now=NOW + HOUR))
    await same(lambda s: s.revoke_token(1, now=NOW + 2 * HOUR))
    await same(lambda s: s.revoke_token(1, now=NOW + 3 * HOUR))
    await same(lambda s: s.get_token_user("tok-1", now=NOW + 4 * HOUR))
    await same(lambda s: s.list_tokens("u-huda"))
    await same(lambda s: s.record_failed_login(["user:ali", "address:1"], now=NOW))
    await same(lambda s: s.record_failed_login(["user:ali"], now=NOW + HOUR, forget_before=NOW + HOUR))
    await same(lambda s: s.count_failed_logins("user:ali", since=NOW))
    await same(lambda s: s.clear_failed_logins("user:ali"))
    for at in range(4):
        await same(lambda s, at=at: s.take_rate_token("ip", limit=3, now=NOW + at * HOUR / 10, since=NOW))
    await same(lambda s: s.set_user_active("u-huda", False))

    # --- definitions, tickets, their history -------------------------------------------------
    svc = await same(
        lambda s: s.publish_definition(
            "svc", {"z": 1, "a": {"é": [1]}}, "h1", created_by="u-huda", note="n", now=NOW
        )
    )
    await same(lambda s: s.publish_definition("other", {"x": 1}, "h2", created_by=None, note="", now=NOW))
    await same(
        lambda s: s.publish_definition("svc", {"z": 2}, "h3", created_by=None, note="", now=NOW + HOUR)
    )
    await same(lambda s: s.latest_definitions())
    await same(lambda s: s.definitions_stamp())
    await same(lambda s: s.list_definitions("svc"))
    tickets: list[Ticket] = []
    for n in range(12):
        at = NOW + n * HOUR
        created, _ = await same(
            lambda s, n=n, at=at: s.create_ticket(
                ticket(svc.id, n, idempotency_key=f"k{n}" if n % 2 else None),
                [event("submit", at, kind="created", actor="u-sara")],
                [message(f"r{n}@x"), message("0500", "sms")],
                [NewTimer(timer="sla", state="submitted", due_at=at + (n % 4) * 24 * HOUR)],
                now=at,
            )
        )
        tickets.append(created)
    await same(
        lambda s: s.create_ticket(ticket(svc.id, 1, idempotency_key="k1"), [event("x", NOW)], [], [], now=NOW)
    )
    for n, current in enumerate(tickets[:8]):
        at = NOW + (20 + n) * HOUR
        change = TicketChange(
            state="taken" if n % 2 else "closed",
            category="in_progress" if n % 2 else "closed",
            department="it",
            assignee_role="it_staff",
            assignee_user="u-huda" if n % 3 else current.assignee_user,
            vars={**current.vars, "taken": n},
            closed=n % 2 == 0,
        )
        tickets[n] = await same(
            lambda s, t=current, c=change, at=at: s.apply_change(
                t.id,
                t.version,
                c,
                [event("take", at), event("note", at)],
                [message("x@y")],
                [],
                cancel_pending_timers=c.closed,
                now=at,
            )
        )
    await same(
        lambda s: s.apply_change(
            tickets[1].id,
            1,
            TicketChange(
                state="s",
                category="open",
                department=None,
                assignee_role=None,
                assignee_user=None,
                vars={},
                closed=False,
            ),
            [event("x", NOW)],
            [],
            [],
            cancel_pending_timers=False,
            now=NOW,
        )
    )
    for t in tickets[:3]:
        await same(lambda s, t=t: s.get_ticket(t.id))
        await same(lambda s, t=t: s.list_events(t.id))
        await same(lambda s, t=t: s.list_events(t.id, public_only=True))
        await same(lambda s, t=t: s.list_assignments(t.id))
        await same(lambda s, t=t: s.ticket_due(t.id))
    await same(lambda s: s.get_ticket_by_number("2026-000005"))
    await same(lambda s: s.get_ticket_by_idempotency_key("k3"))

    # --- task lists: every view, filter and order ----------------------------------------------
    scopes = [
        ReadScope(everything=True),
        ReadScope(departments=frozenset({"it"})),
        ReadScope(services=frozenset({"other"}), user_id="u-huda"),
        ReadScope(requester_id="u-sara"),
        ReadScope(),
    ]
    filters = [TaskFilter(scope=scope) for scope in scopes] + [
        TaskFilter(
            scope=scopes[1],
            assigned_user="u-huda",
            queue_roles=frozenset({"it_staff"}),
            queue_department="it",
        ),
        TaskFilter(scope=scopes[0], held_by=frozenset({"hr"}), unheld=True),
        TaskFilter(scope=scopes[0], held_by=frozenset()),
        TaskFilter(scope=scopes[0], service="svc", category="in_progress", channel="email"),
        TaskFilter(
            scope=scopes[0], state="submitted", created_from=NOW + 2 * HOUR, created_before=NOW + 9 * HOUR
        ),
        TaskFilter(scope=scopes[0], text="printer"),
        TaskFilter(scope=scopes[0], text="SARA"),
        TaskFilter(scope=scopes[0], text="2026-00001"),
        TaskFilter(scope=scopes[0], text="ب"),
        TaskFilter(scope=scopes[0], text="%"),
        # through the trigram indexes (three characters and more): FTS5 on SQLite, pg_trgm on PostgreSQL
        TaskFilter(scope=scopes[0], text="الغامدي"),
        TaskFilter(scope=scopes[1], text="نورة"),
        TaskFilter(scope=scopes[0], text="number1"),
        TaskFilter(scope=scopes[0], text="OMAR"),
        TaskFilter(scope=scopes[0], text='"printer'),
        TaskFilter(scope=scopes[0], text="000"),
        # creation dates over whole UTC days (summed from ticket_day_counts on SQLite) and partial ones
        TaskFilter(scope=scopes[0], created_from=NOW - 28 * HOUR, created_before=NOW + 42 * HOUR),
        TaskFilter(scope=scopes[1], created_from=NOW + 3 * HOUR, created_before=NOW + 64 * HOUR),
        TaskFilter(scope=scopes[0], category="closed", created_before=NOW + 15 * HOUR),
        TaskFilter(scope=scopes[0], created_from=NOW - 9 * HOUR),
        TaskFilter(scope=scopes[0], held_by=frozenset({"it"}), text="printer", category="in_progress"),
        TaskFilter(scope=scopes[0], held_by=frozenset({"it"}), text="ت"),
        # one department's list (``department = %s`` on PostgreSQL, its index in order), a category tab
        TaskFilter(scope=scopes[0], held_by=frozenset({"it"})),
        TaskFilter(scope=scopes[0], held_by=frozenset({"it"}), category="closed"),
    ]
    orders = [
        TaskOrder.parse(value) for value in ("-updated", "updated", "-created", "created", "-due", "due")
    ]
    listed = []
    for task_filter, order in itertools.product(filters, orders):
        listed.append(
            len(await same(lambda s, f=task_filter, o=order: s.list_tasks(f, o, offset=0, limit=50)))
        )
        await same(lambda s, f=task_filter, o=order: s.list_task_ids(f, o, offset=1, limit=3))
        # a page across the two parts of a list by due time (those with a due time, then the others)
        await same(lambda s, f=task_filter, o=order: s.list_tasks(f, o, offset=3, limit=4))
        # the last page, by OFFSET (on PostgreSQL the ids chosen first, index-only: pg 0010)
        await same(
            lambda s, f=task_filter, o=order, n=listed[-1]: s.list_tasks(f, o, offset=max(n - 2, 0), limit=5)
        )
    counted = [await same(lambda s, f=task_filter: s.count_tasks(f)) for task_filter in filters]
    # PostgreSQL's counts from its summaries and the deltas not yet folded into them (pg 0008): from the
    # deltas alone (never folded), then folded on every count (the summaries alone)
    for compact_at in (10**9, 0):
        monkeypatch.setattr(postgres_task_counts, "COMPACT_AT", compact_at)
        assert [await same(lambda s, f=task_filter: s.count_tasks(f)) for task_filter in filters] == counted
    monkeypatch.undo()
    # every way SQLite reads a page (sqlite_tasks.choose_way) gives the same rows: a common text's rows
    # tested on the walk ("row") or looked up in the set of its matches ("set"), a date range tested on
    # the rows — forced here on a few tickets by lowering the thresholds, in every order
    pages = {}

    async def dates_walked(_conn: object, task_filter: TaskFilter, _order: TaskOrder) -> bool:
        return task_filter.created_from is not None or task_filter.created_before is not None

    # (a text under three characters: tested on the walk, or its few matches found in one pass and
    # read by id)
    for common, walk, reach, small in (
        (1000, 5000, sqlite_tasks.walk_reaches_dates, 10_000),
        (1, 10**9, dates_walked, 10_000),
        (1, 0, dates_walked, 0),
        (1000, 5000, dates_walked, 0),
    ):
        monkeypatch.setattr(sqlite_tasks, "COMMON", common)
        monkeypatch.setattr(sqlite_tasks, "WALK_ROWS", walk)
        monkeypatch.setattr(sqlite_tasks, "walk_reaches_dates", reach)
        monkeypatch.setattr(sqlite_tasks, "SMALL_FILTER", small)
        for (i, task_filter), order in itertools.product(enumerate(filters), orders):
            got = await same(lambda s, f=task_filter, o=order: s.list_tasks(f, o, offset=1, limit=5))
            assert pages.setdefault((i, order), got) == got
    monkeypatch.undo()
    assert listed[0] == 12 and 0 in listed and len(set(listed)) > 5  # the filters select differently
    assert counted[0] == {"closed": 4, "in_progress": 5, "open": 1, "waiting": 2}
    # counted up to a bound (free text): exact at or below it, "more than" it above — the same on both
    # backends
    # whichever way SQLite reads (sqlite_task_counts: through the index's matches while a text is rare,
    # else from the text's side or, for a small filter with an index, from the filter's)
    answers = {}
    for rare, few in ((5000, 10_000), (0, 10_000), (0, 0)):
        monkeypatch.setattr(sqlite_task_counts, "RARE", rare)
        monkeypatch.setattr(sqlite_task_counts, "FEW", few)
        for (i, task_filter), bound, aside in itertools.product(
            enumerate(filters), (0, 1, 3, 5, 100), (True, False)
        ):
            got = await same(
                lambda s, f=task_filter, b=bound, a=aside: s.count_tasks_bounded(f, bound=b, category_aside=a)
            )
            exact = (
                counted[i]
                if aside or task_filter.category is None
                else {c: n for c, n in counted[i].items() if c == task_filter.category}
            )
            # without free text an aggregate (or the tickets) counts exactly, whatever the bound
            counted_whole = not task_filter.text or sum(exact.values()) <= bound
            assert got == (TaskCounts(counts=exact) if counted_whole else TaskCounts(more_than=bound)), (
                task_filter,
                bound,
            )
            answers.setdefault((i, bound, aside), got)
            assert answers[i, bound, aside] == got  # the way read changes nothing
    assert any(a.more_than is not None for a in answers.values())
    assert any(a.more_than is None and a.counts for a in answers.values())
    await same(lambda s: s.tickets_without_search_text(10))
    await same(lambda s: s.set_search_texts({tickets[0].id: "now searchable", tickets[4].id: "too"}))
    await same(lambda s: s.tickets_without_search_text(10))

    # --- reports and surveys ------------------------------------------------------------------
    await same(
        lambda s: s.add_survey_response(
            ticket_id=tickets[0].id, survey_id="sv", answers={"q": 5}, comment="c", now=NOW + 30 * HOUR
        )
    )
    await same(
        lambda s: s.add_survey_response(
            ticket_id=tickets[0].id, survey_id="sv", answers={"q": 1}, comment="", now=NOW
        )
    )
    await same(lambda s: s.get_survey_response(tickets[0].id))
    for basis in ("status", "current", "created", "closed"):
        assert await same(
            lambda s, b=basis: s.report_tickets(
                services=["svc", "other"],
                basis=b,
                start=NOW + 3 * HOUR,
                end=NOW + 25 * HOUR,
                variables=["priority", "missing", "flag"],
                fields=["subject", "nested", "count"],
            )
        )
    for basis in ("status", "current", "created", "closed"):
        for start, end in ((NOW + 3 * HOUR, NOW + 25 * HOUR), (NOW + 30 * HOUR, NOW + 40 * HOUR)):
            counts = await same(
                lambda s, b=basis, start=start, end=end: sorted_counts(
                    s.report_counts(
                        ["svc", "other"],
                        b,
                        start,
                        end,
                        variables=["priority", "missing", "flag"],
                        fields=["subject", "nested", "count"],
                    )
                )
            )
            listed = await pair.pg.report_tickets(
                services=["svc", "other"], basis=basis, start=start, end=end
            )
            assert sum(c["count"] for c in counts) == len(listed)
    await same(lambda s: sorted_counts(s.report_counts([], "status", NOW, NOW + 99 * HOUR)))
    await same(
        lambda s: sorted_counts(s.report_counts(["svc"], "created", NOW, NOW + 99 * HOUR, fields=["x-y"]))
    )
    await same(
        lambda s: s.report_overdue(
            services=["svc", "other"], now=NOW + 50 * HOUR, variables=["taken"], fields=["count"]
        )
    )
    await same(lambda s: s.report_ratings(services=["svc"], start=NOW, end=NOW + 40 * HOUR))

    # --- outbox and timers ----------------------------------------------------------------------
    await same(lambda s: s.claim_outbox(now=NOW + 5 * HOUR, limit=3, channels=["sms"]))
    claimed = await same(lambda s: s.claim_outbox(now=NOW + 5 * HOUR, limit=4))
    await same(lambda s: s.mark_sent(claimed[0].id, now=NOW + 6 * HOUR))
    await same(lambda s: s.mark_failed(claimed[1].id, now=NOW + 6 * HOUR, error="e", retry_at=NOW + 7 * HOUR))
    await same(lambda s: s.mark_failed(claimed[2].id, now=NOW + 6 * HOUR, error="gone", retry_at=None))
    await same(lambda s: s.retry_outbox(claimed[2].id, now=NOW + 8 * HOUR))
    await same(lambda s: s.retry_outbox(claimed[0].id, now=NOW + 8 * HOUR))
    await same(lambda s: s.requeue_sending(now=NOW + 9 * HOUR, older_than=HOUR))
    await same(lambda s: s.list_outbox())
    await same(lambda s: s.list_outbox(tickets[2].id, "pending"))
    await same(lambda s: s.due_timers(now=NOW + 60 * HOUR))
    await same(lambda s: s.set_timer_status(3, "cancelled"))
    await same(lambda s: s.due_timers(now=NOW + 60 * HOUR))

    # --- the report scheduler: lease, runs, report mail ------------------------------------------
    await same(lambda s: s.take_lease("reports", "a", now=NOW, ttl=HOUR))
    await same(lambda s: s.take_lease("reports", "b", now=NOW + HOUR / 2, ttl=HOUR))
    await same(lambda s: s.take_lease("reports", "a", now=NOW + HOUR / 2, ttl=HOUR))
    await same(lambda s: s.take_lease("reports", "b", now=NOW + HOUR, ttl=HOUR))
    await same(lambda s: s.take_lease("reports", "b", now=NOW + 3 * HOUR / 2, ttl=HOUR))
    await same(lambda s: s.take_lease("reports", "b", now=NOW + 3 * HOUR, ttl=HOUR))
    await same(lambda s: s.release_lease("reports", "a"))
    await same(lambda s: s.take_lease("reports", "a", now=NOW + 3 * HOUR, ttl=HOUR))
    mails = [mail("huda", files=2), mail("omar"), mail("ali", files=1)]
    queued_at = NOW + 10 * HOUR
    await same(
        lambda s: s.queue_report_run(
            "weekly", "2026-W18", mails, by="schedule", now=queued_at, lease=("reports", "a")
        )
    )
    await same(lambda s: s.release_lease("reports", "b"))
    await same(
        lambda s: s.queue_report_run(
            "weekly", "2026-W18", mails, by="schedule", now=queued_at, lease=("reports", "b")
        )
    )
    await same(lambda s: s.take_lease("reports", "b", now=queued_at, ttl=HOUR))
    await same(
        lambda s: s.queue_report_run(
            "weekly", "2026-W18", mails, by="schedule", now=queued_at, lease=("reports", "b")
        )
    )
    await same(lambda s: s.queue_report_run("weekly", "2026-W18", mails[:1], by="cli", now=queued_at))
    await same(lambda s: s.queue_report_run("weekly", "2026-W19", [], by="cli", now=queued_at + HOUR))
    await same(lambda s: s.report_run("weekly", "2026-W18"))
    await same(lambda s: s.report_run("weekly", "2026-W19"))
    await same(lambda s: s.report_run("weekly", "2026-W20"))
    await same(lambda s: s.report_schedule_since("weekly", now=NOW))
    await same(lambda s: s.report_schedule_since("weekly", now=NOW + HOUR))
    await same(lambda s: s.list_outbox(status="pending"))
    report_mail = await same(lambda s: s.claim_outbox(now=queued_at, limit=50, channels=["email"]))
    assert [len(m.attachments) for m in report_mail if m.ticket_id is None] == [2, 0, 1]
    assert report_mail[-1].attachments[0].content == bytes([0, 0, 255]) * 3

    # --- drafts and moving tickets --------------------------------------------------------------
    await same(
        lambda s: s.save_draft("svc", {"service.yaml": "a: 1", "form.json": "{}"}, by="u-huda", now=NOW)
    )
    await same(lambda s: s.save_draft("svc", {"service.yaml": "a: 2"}, by=None, now=NOW + HOUR))
    await same(lambda s: s.save_draft("abc", {}, by=None, now=NOW))
    await same(lambda s: s.list_drafts())
    await same(lambda s: s.delete_draft("abc"))
    await same(lambda s: s.get_draft("svc"))
    await same(lambda s: s.open_tickets_on(svc.id))
    moved = tickets[9]
    await same(
        lambda s: s.migrate_ticket(
            moved.id,
            moved.version,
            svc.id,
            TicketChange(
                state="submitted",
                category="open",
                department=moved.department,
                assignee_role=moved.assignee_role,
                assignee_user=moved.assignee_user,
                vars=dict(moved.vars),
                closed=False,
            ),
            event("migrate", NOW + 40 * HOUR, kind="migration"),
            data={"moved": True},
            timers=[],
            now=NOW + 40 * HOUR,
        )
    )
    await same(lambda s: s.list_events(moved.id))

    # --- lookups, ready replies -----------------------------------------------------------------
    rows = [
        {"emp": "e1", "item": "laptop"},
        {"emp": 7, "item": "key", "n": 1.25},
        {"emp": "e1", "item": "phone"},
    ]
    await same(lambda s: s.replace_lookup_table("custody", "emp", rows))
    await same(lambda s: s.lookup_rows("custody", "e1"))
    await same(lambda s: s.lookup_rows_many("custody", ["7", "e1", "zz"]))
    await same(lambda s: s.list_lookup_table("custody", offset=1, limit=5))
    await same(lambda s: s.list_lookup_table("custody"))
    await same(lambda s: s.count_lookup_rows("custody"))
    await same(lambda s: s.replace_lookup_table("custody", "emp", [{"x": 1}]))
    await same(
        lambda s: s.add_ready_reply(
            title_ar="رسوم", title_en="Fee", body_ar="-", body_en="100% free", tags=["fees"]
        )
    )
    await same(
        lambda s: s.add_ready_reply(
            title_ar="ساعات", title_en="Hours", body_ar="الخميس", body_en="Sun", active=False
        )
    )
    for query in ("", "FEE", "%", "_", "fees", "الخميس"):
        await same(lambda s, q=query: s.search_ready_replies(q))
        await same(lambda s, q=query: s.list_ready_replies(q))
        await same(lambda s, q=query: s.list_ready_replies(q, include_inactive=False, limit=1))
    await same(
        lambda s: s.update_ready_reply(
            2, title_ar="a", title_en="b", body_ar="c", body_en="d", tags=[], active=True
        )
    )
    await same(lambda s: s.get_ready_reply(2))
    await same(
        lambda s: s.update_ready_reply(
            99, title_ar="a", title_en="b", body_ar="c", body_en="d", tags=[], active=True
        )
    )

    # --- attachments ----------------------------------------------------------------------------
    ids = {"id", "sha256_path"}
    first_sqlite = await pair.sqlite.add_attachment(
        ticket_id=None, field="f", filename="a.pdf", media_type="application/pdf", content=b"%PDF-1", now=NOW
    )
    first_pg = await pair.pg.add_attachment(
        ticket_id=None, field="f", filename="a.pdf", media_type="application/pdf", content=b"%PDF-1", now=NOW
    )
    assert plain(first_pg, drop=frozenset(ids)) == plain(first_sqlite, drop=frozenset(ids))
    assert pair.pg.attachment_path(first_pg).read_bytes() == b"%PDF-1"
    await same(
        lambda s: s.add_attachment(
            ticket_id=999, field="f", filename="x", media_type="t/p", content=b"x", now=NOW
        )
    )
    await pair.sqlite.link_attachments(tickets[0].id, [first_sqlite.id])
    await pair.pg.link_attachments(tickets[0].id, [first_pg.id])
    assert (await pair.pg.get_attachments([first_pg.id, "nope"]))[first_pg.id].ticket_id == tickets[0].id
    await same(lambda s: s.link_attachments(tickets[1].id, ["missing"]))
    for store in (pair.sqlite, pair.pg):
        await store.add_attachment(
            ticket_id=None, field="f", filename="o", media_type="t/p", content=b"orphan", now=NOW
        )
    await same(lambda s: s.delete_orphan_attachments(HOUR, NOW + 2 * HOUR))
    files = [
        sorted(p.name for p in s.attachments_dir.rglob("*") if p.is_file()) for s in (pair.sqlite, pair.pg)
    ]
    assert files[0] == files[1] and first_pg.sha256 in files[1]
    assert hashlib.sha256(b"orphan").hexdigest() not in files[1]

    # --- inbound channels -----------------------------------------------------------------------
    await same(lambda s: s.create_integration_key("tawasul", "tawasul", "kh-1", now=NOW))
    await same(lambda s: s.create_integration_key("tawasul", "email", "kh-2", now=NOW))
    await same(lambda s: s.integration_key_by_hash("kh-1", now=NOW + HOUR))
    await same(lambda s: s.revoke_integration_key("tawasul", now=NOW + 2 * HOUR))
    await same(lambda s: s.integration_key_by_hash("kh-1", now=NOW + 3 * HOUR))
    await same(lambda s: s.list_integration_keys())
    await same(lambda s: s.record_inbound_message("<m1@x>", tickets[3].id, "created", now=NOW))
    await same(lambda s: s.record_inbound_message("<m1@x>", None, "ignored", now=NOW))
    await same(lambda s: s.inbound_message_seen("<m1@x>"))
    await same(lambda s: s.ticket_of_messages(["<m0@x>", "<m1@x>"], []))
    await same(lambda s: s.record_inbound_message("<m2@x>", tickets[3].id, "threaded", now=NOW + HOUR))
    await same(lambda s: s.record_inbound_message("<m0@x>", tickets[3].id, "threaded", now=NOW + HOUR))
    await same(lambda s: s.record_inbound_message("<m3@x>", tickets[4].id, "threaded", now=NOW + HOUR))
    for before in (NOW - HOUR, NOW, NOW + HOUR, NOW + 9 * HOUR):
        await same(lambda s, b=before: s.mail_thread(tickets[3].id, before=b))
    logs: list[tuple[list[ReplyRow], int]] = []
    for query in (
        ReplyQuery(service_id="svc", templates={"note": "t", "submit": "t"}, class_fields={"take": "note"}),
        ReplyQuery(
            service_id="svc",
            templates={"note": "t"},
            class_fields={"take": "note"},
            start=NOW + 21 * HOUR,
            end=NOW + 26 * HOUR,
        ),
        ReplyQuery(service_id="svc", templates={"submit": "t"}, class_fields={}, offset=2, limit=3),
        ReplyQuery(service_id="svc", templates={"submit": "t"}, class_fields={}, offset=100),
        ReplyQuery(
            service_id="other", templates={"note": "t"}, class_fields={"take": "note"}, klass="take ✓"
        ),
        ReplyQuery(
            service_id="svc", templates={"note": "t"}, class_fields={"take": "note"}, klass="take ✓", limit=2
        ),
        ReplyQuery(service_id="svc", templates={"note": "t"}, class_fields={"take": "z"}, klass="1"),
        ReplyQuery(
            service_id="svc", templates={"note": "t"}, class_fields={"take": "note"}, klass="no", offset=3
        ),
    ):
        logs.append(await same(lambda s, q=query: s.reply_log(q)))
    # the replies and their copies are found; a class recorded as a number matches no class asked for
    assert [(len(rows), total) for rows, total in logs] == [
        (13, 13),
        (4, 4),
        (3, 8),
        (0, 8),
        (3, 3),
        (2, 5),
        (0, 0),
        (0, 0),
    ]
    assert logs[2][0][0].copies == ("0500",) and logs[4][0][0].klass == "take ✓"
    outbound = (await pair.pg.list_outbox(tickets[5].id))[0].gateway_request_id
    assert await pair.pg.ticket_of_messages(["<other@x>"], [outbound]) == tickets[5].id

    # --- the audit chain ------------------------------------------------------------------------
    await same(lambda s: s.verify_event_chains())
    await same(lambda s: s.rechain_events(reason="nothing to seal", now=NOW))
    await same(lambda s: s.audit_chain_log())
    assert await pair.pg.integrity_check() == await pair.sqlite.integrity_check() == "ok"
