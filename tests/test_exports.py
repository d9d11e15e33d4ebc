"""Auditor exports and the definitions import, through the real store, the real app and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

from server.cli import main
from server.definitions.loader import load_tree, read_sources
from server.exports.bundle import ImportRefused, export_tree, import_sources, write_tree
from server.exports.guide import service_guide
from server.exports.svg import workflow_svg
from server.paths import shipped_root
from server.store.open import open_any
from tests.test_staff_ticket import AUDITOR, CS, HEAD, act, routed, store_of, token_for
from tests.web import client_for, db_for, html

ADMIN = ("admin", ["administrator"], None)
NOW = dt.datetime(2025, 1, 5, 9, tzinfo=dt.UTC)
SHIPPED = shipped_root()


def copy_shipped(target: Path) -> Path:
    for directory in ("service_definitions", "form_schemas", "workflows"):
        shutil.copytree(SHIPPED / directory, target / directory)
    return target


async def test_export_then_load_gives_the_shipped_catalogue(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        tree = await export_tree(store_of(client))
    out = tmp_path / "export"
    write_tree(tree.files, out)
    assert tree.conflicts == []
    shipped = read_sources(SHIPPED)
    exported = read_sources(out)
    for path, text in exported.items():  # byte-identical to the published (= shipped) texts
        assert text == shipped[path], path
    loaded, original = load_tree(out), load_tree(SHIPPED)
    assert loaded.errors == [] and loaded.catalogue is not None and original.catalogue is not None
    assert list(loaded.catalogue.services) == list(original.catalogue.services)
    for service_id, compiled in original.catalogue.services.items():
        again = loaded.catalogue.services[service_id]
        assert (again.service, again.form, again.workflow, again.organisation) == (
            compiled.service,
            compiled.form,
            compiled.workflow,
            compiled.organisation,
        )


async def test_import_publishes_only_changed_services(tmp_path: Path, store_db: str) -> None:
    store = await open_any(store_db, tmp_path / "files")
    try:
        tree = copy_shipped(tmp_path / "tree")
        first = await import_sources(store, read_sources(tree), created_by="a", note="first", now=NOW)
        assert all(i.changed and i.version == 1 for i in first)
        same = await import_sources(store, read_sources(tree), created_by="a", note="again", now=NOW)
        assert not any(i.changed for i in same)
        form = tree / "form_schemas" / "supplies.json"
        document = json.loads(form.read_text(encoding="utf-8"))
        document["x-title"]["en"] += " (edited)"
        form.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        edited = await import_sources(store, read_sources(tree), created_by="b", note="edit", now=NOW)
        changed = {i.service_id: i.version for i in edited if i.changed}
        assert changed == {"supplies": 2}
        exported = await export_tree(store)
        assert exported.files["form_schemas/supplies.json"] == form.read_text(encoding="utf-8")
    finally:
        await store.close()


async def test_an_invalid_tree_is_refused_with_every_error_and_nothing_published(
    tmp_path: Path, store_db: str
) -> None:
    store = await open_any(store_db, tmp_path / "files")
    try:
        tree = copy_shipped(tmp_path / "tree")
        (tree / "workflows" / "supplies.json").write_text("{not json", encoding="utf-8")
        (tree / "form_schemas" / "phone.json").write_text('{"type": "wrong"}', encoding="utf-8")
        try:
            await import_sources(store, read_sources(tree), created_by=None, note="x", now=NOW)
        except ImportRefused as exc:
            files = {e.file for e in exc.errors}
            assert {"workflows/supplies.json", "form_schemas/phone.json"} <= files
        else:
            raise AssertionError("an invalid tree was imported")
        assert await store.latest_definitions() == []
    finally:
        await store.close()


def test_cli_export_and_import(tmp_path: Path, capsys: object) -> None:
    db = db_for(tmp_path)
    for fmt in ("json", "bpmn", "svg", "guide", "audit"):
        assert main(["export", "--db", db, "--out", str(tmp_path / fmt), "--format", fmt]) == 0
    assert load_tree(tmp_path / "json").errors == []
    assert (tmp_path / "bpmn" / "supplies.bpmn").read_text(encoding="utf-8").startswith("<?xml")
    assert (tmp_path / "svg" / "supplies.svg").read_text(encoding="utf-8").startswith("<svg")
    assert 'dir="rtl"' in (tmp_path / "guide" / "guide.ar.html").read_text(encoding="utf-8")
    assert {p.name for p in (tmp_path / "audit").iterdir()} == {
        "tickets.csv",
        "tickets.json",
        "definition_changes.json",
    }
    changes = json.loads((tmp_path / "audit" / "definition_changes.json").read_text(encoding="utf-8"))
    assert len(changes["changes"]) == 9
    assert main(["import", "--db", db, str(tmp_path / "json")]) == 0  # the same tree: nothing new
    broken = copy_shipped(tmp_path / "broken")
    (broken / "workflows" / "email.json").write_text("[]", encoding="utf-8")
    assert main(["import", "--db", db, str(broken)]) == 1
    out = capsys.readouterr()  # type: ignore[attr-defined]
    assert "0 new version(s), 9 service(s)" in out.out
    assert "workflows/email.json" in out.err and "nothing was published" in out.err


def test_svg_and_guide_escape_text() -> None:
    catalogue = load_tree(SHIPPED).catalogue
    assert catalogue is not None
    svg = workflow_svg(catalogue.workflows["supplies"], "en")
    assert "<script" not in svg and svg.count('<g class="state"') == len(
        catalogue.workflows["supplies"].states
    )
    guide = service_guide(list(catalogue.services.values()), catalogue.organisation, "en")
    page = html(guide)
    assert page.css_first("html").attributes["dir"] == "ltr"  # type: ignore[union-attr]
    assert len(page.css("section.service")) == 9
    assert "Requirements" in guide and "Working hours" in guide


async def test_export_api_is_for_auditors_and_administrators(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        await act(client, ticket, HEAD, "delegate", {"assignee": (await _staff(client)).id, "note": "=cmd()"})
        auditor = await token_for(client, AUDITOR)
        admin = await token_for(client, ADMIN)
        anonymous = await client.get("/api/export/definitions")
        cs = await client.get("/api/export/definitions", headers=await token_for(client, CS))
        definitions = await client.get("/api/export/definitions", headers=auditor)
        bpmn = await client.get("/api/export/workflows/supplies.bpmn", headers=admin)
        svg = await client.get("/api/export/workflows/supplies.svg?lang=en", headers=auditor)
        missing = await client.get("/api/export/workflows/nothing.bpmn", headers=auditor)
        guide = await client.get("/api/export/guide?lang=ar", headers=auditor)
        audit_csv = await client.get("/api/export/audit?service=supplies&format=csv", headers=auditor)
        audit_json = await client.get("/api/export/audit?service=supplies", headers=auditor)
        other = await client.get("/api/export/audit?service=phone", headers=auditor)
        past = await client.get("/api/export/audit?to=2000-01-01", headers=auditor)
        bad = await client.get("/api/export/audit?from=yesterday", headers=auditor)
        changes = await client.get("/api/export/changes", headers=auditor)
    assert anonymous.status_code == 401 and cs.status_code == 403
    assert definitions.status_code == 200
    assert definitions.json()["files"]["workflows/supplies.json"] == (
        SHIPPED / "workflows" / "supplies.json"
    ).read_text(encoding="utf-8")
    assert bpmn.status_code == 200 and bpmn.headers["content-type"].startswith("application/xml")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert missing.status_code == 404
    assert guide.status_code == 200 and 'dir="rtl"' in guide.text
    rows = list(csv.DictReader(io.StringIO(audit_csv.text)))
    assert [r["action"] for r in rows][-2:] == ["route_to_department", "delegate"]
    assert {r["ticket"] for r in rows} == {ticket.number} and rows[0]["version"] == "1"
    events = audit_json.json()["tickets"][0]["events"]
    assert len(events) == len(rows) and events[-1]["actor"] == "classrooms.head name"
    assert other.json() == {"tickets": []} and past.json() == {"tickets": []}
    assert bad.status_code == 400
    logged = changes.json()["changes"]
    assert len(logged) == 9 and all(c["version"] == 1 and c["note"] == "shipped definitions" for c in logged)


async def _staff(client: Any) -> Any:
    from tests.test_staff_ticket import STAFF, user

    return await user(client, STAFF)


async def test_an_auditor_takes_the_exports_away_in_the_browser(tmp_path: Path) -> None:
    from tests.test_requester_pages import login
    from tests.web import client_for, html

    async with client_for(tmp_path) as client:
        anonymous = await client.get("/exports/", follow_redirects=False)
        await login(client, "auditor.one", ["auditor"])
        page = await client.get("/exports/", headers={"accept-language": "ar"})
        definitions = await client.get("/exports/definitions")
        bpmn = await client.get("/exports/workflows/supplies.bpmn")
        svg = await client.get("/exports/workflows/supplies.svg?lang=en")
        audit = await client.get("/exports/audit?format=csv")
        api_with_cookie = await client.get("/api/export/definitions")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert page.status_code == 200 and html(page.text).css_first("#export-definitions") is not None
    assert "service_definitions/supplies.json" in definitions.json()["files"]
    assert bpmn.status_code == 200 and bpmn.text.lstrip().startswith("<?xml") and "laneSet" in bpmn.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert audit.headers["content-type"].startswith("text/csv")
    assert api_with_cookie.status_code == 401  # the API takes bearer tokens only


async def test_staff_cannot_open_the_exports_in_the_browser(tmp_path: Path) -> None:
    from tests.test_requester_pages import login
    from tests.web import client_for

    async with client_for(tmp_path) as client:
        await login(client, "cs.one", ["customer_service"], "customer_service")
        page = await client.get("/exports/definitions")
    assert page.status_code == 403
