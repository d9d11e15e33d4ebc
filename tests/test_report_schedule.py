"""Scheduled report e-mails (issue 11): tickets made through the real ticket service on a real SQLite file,
the scheduler driven by a clock, the outbox delivered by the real dispatcher to a real SMTP server on
loopback (aiosmtpd), the attachments read back (CSV with its BOM, XLSX with openpyxl). Exactly once across
a restart, a missed week made up once, two OS processes racing on one file, and a process SIGKILLed in
the middle of queueing."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from server.cli import main
from server.notify.dispatcher import Dispatcher
from server.notify.gateways import SmtpGateway
from server.reports.schedule import LEASE_TTL, ReportScheduler, latest_due
from server.store.records import OutboxMessage
from tests.test_dispatcher import Clock, SmtpServer
from tests.test_reports import DIRECTOR, weekly_scenario
from tests.test_staff_ticket import HEAD, OTHER_HEAD
from tests.web import client_for, db_for

ROOT = Path(__file__).resolve().parent.parent
WEDNESDAY = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Riyadh, week of Nov 22
DUE = dt.datetime(2026, 11, 29, 4, 30, tzinfo=dt.UTC)  # Sunday 07:30 in Riyadh: last week's report
WEEK = "week:2026-11-22"
PEOPLE = [
    (HEAD, "head.classrooms@uqu.example"),
    (OTHER_HEAD, "head.maintenance@uqu.example"),
    (DIRECTOR, "director@uqu.example"),
]
EMAILS = {who[0]: address for who, address in PEOPLE}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


async def scenario(tmp_path: Path, clock: Clock) -> dict[str, Any]:
    """The weekly scenario of tests/test_reports.py, made on Wednesday, with the heads and the director
    given e-mail addresses; the scheduler first sees the reports then (nothing is due for it yet)."""
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        runtime.tickets.clock = clock
        for (username, roles, department), address in PEOPLE:
            await runtime.store.add_user(
                username=username,
                name=f"{username} name",
                roles=roles,
                department=department,
                email=address,
                now=clock(),
            )
        made = await weekly_scenario(client)
        first = ReportScheduler(runtime)
        assert await first() == [] and first.leased  # periods due before it first ran are not made up
    return made


async def round_at(tmp_path: Path, clock: Clock, at: dt.datetime) -> tuple[list[Any], bool]:
    """Open the server's store and runtime, run one scheduler round at ``at``, close."""
    clock.now = at
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        runtime.tickets.clock = clock
        scheduler = ReportScheduler(runtime)
        sent = await scheduler()
    return [(s.report, s.period, s.messages) for s in sent], scheduler.leased


async def deliver(tmp_path: Path, clock: Clock, smtp: SmtpServer) -> list[OutboxMessage]:
    """Run the dispatcher until the outbox is empty; the report messages as stored."""
    async with client_for(tmp_path) as client:
        store = client.app.state.runtime.store
        gateway = SmtpGateway("127.0.0.1", smtp.port, sender="khidma@uqu.example", timeout=10)
        dispatcher = Dispatcher(store, {"email": gateway}, clock=clock)
        while (await dispatcher.run_once()).attempted:
            pass
        return [m for m in await store.list_outbox() if m.template == "report"]


def received(smtp: SmtpServer, messages: list[OutboxMessage]) -> list[EmailMessage]:
    """The mails the SMTP server received for these report messages (the tickets' own notifications aside)."""
    ids = {f"<{m.gateway_request_id}@khidma>" for m in messages}
    return [m for m in smtp.mailbox.received if m["Message-ID"] in ids]


def to(smtp: SmtpServer, address: str, report_word: str) -> list[EmailMessage]:
    return [m for m in smtp.mailbox.received if m["To"] == address and report_word in str(m["Subject"])]


def parts(mail: EmailMessage) -> dict[str, bytes]:
    return {
        str(part.get_filename()): part.get_payload(decode=True)  # type: ignore[misc]
        for part in mail.iter_attachments()
    }


