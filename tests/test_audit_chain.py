"""The audit chain: events sealed with an HMAC chained per ticket under a key the database never holds;
`khidma audit verify` finds an edited event even when the attacker recomputed a chain without the key."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.admin import migrate
from server.audit.chain import CHAIN_VERSION, FIELDS, canonical_data, seal, sealed_values
from server.audit.keys import AuditKeyError, audit_key, derived_key
from server.definitions.bundle import bundle_for
from server.settings import Secret, Settings
from server.store.sqlite import SQLiteStore, open_store
from server.tickets.service import TicketService
from server.working_time import WorkingCalendar
from tests.engine_harness import catalogue
from tests.test_ticket_service import CS, NOW, Clock, act, submit

Chained = tuple[Path, SQLiteStore, TicketService]
KEY = "a-test-audit-key-of-at-least-32-characters!"
OTHER_KEY = b"what an attacker would use instead, without the key"


async def _service(path: Path, key: bytes) -> tuple[SQLiteStore, TicketService]:
    store = await open_store(path, audit_key=key)
    if await store.get_user("cs-1") is not None:
        key_users: list[tuple[str, str, list[str], str | None]] = []
    else:
        key_users = [
            ("cs-1", "cs", ["customer_service"], "customer_service"),
            ("head-cls", "head", ["department_head"], "classrooms"),
            ("req-1", "college", ["requester"], None),
        ]
    for uid, username, roles, dept in key_users:
        await store.add_user(
            id=uid, username=username, name=username, roles=roles, department=dept, email=None, now=NOW
        )
    cat = catalogue()
    service = TicketService(
        store, WorkingCalendar.from_definition(cat.organisation.calendar), base_url="https://x", clock=Clock()
    )
    await service.publish_shipped(cat)
    return store, service


@pytest.fixture
async def chained(tmp_path: Path) -> AsyncIterator[Chained]:
    """A real store with two tickets driven through the service (several events each)."""
    path = tmp_path / "khidma.db"
    store, service = await _service(path, KEY.encode())
    first = await submit(service)
    first = await act(service, first, CS, "route_to_department")
    second = await submit(service)
    await act(service, second, CS, "route_to_department")
    yield path, store, service
    with contextlib.suppress(ValueError):  # closed already by a test that then works on the file
        await store.close()


def run_cli(
    *args: str, key: str | None = KEY, key_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "KHIDMA_SECRET": "a demo secret"}
    if key is not None:
        env["KHIDMA_AUDIT_KEY"] = key
    if key_file is not None:
        env["KHIDMA_AUDIT_KEY_FILE"] = str(key_file)
    return subprocess.run(
        [sys.executable, "-m", "server", *args], capture_output=True, text=True, env=env, check=False
    )


async def test_every_event_written_through_the_service_is_sealed_and_verifies(chained: Chained) -> None:
    path, store, _ = chained
    tickets, events, breaks = await store.verify_event_chains()
    assert (tickets, breaks) == (2, []) and events >= 4
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT mac, chain_version, field_tags FROM events").fetchall()
    conn.close()
    assert all(mac and version == CHAIN_VERSION and tags for mac, version, tags in rows)
    assert len({mac for mac, _, _ in rows}) == len(rows)

    # the same database under another key does not verify: the key is what the seal proves
    other = await open_store(path, audit_key=OTHER_KEY)
    _, _, other_breaks = await other.verify_event_chains()
    await other.close()
    assert len(other_breaks) == 2 and {b.seq for b in other_breaks} == {1}


async def test_the_cli_verifies_and_exits_zero(chained: Chained) -> None:
    path, store, _ = chained
    await store.close()
    done = run_cli("audit", "verify", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert "2 tickets" in done.stdout and "0 broken" in done.stdout
    assert KEY not in done.stdout + done.stderr
    key_file = path.with_name("audit.key")
    key_file.write_text(KEY + "\n")
    assert (
        run_cli("audit", "verify", "--db", str(path), "--key-file", str(key_file), key=None).returncode == 0
    )
    assert run_cli("audit", "verify", "--db", str(path), key=None, key_file=key_file).returncode == 0
    key_file.write_text("too short")
    short = run_cli("audit", "verify", "--db", str(path), key=None, key_file=key_file)
    assert short.returncode == 2 and "shorter than 32" in short.stderr and "too short" not in short.stderr


def _tamper(path: Path, ticket_id: int, seq: int, *, tags_too: bool = False, **changes: object) -> None:
    """What an attacker with the database (but not the key) does: drop the triggers, edit the event, and
    recompute the seals of the ticket from there on with a key of their own (``tags_too``: the field
    tags as well)."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_sealed_once")
    for column, value in changes.items():
        conn.execute(
            f"UPDATE events SET {column} = ? WHERE ticket_id = ? AND seq = ?", (value, ticket_id, seq)
        )
    rows = conn.execute("SELECT * FROM events WHERE ticket_id = ? ORDER BY seq", (ticket_id,)).fetchall()
    prev = None
    for row in rows:
        if row["seq"] < seq:
            prev = row["mac"]
            continue
        forged = seal(OTHER_KEY, sealed_values(row), prev)
        tags = forged.tags_text() if tags_too else row["field_tags"]
        conn.execute("UPDATE events SET mac = ?, field_tags = ? WHERE id = ?", (forged.mac, tags, row["id"]))
        prev = forged.mac
    conn.commit()
    conn.close()


