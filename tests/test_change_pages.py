"""Changing a live service through the real app (issue 13, item 5): the migration page's report, dry run,
values supplied for all or for one ticket, a ticket left on its version, the move; the audit trail
labelling each event with its own version (and events from before migration 0010 placed from their
ticket's history); the auditor opening any past version and its diff; importing an unchanged export."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from server.audit.chain import seal, sealed_values
from server.cli import main
from server.definitions.bundle import content_hash
from server.store.migrate import load_migrations
from server.store.sqlite import open_store
from tests.test_admin_editor import EN
from tests.test_audit_chain import KEY, SQLITE_ONLY, Chained, _tamper, chained  # noqa: F401 (the fixture)
from tests.test_requester_pages import login
from tests.test_staff_ticket import AUDITOR, CS, act, routed, store_of, supplies_ticket, token_for
from tests.web import client_for, csrf_of, db_for, html, texts

FORM = "form_schemas/supplies.json"


async def _publish_v2(client: Any, edit: Any, *, crlf: bool = False) -> Any:
    store = store_of(client)
    v1 = await store.latest_definition("supplies")
    files = {path: json.loads(text) for path, text in v1.bundle.items()}
    edit(files)
    newline = "\r\n" if crlf else "\n"
    bundle = {p: json.dumps(d, ensure_ascii=False, indent=2).replace("\n", newline) for p, d in files.items()}
    return await store.publish_definition(
        "supplies", bundle, content_hash(bundle), created_by="admin", note="v2", now=v1.created_at
    )


def _cost_centre_and_short_college(files: dict[str, Any]) -> None:
    form = files[FORM]
    form["properties"]["cost_centre"] = {
        "type": "string",
        "maxLength": 20,
        "x-title": {"ar": "مركز التكلفة", "en": "Cost centre"},
    }
    form["required"].append("cost_centre")
    form["properties"]["college"]["maxLength"] = 10
    for sample in form["examples"]:
        sample["cost_centre"] = "CC-1"
        sample["college"] = "الهندسة"


async def test_the_migration_page_reports_dry_runs_takes_values_and_moves(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        tickets = [await supplies_ticket(client), await routed(client), await supplies_ticket(client)]
        v2 = await _publish_v2(client, _cost_centre_and_short_college)
        await login(client, "admin", ["administrator"])
        report = await client.get(f"/admin/services/supplies/migrate?from=1&to={v2.version}", headers=EN)
        assert report.status_code == 200
        kinds = {n.attributes["data-kind"]: n for n in html(report.text).css("#compat-report tr[data-kind]")}
        assert {"field_added", "constraint_tightened"} <= set(kinds)
        assert (
            kinds["constraint_tightened"].attributes["data-affected"] == "3"
        )  # the example's college is long
        assert "maxLength: 200 → 10" in kinds["constraint_tightened"].text()

        base = {"_csrf_token": csrf_of(report.text), "from": "1", "to": str(v2.version)}
        dry = await client.post("/admin/services/supplies/migrate", data={**base, "dry_run": "1"}, headers=EN)
        rows = html(dry.text).css("#migration-plan tr[data-ticket]")
        assert [r.attributes["data-ok"] for r in rows] == ["no"] * 3
        problems = {li.attributes["data-field"] for li in html(dry.text).css("#migration-plan li")}
        assert problems == {"/cost_centre", "/college"}
        assert html(dry.text).css_first("#defaults input[name='default:cost_centre']") is not None
        assert texts(dry.text, "#would-break") == ["Tickets that will not move until this is resolved: 3"]

        # a value for all, a value for two tickets, the third left on its version
        first, second, third = tickets
        choices = {
            **base,
            "default:cost_centre": "CC-7",
            f"value:{first.id}:college": "الهندسة",
            f"value:{second.id}:college": "العلوم",
            "leave": str(third.id),
        }
        checked = await client.post(
            "/admin/services/supplies/migrate", data={**choices, "dry_run": "1"}, headers=EN
        )
        state = {
            r.attributes["data-ticket"]: r.attributes["data-ok"]
            for r in html(checked.text).css("#migration-plan tr")
            if "data-ticket" in r.attributes
        }
        assert state == {first.number: "yes", second.number: "yes", third.number: "no"}
        assert await store_of(client).open_tickets_on(v2.id) == []  # a dry run writes nothing

        moved = await client.post(
            "/admin/services/supplies/migrate", data={**choices, "dry_run": "0"}, headers=EN
        )
        outcomes = {
            li.attributes["data-ticket"]: li.attributes["data-outcome"]
            for li in html(moved.text).css("#migration-outcomes li")
        }
        assert outcomes == {first.number: "moved", second.number: "moved", third.number: "left"}
        after = [await store_of(client).get_ticket(t.id) for t in tickets]
        assert [t.definition_version_id for t in after] == [v2.id, v2.id, third.definition_version_id]
        assert after[0].data["cost_centre"] == "CC-7" and after[1].data["college"] == "العلوم"
        assert after[1].department == "classrooms" and after[1].assignee_role == "department_head"
        for ticket in after:
            compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
            from server.validation import validate

            assert validate(compiled.form, ticket.data) == []

        arabic = await client.get(f"/admin/services/supplies/migrate?from=1&to={v2.version}")
        assert 'dir="rtl"' in arabic.text and "قيد أصبح أشد" in arabic.text


async def test_the_audit_export_labels_each_event_with_its_own_version(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        moved, kept = await routed(client), await routed(client)
        v2 = await _publish_v2(client, lambda f: f[FORM]["x-title"].update(en="Supplies (v2)"))
        await login(client, "admin", ["administrator"])
        page = await client.get(f"/admin/services/supplies/migrate?from=1&to={v2.version}", headers=EN)
        post = {
            "_csrf_token": csrf_of(page.text),
            "from": "1",
            "to": str(v2.version),
            "dry_run": "0",
            "leave": str(kept.id),
        }
        await client.post("/admin/services/supplies/migrate", data=post, headers=EN)
        await act(client, moved, CS, "note_to_head", {"note": "after the move"})
        auditor = await token_for(client, AUDITOR)
        as_json = (await client.get("/api/export/audit?service=supplies", headers=auditor)).json()
        as_csv = (await client.get("/api/export/audit?service=supplies&format=csv", headers=auditor)).text
    by_number = {t["number"]: t for t in as_json["tickets"]}
    events = by_number[moved.number]["events"]
    assert [(e["kind"], e["version"]) for e in events] == [
        ("created", 1),
        ("action", 1),
        ("migration", v2.version),
        ("action", v2.version),
    ]
    assert by_number[moved.number]["version"] == v2.version
    assert {e["version"] for e in by_number[kept.number]["events"]} == {1}
    rows = [r for r in csv.DictReader(io.StringIO(as_csv)) if r["ticket"] == moved.number]
    assert [r["version"] for r in rows] == ["1", "1", str(v2.version), str(v2.version)]


@pytest.mark.single_backend("replays SQLite migration 0010's backfill (its SQL and triggers) on the file")
async def test_events_from_before_0010_are_placed_from_their_tickets_history(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        moved, plain = await routed(client), await routed(client)
        v2 = await _publish_v2(client, lambda f: f[FORM]["x-title"].update(en="Supplies (v2)"))
        await login(client, "admin", ["administrator"])
        page = await client.get(f"/admin/services/supplies/migrate?from=1&to={v2.version}", headers=EN)
        post = {
            "_csrf_token": csrf_of(page.text),
            "from": "1",
            "to": str(v2.version),
            "dry_run": "0",
            "leave": str(plain.id),
        }
        await client.post("/admin/services/supplies/migrate", data=post, headers=EN)
        await act(client, moved, CS, "note_to_head", {"note": "after the move"})
    conn = sqlite3.connect(tmp_path / "khidma.db")
    recorded = conn.execute("SELECT id, definition_version_id FROM events ORDER BY id").fetchall()
    assert None not in {v for _, v in recorded}
    # as a database from before 0010 holds them: no version on any event; then 0010's backfill
    conn.execute("DROP TRIGGER events_version_once")
    conn.execute("UPDATE events SET definition_version_id = NULL")
    backfill = next(m for m in load_migrations() if m.version == 10).statements()[1]
    conn.execute(backfill)
    assert conn.execute("SELECT id, definition_version_id FROM events ORDER BY id").fetchall() == recorded
    # a migration event that does not say where it came from leaves the events before it unknown
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET data = '{}' WHERE kind = 'migration'")
    conn.execute("UPDATE events SET definition_version_id = NULL")
    conn.execute(backfill)
    unknown = conn.execute(
        "SELECT count(*) FROM events WHERE ticket_id = ? AND definition_version_id IS NULL", (moved.id,)
    ).fetchone()[0]
    assert unknown == 4  # created, routed, the migration, the note: none can be placed exactly
    assert conn.execute(
        "SELECT DISTINCT definition_version_id FROM events WHERE ticket_id = ?", (plain.id,)
    ).fetchall() == [(plain.definition_version_id,)]
    conn.close()


async def test_the_auditor_opens_and_exports_any_past_version_and_its_diff(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        v1 = await store_of(client).latest_definition("supplies")
        v2 = await _publish_v2(client, _cost_centre_and_short_college)
        auditor = await token_for(client, AUDITOR)
        listed = await client.get("/api/export/services/supplies/versions", headers=auditor)
        old = await client.get("/api/export/services/supplies/versions/1", headers=auditor)
        diff = await client.get(f"/api/export/services/supplies/diff?a=1&b={v2.version}", headers=auditor)
        missing = await client.get("/api/export/services/supplies/versions/99", headers=auditor)
        nothing = await client.get("/api/export/services/nothing/versions", headers=auditor)
        cs = await client.get("/api/export/services/supplies/versions", headers=await token_for(client, CS))
        await login(client, "auditor", ["auditor"])
        page = await client.get(f"/exports/services/supplies/history?a=1&b={v2.version}", headers=EN)
        index = await client.get("/exports", headers=EN)
        download = await client.get("/exports/services/supplies/versions/1")
    assert [v["version"] for v in listed.json()["versions"]] == [1, v2.version]
    assert old.json()["files"] == v1.bundle and old.json()["hash"] == v1.content_hash
    kinds = {d["kind"] for d in diff.json()["differences"]}
    assert {"field_added", "field_required", "constraint_tightened"} & kinds == {
        "field_added",
        "constraint_tightened",
    }
    assert any(f["path"] == FORM for f in diff.json()["files"])
    assert missing.status_code == 404 and nothing.status_code == 404 and cs.status_code == 403
    assert page.status_code == 200 and html(page.text).css_first("#compat-report tr[data-kind=field_added]")
    assert html(page.text).css_first("a[href='/admin/services/supplies/edit']") is None
    assert html(index.text).css_first("a[href='/exports/services/supplies/history']") is not None
    assert download.status_code == 200 and download.json()["version"] == 1


def test_importing_an_unchanged_export_publishes_nothing(tmp_path: Path, capsys: Any) -> None:
    async def edited_in_the_browser() -> Any:
        async with client_for(tmp_path) as client:
            # a version edited in the browser carries CRLF line ends (what a textarea posts)
            edit = lambda f: f[FORM]["x-title"].update(en="Supplies (v2)")  # noqa: E731
            return await _publish_v2(client, edit, crlf=True)

    v2 = asyncio.run(edited_in_the_browser())
    db = db_for(tmp_path)
    assert main(["export", "--db", db, "--out", str(tmp_path / "tree")]) == 0
    assert main(["import", "--db", db, str(tmp_path / "tree")]) == 0
    out = capsys.readouterr().out
    assert "0 new version(s), 9 service(s)" in out and f"same supplies v{v2.version}" in out
    exported = json.loads((tmp_path / "tree" / FORM).read_text(encoding="utf-8"))
    exported["x-title"]["en"] = "Supplies (v3)"
    (tmp_path / "tree" / FORM).write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    assert main(["import", "--db", db, str(tmp_path / "tree")]) == 0
    assert "1 new version(s), 9 service(s)" in capsys.readouterr().out


@SQLITE_ONLY
@pytest.mark.single_backend("forges events in the SQLite file")
async def test_an_events_version_is_sealed_and_events_sealed_before_still_verify(
    chained: Chained,  # noqa: F811 (the fixture imported above)
) -> None:
    path, store, _ = chained
    await store.close()
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    first, second = (row["id"] for row in conn.execute("SELECT id FROM tickets ORDER BY id").fetchall())
    conn.execute("DROP TRIGGER events_version_once")
    conn.commit()
    conn.close()
    # an event whose version is changed (the chain recomputed without the key) is found and named
    _tamper(path, first, 1, definition_version_id=999)
    # an event sealed in format 1 (before 0010) still verifies: the second ticket's last, so sealed
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    query = "SELECT * FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 2"
    last, before = conn.execute(query, (second,)).fetchall()
    old = seal(KEY.encode(), sealed_values(last, 1), before["mac"], 1)
    conn.execute(
        "UPDATE events SET mac = ?, chain_version = 1, field_tags = ? WHERE id = ?",
        (old.mac, old.tags_text(), last["id"]),
    )
    conn.commit()
    conn.close()
    async with await open_store(Path(path), audit_key=KEY.encode()) as reopened:
        _, _, breaks = await reopened.verify_event_chains()
    assert [(b.ticket_id, b.seq, b.field) for b in breaks] == [(first, 1, "definition_version_id")]


async def test_odd_migration_posts_are_answered_and_move_nothing(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client)
        v2 = await _publish_v2(client, _cost_centre_and_short_college)
        await login(client, "admin", ["administrator"])
        page = await client.get(f"/admin/services/supplies/migrate?from=1&to={v2.version}", headers=EN)
        token = csrf_of(page.text)
        odd = [
            {"from": "x", "to": "1e9", "dry_run": "0"},
            {"from": str(v2.version), "to": "1", "dry_run": "0"},  # backwards
            {"from": "1", "to": str(v2.version), "dry_run": "0", "map:received": "nowhere"},
            {
                "from": "1",
                "to": str(v2.version),
                "dry_run": "0",
                f"value:{ticket.id}:requested_items": "[not json",
                "value:abc:college": "x",
                "default:no_such_field": "y" * 5000,
                "rename:college": "no_such_field",
                "leave": "-1",
            },
        ]
        answers = [
            await client.post(
                "/admin/services/supplies/migrate", data={"_csrf_token": token, **post}, headers=EN
            )
            for post in odd
        ]
        unknown = await client.post(
            "/admin/services/nothing/migrate", data={"_csrf_token": token, "from": "1", "to": "2"}, headers=EN
        )
        after = await store_of(client).get_ticket(ticket.id)
    assert [a.status_code for a in answers] == [200] * 4 and unknown.status_code == 404
    refused = html(answers[2].text).css_first(f'#migration-outcomes li[data-ticket="{ticket.number}"]')
    assert refused is not None and refused.attributes["data-outcome"] == "refused"
    assert "map it to a state of the new workflow" in refused.text()
    assert after is not None and after.definition_version_id == ticket.definition_version_id