async def test_weekly_report_is_mailed_once_with_its_figures_and_files(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    clock = Clock(WEDNESDAY)
    made = await scenario(tmp_path, clock)
    early, _ = await round_at(tmp_path, clock, DUE - dt.timedelta(minutes=1))
    on_time, leased = await round_at(tmp_path, clock, DUE)
    # the server restarts after the run was queued: nothing more
    again, _ = await round_at(tmp_path, clock, DUE + dt.timedelta(minutes=1))
    messages = await deliver(tmp_path, clock, smtp)
    cli = await asyncio.to_thread(
        main, ["report", "send", "weekly_department", "--period", WEEK, "--db", db_for(tmp_path)]
    )
    assert early == [] and again == [] and leased
    assert sorted(on_time) == [("supplies_unavailable", WEEK, 1), ("weekly_department", WEEK, 3)]
    assert cli == 3  # `khidma report send`: already sent for this week
    assert len(messages) == 4 and {m.status for m in messages} == {"sent"}
    assert all(m.ticket_id is None and m.event_id is None for m in messages)
    assert len(received(smtp, messages)) == 4  # exactly once each
    # the head of Classrooms: the department's figures, bilingual, as text, HTML and files
    (head_mail,) = to(smtp, EMAILS[HEAD[0]], "Weekly")
    assert head_mail.get_content_type() == "multipart/mixed"
    alternative = next(p for p in head_mail.iter_parts() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    html_part = next(p for p in alternative.iter_parts() if p.get_content_type() == "text/html")
    page = html_part.get_content()  # type: ignore[attr-defined]
    assert (
        'dir="rtl"' in page and 'dir="ltr"' in page and "مفتوحة/محوّلة" in page and "Open/transferred" in page
    )
    text = next(p for p in alternative.iter_parts() if p.get_content_type() == "text/plain").get_content()  # type: ignore[attr-defined]
    assert "  Open/transferred: 2" in text and "  Closed: 2" in text and "  مغلقة: 2" in text
    files = parts(head_mail)
    stem = "weekly_department-week-2026-11-22-classrooms"
    assert sorted(files) == sorted(
        f"{stem}-{lang}.{ext}" for lang in ("ar", "en") for ext in ("svg", "csv", "xlsx")
    )
    arabic_csv = files[f"{stem}-ar.csv"]
    assert arabic_csv.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(arabic_csv.decode("utf-8-sig"))))
    assert (
        ["مفتوحة/محوّلة", "2"] in rows and ["مغلقة", "2"] in rows and ["الإجمالي (غير المغلقة)", "2"] in rows
    )
    sheet = openpyxl.load_workbook(io.BytesIO(files[f"{stem}-en.xlsx"])).active
    values = {(r[0], r[1]) for r in sheet.iter_rows(values_only=True) if len(r) > 1}
    assert ("Open/transferred", 2) in values and ("Closed", 2) in values
    assert b"<svg" in files[f"{stem}-en.svg"] and b"<title>" in files[f"{stem}-en.svg"]
    # the maintenance head gets their own department's; the director every department's
    (other_mail,) = to(smtp, EMAILS[OTHER_HEAD[0]], "Weekly")
    other_text = next(p for p in other_mail.walk() if p.get_content_type() == "text/plain").get_content()  # type: ignore[attr-defined]
    assert "  Open/transferred: 1" in other_text and "  Closed: 0" in other_text
    (director_mail,) = to(smtp, EMAILS[DIRECTOR[0]], "Weekly")
    director_rows = list(
        csv.reader(
            io.StringIO(parts(director_mail)["weekly_department-week-2026-11-22-en.csv"].decode("utf-8-sig"))
        )
    )
    assert ["Open/transferred", "3"] in director_rows and ["Closed", "2"] in director_rows
    # the supplies digest to the Classrooms head, linking the ticket to reopen
    (digest,) = to(smtp, EMAILS[HEAD[0]], "supply was unavailable")
    digest_html = next(p for p in digest.walk() if p.get_content_type() == "text/html").get_content()  # type: ignore[attr-defined]
    assert f'href="http://testserver.local/staff/tickets/{made["unavailable"].id}"' in digest_html


async def test_missed_weeks_are_made_up_once_for_the_latest_only(tmp_path: Path, smtp: SmtpServer) -> None:
    clock = Clock(WEDNESDAY)
    await scenario(tmp_path, clock)
    # the server is down from Wednesday until Tuesday, 16 days later: two Sundays were missed
    sent, _ = await round_at(tmp_path, clock, WEDNESDAY + dt.timedelta(days=20))
    again, _ = await round_at(tmp_path, clock, WEDNESDAY + dt.timedelta(days=20, hours=1))
    messages = await deliver(tmp_path, clock, smtp)
    # the latest missed week only (not week:2026-11-29); November's monthly reports fell due on Dec 1
    assert sorted(sent) == [
        ("satisfaction_employees", "month:2026-11", 1),
        ("satisfaction_services", "month:2026-11", 3),
        ("supplies_unavailable", "week:2026-12-06", 1),
        ("weekly_department", "week:2026-12-06", 3),
    ]
    assert again == []
    assert len(messages) == len(received(smtp, messages)) == 8
    assert {m["To"] for m in received(smtp, messages)} == set(EMAILS.values())