async def test_an_edited_event_with_a_keyless_recomputed_chain_is_found_and_named(chained: Chained) -> None:
    path, store, _ = chained
    await store.close()
    conn = sqlite3.connect(path)
    ticket_id, number = conn.execute("SELECT id, number FROM tickets ORDER BY id LIMIT 1").fetchone()
    (data,) = conn.execute("SELECT data FROM events WHERE ticket_id = ? AND seq = 2", (ticket_id,)).fetchone()
    conn.close()
    edited = json.loads(data) | {"note": "nothing to see here"}
    _tamper(path, ticket_id, 2, data=canonical_data(json.dumps(edited)))

    done = run_cli("audit", "verify", "--db", str(path))
    assert done.returncode == 1
    assert f"BROKEN ticket {number} event 2: data: edited" in done.stdout
    assert "1 broken chain(s)" in done.stdout  # the other ticket still verifies


async def test_an_event_resealed_whole_with_another_key_is_found(chained: Chained) -> None:
    path, store, _ = chained
    await store.close()
    conn = sqlite3.connect(path)
    ticket_id, number = conn.execute("SELECT id, number FROM tickets ORDER BY id LIMIT 1").fetchone()
    conn.close()
    _tamper(path, ticket_id, 2, tags_too=True, actor_name="someone else")
    done = run_cli("audit", "verify", "--db", str(path))
    assert done.returncode == 1
    assert f"BROKEN ticket {number} event 2: seal: no field verifies" in done.stdout


@pytest.mark.parametrize(("column", "value"), [("actor_name", "someone else"), ("to_state", "closed")])
async def test_the_field_that_was_changed_is_named(chained: Chained, column: str, value: str) -> None:
    path, store, _ = chained
    await store.close()
    conn = sqlite3.connect(path)
    (ticket_id,) = conn.execute("SELECT id FROM tickets ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    _tamper(path, ticket_id, 1, **{column: value})
    async with await open_store(path, audit_key=KEY.encode()) as reopened:
        _, _, breaks = await reopened.verify_event_chains()
    assert [(b.ticket_id, b.seq, b.field) for b in breaks] == [(ticket_id, 1, column)]


async def test_a_removed_event_breaks_the_next_link(chained: Chained) -> None:
    path, store, _ = chained
    await store.close()
    conn = sqlite3.connect(path)
    (ticket_id,) = conn.execute("SELECT id FROM tickets ORDER BY id LIMIT 1").fetchone()
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute(
        "DELETE FROM assignments WHERE event_id IN (SELECT id FROM events WHERE ticket_id = ?)", (ticket_id,)
    )
    conn.execute("DELETE FROM outbox WHERE ticket_id = ?", (ticket_id,))
    conn.execute("DELETE FROM events WHERE ticket_id = ? AND seq = 1", (ticket_id,))
    conn.commit()
    conn.close()
    async with await open_store(path, audit_key=KEY.encode()) as reopened:
        _, _, breaks = await reopened.verify_event_chains()
    assert [(b.ticket_id, b.seq, b.field) for b in breaks] == [(ticket_id, 2, "seq")]


async def test_the_database_refuses_to_edit_an_event_or_reseal_it(chained: Chained) -> None:
    path, store, _ = chained
    await store.close()
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET data = '{}' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="sealed once"):
        conn.execute("UPDATE events SET mac = 'x' WHERE seq = 1")
    conn.close()


