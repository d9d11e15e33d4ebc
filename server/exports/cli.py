"""``khidma export`` and ``khidma import``: the auditor exports and the definitions import, from the
command line, on the SQLite file the server uses (``--db``)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import msgspec

from server.store.interface import Store

T = TypeVar("T")
FORMATS = ("json", "bpmn", "svg", "guide", "audit")


def _run(db: str, work: Callable[[Store], Awaitable[T]]) -> T:
    from server.store.open import open_any

    async def main() -> T:
        store = await open_any(db)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


async def _ensure_published(store: Store) -> None:
    """A database no server has opened yet holds no definitions: publish the shipped ones, as
    ``khidma serve`` does on first start."""
    if await store.latest_definitions():
        return
    from server.definitions.bundle import bundle_for, content_hash
    from server.definitions.loader import load_tree
    from server.paths import shipped_root

    catalogue = load_tree(shipped_root()).catalogue
    if catalogue is None:
        return
    print("no published definitions in the database: publishing the shipped ones first", file=sys.stderr)
    for service_id in catalogue.services:
        bundle = bundle_for(catalogue, service_id)
        await store.publish_definition(
            service_id,
            bundle,
            content_hash(bundle),
            created_by="system",
            note="shipped definitions",
            now=dt.datetime.now(dt.UTC),
        )


async def export_to(store: Store, out: Path, fmt: str, args: argparse.Namespace) -> list[Path]:
    """Write one export format under ``out``; returns the files written."""
    from server.exports import published as pub
    from server.exports.audit import AuditFilter, audit_csv, audit_json, audit_rows, definition_changes
    from server.exports.bpmn import workflow_bpmn
    from server.exports.bundle import export_tree, write_tree
    from server.exports.guide import service_guide
    from server.exports.svg import workflow_svg

    await _ensure_published(store)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        tree = await export_tree(store)
        for path in tree.conflicts:
            print(f"note: {path} differs between services; the newest text was written", file=sys.stderr)
        return write_tree(tree.files, out)
    services = await pub.published(store)
    written: list[Path] = []

    def write(name: str, text: str) -> None:
        target = out / name
        target.write_bytes(text.encode("utf-8"))
        written.append(target)

    if fmt == "bpmn":
        for workflow_id, (workflow, organisation) in pub.workflows(services).items():
            write(f"{workflow_id}.bpmn", workflow_bpmn(workflow, organisation))
    elif fmt == "svg":
        for workflow_id, (workflow, _organisation) in pub.workflows(services).items():
            write(f"{workflow_id}.svg", workflow_svg(workflow, args.lang))
    elif fmt == "guide":
        if services:
            organisation = pub.organisation(services, services[0][1].organisation)
            for lang in ("ar", "en"):
                write(f"guide.{lang}.html", service_guide([c for _v, c in services], organisation, lang))
    else:  # audit
        timezone = services[0][1].organisation.calendar.timezone if services else "UTC"
        rows = await audit_rows(
            store,
            AuditFilter(service=args.service, start=args.date_from, end=args.date_to, timezone=timezone),
        )
        write("tickets.csv", audit_csv(rows))
        write("tickets.json", msgspec.json.format(msgspec.json.encode(audit_json(rows))).decode())
        changes = {"changes": await definition_changes(store)}
        write("definition_changes.json", msgspec.json.format(msgspec.json.encode(changes)).decode())
    return written


def cmd_export(args: argparse.Namespace) -> int:
    written = _run(args.db, lambda store: export_to(store, Path(args.out), args.format, args))
    for path in written:
        print(path)
    print(f"{len(written)} file(s) written to {args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from server.exports.bundle import ImportRefused, import_sources, read_import

    path = Path(args.path)
    sources, sink = read_import(path)
    if sink.errors:
        for error in sink.errors:
            print(error, file=sys.stderr)
        print(f"{len(sink.errors)} error(s) in {path}; nothing was published", file=sys.stderr)
        return 1

    async def work(store: Store) -> int:
        try:
            imported = await import_sources(
                store, sources, created_by=args.by, note=args.note, now=dt.datetime.now(dt.UTC)
            )
        except ImportRefused as exc:
            for error in exc.errors:
                print(error, file=sys.stderr)
            print(f"{len(exc.errors)} error(s) in {path}; nothing was published", file=sys.stderr)
            return 1
        for item in imported:
            print(f"{'new' if item.changed else 'same':<4} {item.service_id} v{item.version}")
        print(f"{sum(i.changed for i in imported)} new version(s), {len(imported)} service(s)")
        return 0

    return _run(args.db, work)


def add_export_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export", help="write the published definitions, diagrams, guide or audit trail"
    )
    export.add_argument("--out", required=True, help="the directory to write into (created if missing)")
    export.add_argument(
        "--format",
        choices=FORMATS,
        default="json",
        help="json: the definitions tree; bpmn / svg: one file per workflow; guide: guide.ar.html and "
        "guide.en.html; audit: tickets.csv, tickets.json, definition_changes.json (default: json)",
    )
    export.add_argument(
        "--db", default="khidma.db", help="the SQLite file or a postgresql:// URL (default: khidma.db)"
    )
    export.add_argument("--lang", choices=("ar", "en"), default="ar", help="svg: the labels' language")
    export.add_argument("--service", help="audit: only this service")
    export.add_argument(
        "--from", dest="date_from", type=dt.date.fromisoformat, help="audit: from this day (YYYY-MM-DD)"
    )
    export.add_argument(
        "--to", dest="date_to", type=dt.date.fromisoformat, help="audit: to this day, inclusive"
    )
    export.set_defaults(func=cmd_export)

    imp = commands.add_parser(
        "import", help="publish a definitions tree (or an exported {files} JSON) as new versions"
    )
    imp.add_argument(
        "path", help="a tree holding service_definitions/, form_schemas/, workflows/, or a JSON file"
    )
    imp.add_argument(
        "--db", default="khidma.db", help="the SQLite file or a postgresql:// URL (default: khidma.db)"
    )
    imp.add_argument("--by", default=None, help="who publishes (recorded with each new version)")
    imp.add_argument("--note", default="imported", help="the change note (default: imported)")
    imp.set_defaults(func=cmd_import)
