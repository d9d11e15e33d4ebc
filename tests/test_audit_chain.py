"""The audit chain: events sealed with an HMAC chained per ticket under a key the database never holds;
`khidma audit verify` finds an edited event even when the attacker recomputed a chain without the key.
Sealing, verifying, the database's refusal to edit an event, and re-chaining run on both backends
(``store_db``, tests/pg.py); the forgeries are written into the SQLite file behind its triggers (the
verification that finds them is one code path for both)."""

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

import psycopg
import pytest

from server.admin import migrate
from server.audit.chain import CHAIN_VERSION, FIELDS, canonical_data, seal, sealed_values
from server.audit.keys import AuditKeyError, audit_key, derived_key
from server.definitions.bundle import bundle_for
from server.settings import Secret, Settings
from server.store.interface import Store
from server.store.open import is_postgres_url, open_any
from server.tickets.service import TicketService
from server.working_time import WorkingCalendar
from tests.engine_harness import catalogue
from tests.test_ticket_service import CS, NOW, Clock, act, submit

Chained = tuple[str, Store, TicketService]
KEY = "a-test-audit-key-of-at-least-32-characters!"
OTHER_KEY = b"what an attacker would use instead, without the key"


SQLITE_ONLY = pytest.mark.parametrize("store_db", ["sqlite"], indirect=True)
"""A test that forges events in the SQLite file (behind its triggers) runs on that backend only."""