async def test_events_from_before_the_chain_are_sealed_by_rechain_which_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "khidma.db"
    store, service = await _service(path, KEY.encode())
    old = await submit(service)
    await act(service, old, CS, "route_to_department")
    untouched = await submit(service)
    await store.close()
    # as a database from before 0007 looks once upgraded: events without seals
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER events_sealed_once")
    conn.execute("UPDATE events SET mac = NULL, chain_version = NULL, field_tags = NULL")
    conn.commit()
    conn.close()

    store, service = await _service(path, KEY.encode())
    _, _, breaks = await store.verify_event_chains()
    assert {(b.seq, b.field) for b in breaks} == {(1, "chain")}
    await store.close()

    done = run_cli("audit", "rechain", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert "sealed 3 event(s) of 2 ticket(s)" in done.stdout
    assert run_cli("audit", "verify", "--db", str(path)).returncode == 0
    again = run_cli("audit", "rechain", "--db", str(path))
    assert "sealed 0 event(s)" in again.stdout  # a sealed event is never resealed
    async with await open_store(path, audit_key=KEY.encode()) as reopened:
        log = await reopened.audit_chain_log()
    assert [(e["action"], e["tickets"], e["events"]) for e in log] == [("rechain", 2, 3), ("rechain", 0, 0)]
    assert untouched.id


async def test_a_new_event_on_an_unsealed_ticket_seals_its_history_first(tmp_path: Path) -> None:
    path = tmp_path / "khidma.db"
    store, service = await _service(path, KEY.encode())
    ticket = await submit(service)
    await store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER events_sealed_once")
    conn.execute("UPDATE events SET mac = NULL, chain_version = NULL, field_tags = NULL")
    conn.commit()
    conn.close()
    store, service = await _service(path, KEY.encode())
    await act(service, ticket, CS, "route_to_department")
    assert (await store.verify_event_chains())[2] == []
    assert [e["action"] for e in await store.audit_chain_log()] == ["sealed on write"]
    await store.close()


async def test_moving_tickets_to_a_new_version_keeps_the_chain(chained: Chained) -> None:
    _, store, service = chained
    cat = catalogue()
    old_version = await store.latest_definition("supplies")
    assert old_version is not None
    bundle = bundle_for(cat, "supplies")
    new_version = await store.publish_definition(
        "supplies", bundle, "a-new-hash", created_by="admin", note="v2", now=NOW
    )
    await service.compiled_version(old_version.id)
    new = await service.compiled_version(new_version.id)
    tickets = await store.open_tickets_on(old_version.id)
    ctx = await service.context(new, [], NOW)
    plans = migrate.plan(tickets, new, migrate.Choices(), ctx)
    outcomes = await migrate.run(
        store,
        tickets,
        plans,
        new_version,
        new,
        service.calendar,
        actor_id="admin",
        actor_name="Admin",
        now=NOW + dt.timedelta(hours=1),
    )
    assert [outcome for _, outcome in outcomes] == ["moved", "moved"]
    _, _, breaks = await store.verify_event_chains()
    assert breaks == []
    events = await store.list_events(tickets[0].id)
    assert events[-1].kind == "migration"  # the move is recorded in the history it is sealed into


def test_the_key_comes_from_outside_the_database_and_is_never_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    assert audit_key(Settings(audit_key_file=key_file)) == KEY.encode()
    assert audit_key(Settings(audit_key=Secret(KEY))) == KEY.encode()
    assert KEY not in repr(Settings(audit_key=Secret(KEY)))
    with pytest.raises(AuditKeyError) as short:
        audit_key(Settings(audit_key=Secret("short")))
    assert "short" not in str(short.value).replace("shorter", "")
    with caplog.at_level(logging.WARNING, logger="khidma.audit"):
        assert audit_key(Settings(secret="s3cret")) == derived_key("s3cret")
    assert "no audit key configured" in caplog.text and "s3cret" not in caplog.text


async def test_the_key_never_reaches_the_database_or_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "khidma.db"
    with caplog.at_level(logging.DEBUG):
        store, service = await _service(path, KEY.encode())
        ticket = await submit(service)
        await act(service, ticket, CS, "route_to_department")
        await store.verify_event_chains()
        await store.rechain_events(reason="test", now=NOW)
        await store.close()
    assert KEY not in caplog.text
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert KEY.encode() not in file.read_bytes(), file
    done = run_cli("audit", "verify", "--db", str(path), key=None, key_file=None)
    assert done.returncode == 1  # without the key (here: one derived from another secret) nothing verifies
    assert set(FIELDS) >= {"data", "at", "actor_id", "to_state"}
