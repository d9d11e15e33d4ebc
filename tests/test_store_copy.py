"""``khidma migrate-store``: a SQLite database copied into PostgreSQL and back, every row kept exactly
(the audit chain still verifies), the attachment files brought along, the counts checked, a non-empty
target refused, and a copy whose files cannot come along refused before anything is copied."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.store.open import open_any
from server.store.records import (
    MailAttachment,
    NewEvent,
    NewMail,
    NewMessage,
    NewTicket,
    NewTimer,
    TicketChange,
)
from tests.test_store_equivalence import plain

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
UPLOADS = [(1, "a.txt", b"a"), (2, "b.txt", "ب\x00".encode()), (3, "again.txt", b"a")]
"""Three attachments, two files: the bytes are stored once by content."""


async def attachment_bytes(db: str, files: Path, ids: list[str]) -> dict[str, bytes]:
    """Each attachment's file name and the bytes the store opens for it from ``files``."""
    store = await open_any(db, files)
    try:
        found = await store.get_attachments(ids)
        assert len(found) == len(ids)
        return {a.filename: store.attachment_path(a).read_bytes() for a in found.values()}
    finally:
        await store.close()


def khidma(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args], capture_output=True, text=True, timeout=120
    )


async def populate(db: str, files: Path | None = None) -> list[str]:
    """Fills every table; returns the attachments' ids."""
    store = await open_any(db, files)
    uploads: list[str] = []
    try:
        await store.add_user(
            id="u-1", username="Huda", name="هدى", roles=["it_head", "auditor"], department="it", now=NOW
        )
        await store.add_user(
            id="u-2", username="ali", name="Ali", roles=[], now=NOW, active=False, password_hash="h"
        )
        await store.create_session("u-1", "s-1", now=NOW, expires_at=NOW + timedelta(hours=8))
        await store.create_api_token("u-1", "ci", "t-1", now=NOW)
        await store.record_failed_login(["user:ali"], now=NOW)
        definition = await store.publish_definition(
            "svc", {"z": 1, "a": "ب"}, "h", created_by="u-1", note="", now=NOW
        )
        for n in range(5):
            at = NOW + timedelta(minutes=n)
            event = NewEvent(
                at=at, actor_id="u-1", actor_name="هدى", action="submit", from_state=None, to_state="new",
                data={"z": n, "a": [1.5, None, "✓"]}, visibility="public", kind="created",
            )  # fmt: skip
            ticket, _ = await store.create_ticket(
                NewTicket(
                    service_id="svc", definition_version_id=definition.id, state="new", category="open",
                    department="it", assignee_role="it_staff", assignee_user=None, channel="web",
                    requester_id="u-2", data={"subject": f"s{n}", "b": 1, "a": 2}, vars={},
                    idempotency_key=f"k{n}", search_text=f"s{n}",
                ),
                [event],
                [NewMessage(channel="email", recipient="a@x", template="t", language="ar", subject="s", body="b")],
                [NewTimer(timer="sla", state="new", due_at=at + timedelta(days=1))],
                now=at,
            )  # fmt: skip
            if n % 2:
                change = TicketChange(
                    state="done", category="closed", department="it", assignee_role=None, assignee_user="u-1",
                    vars={"x": n}, closed=True,
                )  # fmt: skip
                await store.apply_change(
                    ticket.id, 1, change, [event], [], [], cancel_pending_timers=True, now=at
                )
        await store.add_survey_response(ticket_id=2, survey_id="sv", answers={"q": 4}, comment="", now=NOW)
        await store.replace_lookup_table("custody", "emp", [{"emp": "e1", "x": 1}, {"emp": 2}])
        await store.add_ready_reply(
            title_ar="أ", title_en="A", body_ar="ب", body_en="B", tags=["t"], active=False
        )
        await store.save_draft("svc", {"f": "x"}, by=None, now=NOW)
        for ticket_id, name, content in UPLOADS:
            added = await store.add_attachment(
                ticket_id=ticket_id,
                field="f",
                filename=name,
                media_type="text/plain",
                content=content,
                now=NOW,
            )
            uploads.append(added.id)
        await store.create_integration_key("mail", "email", "k-1", now=NOW)
        await store.record_inbound_message("<m@x>", 1, "created", now=NOW)
        # a scheduled report's e-mails: no ticket, an HTML alternative, files (bytes kept exactly)
        assert await store.take_lease("reports", "p-1", now=NOW, ttl=timedelta(minutes=5))
        files = (
            MailAttachment(filename="r.csv", content_type="text/csv", content=b"a,b\r\n\x00\xff"),
            MailAttachment(filename="r.png", content_type="image/png", content=bytes(range(256))),
        )
        mails = [
            NewMail(
                recipient="huda@x", recipient_id="u-1", department="it", template="report", language="ar",
                subject="تقرير", body="b", html="<p>ب</p>", attachments=files,
            ),
            NewMail(
                recipient="ali@x", recipient_id="u-2", department=None, template="report", language="en",
                subject="Report", body="b",
            ),
        ]  # fmt: skip
        assert await store.queue_report_run(
            "weekly", "2026-W18", mails, by="schedule", now=NOW, lease=("reports", "p-1")
        )
        await store.report_schedule_since("weekly", now=NOW)
    finally:
        await store.close()
    return uploads