def raw_sql(db: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """One statement on the database outside the store (``?`` placeholders), committed; its rows."""
    if is_postgres_url(db):
        with psycopg.connect(db, autocommit=True) as pg:
            cursor = pg.execute(sql.replace("?", "%s").encode(), params)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        return conn.execute(sql, params).fetchall()


def unseal_every_event(db: str) -> None:
    """Make the events look as they did before the chain (SQLite 0007): no seals. On PostgreSQL the
    guard is back on afterwards, so the sealing that follows runs under it."""
    clear = "UPDATE events SET mac = NULL, chain_version = NULL, field_tags = NULL"
    if is_postgres_url(db):
        raw_sql(db, "ALTER TABLE events DISABLE TRIGGER events_append_only")
        raw_sql(db, clear)
        raw_sql(db, "ALTER TABLE events ENABLE TRIGGER events_append_only")
    else:
        raw_sql(db, "DROP TRIGGER events_sealed_once")
        raw_sql(db, clear)


async def _service(db: str, key: bytes, files: Path) -> tuple[Store, TicketService]:
    store = await open_any(db, files, audit_key=key)
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
async def chained(store_db: str, tmp_path: Path) -> AsyncIterator[Chained]:
    """A real store with two tickets driven through the service (several events each)."""
    path = store_db
    store, service = await _service(path, KEY.encode(), tmp_path / "files")
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
    rows = raw_sql(path, "SELECT mac, chain_version, field_tags FROM events")
    assert all(mac and version == CHAIN_VERSION and tags for mac, version, tags in rows)
    assert len({mac for mac, _, _ in rows}) == len(rows)

    # the same database under another key does not verify: the key is what the seal proves
    other = await open_any(path, audit_key=OTHER_KEY)
    _, _, other_breaks = await other.verify_event_chains()
    await other.close()
    assert len(other_breaks) == 2 and {b.seq for b in other_breaks} == {1}


async def test_the_cli_verifies_and_exits_zero(chained: Chained, tmp_path: Path) -> None:
    path, store, _ = chained
    await store.close()
    done = run_cli("audit", "verify", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert "2 tickets" in done.stdout and "0 broken" in done.stdout
    assert KEY not in done.stdout + done.stderr
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    assert (
        run_cli("audit", "verify", "--db", str(path), "--key-file", str(key_file), key=None).returncode == 0
    )
    assert run_cli("audit", "verify", "--db", str(path), key=None, key_file=key_file).returncode == 0
    key_file.write_text("too short")
    short = run_cli("audit", "verify", "--db", str(path), key=None, key_file=key_file)
    assert short.returncode == 2 and "shorter than 32" in short.stderr and "too short" not in short.stderr


def _tamper(path: str, ticket_id: int, seq: int, *, tags_too: bool = False, **changes: object) -> None:
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


@SQLITE_ONLY
@pytest.mark.single_backend("forges events in the SQLite file")
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


@SQLITE_ONLY
@pytest.mark.single_backend("forges events in the SQLite file")
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


@SQLITE_ONLY
@pytest.mark.single_backend("forges events in the SQLite file")
@pytest.mark.parametrize(("column", "value"), [("actor_name", "someone else"), ("to_state", "closed")])
async def test_the_field_that_was_changed_is_named(chained: Chained, column: str, value: str) -> None:
    path, store, _ = chained
    await store.close()
    conn = sqlite3.connect(path)
    (ticket_id,) = conn.execute("SELECT id FROM tickets ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    _tamper(path, ticket_id, 1, **{column: value})
    async with await open_any(path, audit_key=KEY.encode()) as reopened:
        _, _, breaks = await reopened.verify_event_chains()
    assert [(b.ticket_id, b.seq, b.field) for b in breaks] == [(ticket_id, 1, column)]


@SQLITE_ONLY
@pytest.mark.single_backend("forges events in the SQLite file")
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
    async with await open_any(path, audit_key=KEY.encode()) as reopened:
        _, _, breaks = await reopened.verify_event_chains()
    assert [(b.ticket_id, b.seq, b.field) for b in breaks] == [(ticket_id, 2, "seq")]


async def test_the_database_refuses_to_edit_an_event_or_reseal_it(chained: Chained) -> None:
    path, store, _ = chained
    await store.close()
    refused = (psycopg.errors.IntegrityError, sqlite3.IntegrityError)
    with pytest.raises(refused, match="append-only"):
        raw_sql(path, "UPDATE events SET data = '{}' WHERE seq = 1")
    with pytest.raises(refused, match="sealed once"):
        raw_sql(path, "UPDATE events SET mac = 'x' WHERE seq = 1")
    with pytest.raises(refused, match="append-only"):
        raw_sql(path, "DELETE FROM events WHERE seq = 1")


async def test_events_from_before_the_chain_are_sealed_by_rechain_which_is_recorded(
    store_db: str, tmp_path: Path
) -> None:
    path = store_db
    store, service = await _service(path, KEY.encode(), tmp_path / "files")
    old = await submit(service)
    await act(service, old, CS, "route_to_department")
    untouched = await submit(service)
    await store.close()
    # as a database from before the chain (SQLite 0007) looks once upgraded: events without seals
    unseal_every_event(path)

    store, service = await _service(path, KEY.encode(), tmp_path / "files")
    _, _, breaks = await store.verify_event_chains()
    assert {(b.seq, b.field) for b in breaks} == {(1, "chain")}
    await store.close()

    done = run_cli("audit", "rechain", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert "sealed 3 event(s) of 2 ticket(s)" in done.stdout
    assert run_cli("audit", "verify", "--db", str(path)).returncode == 0
    again = run_cli("audit", "rechain", "--db", str(path))
    assert "sealed 0 event(s)" in again.stdout  # a sealed event is never resealed
    async with await open_any(path, tmp_path / "files", audit_key=KEY.encode()) as reopened:
        log = await reopened.audit_chain_log()
    assert [(e["action"], e["tickets"], e["events"]) for e in log] == [("rechain", 2, 3), ("rechain", 0, 0)]
    assert untouched.id


async def test_a_new_event_on_an_unsealed_ticket_seals_its_history_first(
    store_db: str, tmp_path: Path
) -> None:
    path = store_db
    store, service = await _service(path, KEY.encode(), tmp_path / "files")
    ticket = await submit(service)
    await store.close()
    unseal_every_event(path)
    store, service = await _service(path, KEY.encode(), tmp_path / "files")
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


@pytest.mark.single_backend("reads every byte of the SQLite file for the key")
async def test_the_key_never_reaches_the_database_or_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = str(tmp_path / "khidma.db")
    with caplog.at_level(logging.DEBUG):
        store, service = await _service(path, KEY.encode(), tmp_path / "files")
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