def test_latest_due_period_follows_the_schedule(tmp_path: Path) -> None:
    from server.runtime import load_shipped
    from server.settings import Settings

    org = load_shipped(Settings(db_path=tmp_path / "k.db")).organisation
    weekly = org.reports["weekly_department"]
    before = latest_due(weekly, org, DUE - dt.timedelta(seconds=1))
    at = latest_due(weekly, org, DUE)
    assert before is not None and before.token == "week:2026-11-15"
    assert at is not None and at.token == WEEK
    semester = latest_due(org.reports["semester_completed"], org, DUE)
    assert semester is not None and semester.token == "semester:2026-01-11"  # due the day after it ended
    monthly = latest_due(
        org.reports["satisfaction_services"], org, dt.datetime(2026, 12, 1, 4, 29, tzinfo=dt.UTC)
    )
    assert monthly is not None and monthly.token == "month:2026-10"
    assert latest_due(org.reports["overdue"], org, DUE) is None  # no schedule


# --- other processes: racing on one file, and killed --------------------------------------------------


def process(db: str, now: dt.datetime, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.report_schedule_proc", db, now.isoformat(), *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL: no clean-up, no COMMIT, no lease let go."""
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # reaped, its pipes closed
    assert proc.returncode == -signal.SIGKILL


def answer(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


async def test_two_processes_on_one_file_send_one_set(tmp_path: Path, smtp: SmtpServer) -> None:
    clock = Clock(WEDNESDAY)
    await scenario(tmp_path, clock)
    go = tmp_path / "go"
    racers = [process(db_for(tmp_path), DUE, "--wait-for", str(go)) for _ in range(2)]
    go.touch()
    answers = [answer(p) for p in racers]
    clock.now = DUE
    messages = await deliver(tmp_path, clock, smtp)
    # one queues the runs; the other either finds the lease held or, after it, the runs already queued
    assert sorted(len(a["queued"]) for a in answers) == [0, 2]
    winner = next(a for a in answers if a["queued"])
    assert winner["leased"]
    assert sorted(map(tuple, winner["queued"])) == [
        ("supplies_unavailable", WEEK, 1),
        ("weekly_department", WEEK, 3),
    ]
    assert len(messages) == len(received(smtp, messages)) == 4


async def test_killed_inside_the_transaction_then_sent_exactly_once(tmp_path: Path, smtp: SmtpServer) -> None:
    clock = Clock(WEDNESDAY)
    await scenario(tmp_path, clock)
    doomed = process(db_for(tmp_path), DUE, "--hang-inside")
    assert doomed.stdout is not None and doomed.stdout.readline().strip() == "inside"
    kill(doomed)  # rows written, not committed
    nothing = await deliver(tmp_path, clock, smtp)
    # the dead process still holds the lease until it expires; then the run is made, once
    held, leased_while_held = await round_at(tmp_path, clock, DUE + dt.timedelta(minutes=1))
    sent, leased = await round_at(tmp_path, clock, DUE + LEASE_TTL + dt.timedelta(seconds=1))
    again, _ = await round_at(tmp_path, clock, DUE + LEASE_TTL + dt.timedelta(minutes=2))
    messages = await deliver(tmp_path, clock, smtp)
    assert nothing == [] and held == [] and not leased_while_held
    assert leased and sorted(sent) == [("supplies_unavailable", WEEK, 1), ("weekly_department", WEEK, 3)]
    assert again == []
    assert len(messages) == len(received(smtp, messages)) == 4


async def test_killed_after_queueing_then_delivered_exactly_once(tmp_path: Path, smtp: SmtpServer) -> None:
    clock = Clock(WEDNESDAY)
    await scenario(tmp_path, clock)
    doomed = process(db_for(tmp_path), DUE, "--hang-after")
    assert doomed.stdout is not None
    first = json.loads(doomed.stdout.readline())
    assert doomed.stdout.readline().strip() == "queued"
    kill(doomed)  # committed; nothing sent yet
    after, _ = await round_at(tmp_path, clock, DUE + LEASE_TTL + dt.timedelta(minutes=1))
    messages = await deliver(tmp_path, clock, smtp)
    assert len(first["queued"]) == 2 and after == []
    assert len(messages) == len(received(smtp, messages)) == 4


# --- publishing an organisation checks its reports against every service --------------------------------


async def test_publishing_an_organisation_refuses_an_unknown_report_state_or_field(tmp_path: Path) -> None:
    from tests.test_requester_pages import login
    from tests.web import csrf_of, html

    en = {"accept-language": "en"}
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        await login(client, "admin", ["administrator"])
        page = await client.get("/admin/organisation/", headers=en)
        org = json.loads(html(page.text).css_first("#organisation-text").text())  # type: ignore[union-attr]
        reports = dict(org["reports"])
        reports["weekly_department"] = {**reports["weekly_department"], "where": {"states": ["nowhere"]}}
        reports["by_field"] = {
            "name": {"ar": "حسب الحقل", "en": "By field"},
            "services": ["supplies"],
            "groups": [{"by": "field", "name": "no_such_field"}],
        }
        data = {
            "_csrf_token": csrf_of(page.text),
            "text": json.dumps({**org, "reports": reports}, ensure_ascii=False),
            "action": "publish",
        }
        refused = await client.post("/admin/organisation/", data=data, headers=en)
        version = await runtime.store.latest_definition("supplies")
    assert refused.status_code == 422
    pointers = {n.attributes["data-pointer"] for n in html(refused.text).css("#organisation-errors li")}
    assert {"/reports/weekly_department/where/states/0", "/reports/by_field/groups/0/name"} <= pointers
    assert version is not None and version.version == 1  # nothing published


async def test_report_mails_keep_the_outbox_rules_retry_dead_and_isolation(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    from tests.test_requester_pages import login
    from tests.web import html

    clock = Clock(WEDNESDAY)
    await scenario(tmp_path, clock)
    await round_at(tmp_path, clock, DUE)
    smtp.mailbox.refuse[EMAILS[DIRECTOR[0]]] = "550 5.1.1 No such user"  # permanent: dead at once
    smtp.mailbox.refuse[EMAILS[OTHER_HEAD[0]]] = "452 4.2.2 Mailbox full"  # temporary: retried later
    first = await deliver(tmp_path, clock, smtp)
    status = sorted((m.recipient, m.status) for m in first)
    retry_at = next(m.next_attempt_at for m in first if m.recipient == EMAILS[OTHER_HEAD[0]])
    del smtp.mailbox.refuse[EMAILS[OTHER_HEAD[0]]]
    clock.now = retry_at
    second = await deliver(tmp_path, clock, smtp)
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"])
        outbox = await client.get("/admin/outbox", headers={"accept-language": "en"})
    # one refused address does not hold back the others; the temporary failure is retried and sent
    assert status == sorted(
        [
            (EMAILS[HEAD[0]], "sent"),
            (EMAILS[HEAD[0]], "sent"),
            (EMAILS[OTHER_HEAD[0]], "failed"),
            (EMAILS[DIRECTOR[0]], "dead"),
        ]
    )
    assert retry_at > DUE
    assert sorted(m.status for m in second) == ["dead", "sent", "sent", "sent"]
    head_mails = [m for m in received(smtp, second) if m["To"] == EMAILS[HEAD[0]]]
    assert len(head_mails) == 2  # the weekly report and the supplies digest, once each
    # the administrator sees the dead report e-mail, with no ticket to link to
    dead = next(m for m in second if m.status == "dead")
    row = html(outbox.text).css_first(f"#outbox-{dead.id}")
    assert outbox.status_code == 200 and row is not None
    assert row.css_first("td").text().strip() == "—" and "550" in row.text()


def test_report_send_exit_codes(tmp_path: Path, capsys: Any) -> None:
    db = db_for(tmp_path)
    first = main(["report", "send", "semester_completed", "--period", "semester:2026-01-11", "--db", db])
    first_out = capsys.readouterr().out
    second = main(["report", "send", "semester_completed", "--period", "semester:2026-01-11", "--db", db])
    second_out = capsys.readouterr().out
    unknown = main(["report", "send", "no_such_report", "--db", db])
    no_term = main(["report", "send", "semester_completed", "--period", "semester:2020-01-01", "--db", db])
    assert first == 0 and "semester:2026-01-11: 0 e-mail(s) queued" in first_out  # nobody has an address
    assert second == 3 and "already sent" in second_out
    assert unknown == 2 and no_term == 2


async def test_figures_counted_in_sql_equal_the_figures_of_the_tickets(tmp_path: Path) -> None:
    """The page, the files and the e-mail count in SQL (``detail=False``); the drill-down and the API read
    every ticket: both give the same figures, this week (the state now) and at a past week's end (from
    the history), for one department and for all."""
    from server.reports import periods
    from server.reports.service import build

    clock = Clock(WEDNESDAY)
    await scenario(tmp_path, clock)
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        runtime.tickets.clock = clock
        clock.now = WEDNESDAY + dt.timedelta(days=8)  # the next week: last week is the scenario's
        compared = []
        for report_id, token in (
            ("weekly_department", WEEK),
            ("weekly_department", "week:2026-11-29"),
            ("semester_completed", "semester:2026-08-23"),
            ("semiannual_unit", "half_year:2026-07-01"),
        ):
            period = periods.parse(token, runtime.org, clock.now.date())
            for department in (None, "classrooms", "maintenance_center"):
                figures = []
                for detail in (True, False):
                    result = await build(
                        runtime, report_id, period, None, department=department, trusted=True, detail=detail
                    )
                    figures.append([[(r.key, r.value) for r in table.rows] for table in result.tables])
                compared.append((report_id, token, department, figures[0], figures[1]))
    for report_id, token, department, detailed, counted in compared:
        assert detailed == counted, (report_id, token, department)
    weekly = {(r, t, d): f for r, t, d, f, _ in compared}
    assert weekly[("weekly_department", WEEK, "classrooms")] == [
        [("open", 2), ("pending", 0), ("in_progress", 0), ("closed", 2), ("total_open", 2)]
    ]


@pytest.mark.single_backend("replays SQLite migration 0009 on a file at 0008")
async def test_migration_0009_keeps_every_outbox_row(tmp_path: Path) -> None:
    """The outbox is rebuilt (ticket_id nullable, html): a database at 0008 with notifications keeps them."""
    from server.engine.model import Actor
    from server.runtime import load_shipped
    from server.settings import Settings
    from server.store import migrate
    from server.store.sqlite import open_store
    from server.store.sqlite_connection import connect
    from server.tickets.service import TicketService
    from server.working_time import WorkingCalendar
    from tests.test_requester_pages import example

    # tickets made by today's code on a database with every migration, then copied, column by column
    # as 0008 knew them, into a database at 0008 (today's code writes columns 0008 does not have)
    source = tmp_path / "new.db"
    current = await open_store(source)
    try:
        catalogue = load_shipped(Settings(db_path=source))
        tickets = TicketService(current, WorkingCalendar.from_definition(catalogue.organisation.calendar))
        await tickets.publish_shipped(catalogue)
        for _ in range(2):
            await tickets.submit(
                "supplies",
                example("supplies"),
                channel="web",
                actor=Actor(id=None, roles=frozenset({"requester"})),
            )
    finally:
        await current.close()
    path = tmp_path / "old.db"
    writer = await connect(path, synchronous="FULL", read_only=False)
    try:
        await migrate.migrate(writer, now=WEDNESDAY, migrations=migrate.load_migrations()[:8])
        await writer.execute("ATTACH DATABASE ? AS new", (str(source),))
        for table in ("definition_versions", "tickets", "events", "outbox"):
            old_columns = [r[1] for r in await writer.execute_fetchall(f"PRAGMA main.table_info({table})")]
            new_columns = {r[1] for r in await writer.execute_fetchall(f"PRAGMA new.table_info({table})")}
            columns = ", ".join(c for c in old_columns if c in new_columns)
            await writer.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM new.{table}")
        await writer.commit()
        await writer.execute("DETACH DATABASE new")
        rows = await writer.execute_fetchall(
            "SELECT id, ticket_id, event_id, status, gateway_request_id FROM outbox"
        )
        before = sorted(tuple(r) for r in rows)
    finally:
        await writer.close()
    store = await open_store(path)
    try:
        after = sorted(
            (m.id, m.ticket_id, m.event_id, m.status, m.gateway_request_id) for m in await store.list_outbox()
        )
    finally:
        await store.close()
    assert len(before) >= 2 and after == before