async def snapshot(db: str) -> Any:
    """Everything a store answers about the populated data."""
    store = await open_any(db)
    try:
        tickets = [await store.get_ticket(i) for i in range(1, 6)]
        return plain(
            {
                "tickets": tickets,
                "events": [await store.list_events(i) for i in range(1, 6)],
                "assignments": [await store.list_assignments(i) for i in range(1, 6)],
                "outbox": await store.list_outbox(),
                "timers": await store.due_timers(now=NOW + timedelta(days=9)),
                "users": await store.list_users(),
                "tokens": await store.list_tokens("u-1"),
                "definitions": await store.latest_definitions(),
                "lookups": await store.list_lookup_table("custody"),
                "replies": await store.list_ready_replies(),
                "drafts": await store.list_drafts(),
                "survey": await store.get_survey_response(2),
                "keys": await store.list_integration_keys(),
                "chain": await store.verify_event_chains(),
                "run": await store.report_run("weekly", "2026-W18"),
                "since": await store.report_schedule_since("weekly", now=NOW + timedelta(days=9)),
            }
        )
    finally:
        await store.close()


def rows_of(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in tables
            if t != "schema_migrations"
        }
    finally:
        conn.close()


async def test_sqlite_to_postgresql_and_back_keeps_every_row(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "source.db"
    ids = await populate(str(source))  # its files beside it, in source.db-attachments
    pg_files = tmp_path / "pg-files"
    copied = khidma("migrate-store", "--from", str(source), "--to", pg_url, "--to-attachments", str(pg_files))
    assert copied.returncode == 0, copied.stderr
    assert "attachment files: 2 (2 copied, 0 already there)" in copied.stdout
    uploaded = {name: content for _, name, content in UPLOADS}
    assert await attachment_bytes(pg_url, pg_files, ids) == uploaded
    assert (
        "tickets\t5" in copied.stdout
        and "events\t7" in copied.stdout
        and "every count checked" in copied.stdout
    )
    for table, rows in (("outbox_attachments", 2), ("report_runs", 1), ("report_deliveries", 2)):
        assert f"{table}\t{rows}" in copied.stdout
    for table in ("report_schedules", "leases"):
        assert f"{table}\t1" in copied.stdout
    before = await snapshot(str(source))
    assert before["chain"] == [5, 7, []]
    assert await snapshot(pg_url) == before

    back = tmp_path / "back.db"
    returned = khidma(
        "migrate-store", "--from", pg_url, "--to", str(back), "--from-attachments", str(pg_files)
    )
    assert returned.returncode == 0, returned.stderr
    assert "attachment files: 2 (2 copied, 0 already there)" in returned.stdout
    assert rows_of(back) == rows_of(source)  # every row of every table, byte for byte
    assert await attachment_bytes(str(back), tmp_path / "back.db-attachments", ids) == uploaded

    # PostgreSQL's ids go on after the copied ones; a copy into a database holding data is refused
    store = await open_any(pg_url)
    try:
        definition = await store.latest_definition("svc")
        assert definition is not None
        again = await store.publish_definition("svc", {}, "h2", created_by=None, note="", now=NOW)
        assert again.id == definition.id + 1
        user = await store.create_api_token("u-2", "n", "t-2", now=NOW)
        assert user.id == 2
    finally:
        await store.close()
    refused = khidma(
        "migrate-store", "--from", str(source), "--to", pg_url, "--to-attachments", str(pg_files)
    )
    assert refused.returncode == 1 and "already holds data" in refused.stderr
    both_sqlite = khidma("migrate-store", "--from", str(source), "--to", str(tmp_path / "x.db"))
    assert both_sqlite.returncode == 1 and "one of each" in both_sqlite.stderr


def test_a_missing_source_file_is_refused(tmp_path: Path, pg_url: str) -> None:
    result = khidma("migrate-store", "--from", str(tmp_path / "nowhere.db"), "--to", pg_url)
    assert result.returncode == 1 and "no such SQLite file" in result.stderr


async def test_a_copy_whose_files_cannot_come_along_is_refused_and_copies_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    source = tmp_path / "source.db"
    ids = await populate(str(source))
    pg_files = tmp_path / "pg-files"

    # no directory for the files of a PostgreSQL target
    no_target = khidma("migrate-store", "--from", str(source), "--to", pg_url)
    assert no_target.returncode == 1
    assert "2 attachment file(s)" in no_target.stderr and "--to-attachments DIR" in no_target.stderr
    # a file missing from the source's directory (here: a wrong directory named)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    missing = khidma(
        "migrate-store", "--from", str(source), "--to", pg_url,
        "--from-attachments", str(elsewhere), "--to-attachments", str(pg_files),
    )  # fmt: skip
    assert missing.returncode == 1
    assert f"2 of the 2 attachment file(s) the source database names are not in {elsewhere}" in missing.stderr
    assert not pg_files.exists()  # nothing copied: no file, and (below) no row

    copied = khidma("migrate-store", "--from", str(source), "--to", pg_url, "--to-attachments", str(pg_files))
    assert copied.returncode == 0, copied.stderr
    # back into SQLite: the PostgreSQL database's directory must be named (./khidma-attachments is a guess)
    back = tmp_path / "back.db"
    no_source = khidma("migrate-store", "--from", pg_url, "--to", str(back))
    assert no_source.returncode == 1 and "--from-attachments DIR" in no_source.stderr
    # a file whose bytes are not what its name says is refused, not copied
    store = await open_any(pg_url, pg_files)
    try:
        attachment = await store.get_attachment(ids[1])
        assert attachment is not None
        store.attachment_path(attachment).write_bytes(b"tampered")
    finally:
        await store.close()
    damaged = khidma(
        "migrate-store", "--from", pg_url, "--to", str(back), "--from-attachments", str(pg_files)
    )
    assert damaged.returncode == 1 and "its sha256 differs" in damaged.stderr
    assert rows_of(back)["tickets"] == []  # the rows were not copied either


async def test_files_already_in_the_target_directory_are_kept(tmp_path: Path, pg_url: str) -> None:
    """Servers sharing one directory: the copy's target directory is the source's own."""
    source = tmp_path / "source.db"
    shared = tmp_path / "shared"
    ids = await populate(str(source), shared)
    copied = khidma(
        "migrate-store", "--from", str(source), "--to", pg_url,
        "--from-attachments", str(shared), "--to-attachments", str(shared),
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    assert "attachment files: 2 (0 copied, 2 already there)" in copied.stdout
    assert await attachment_bytes(pg_url, shared, ids) == {name: content for _, name, content in UPLOADS}
