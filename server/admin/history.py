"""A service's version history with the differences between two versions, and moving running tickets
from one version to another (the compatibility report, a dry run, then the move)."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.admin import compat, migrate
from server.runtime import Runtime
from server.store.records import DefinitionVersion, User


@dataclass(frozen=True)
class DiffFile:
    path: str
    lines: list[tuple[str, str]]
    """(kind: add / remove / context / hunk, text)."""


@dataclass(frozen=True)
class VersionsPage:
    service_id: str
    versions: list[DefinitionVersion]
    a: int
    b: int
    diff: list[DiffFile]


@dataclass(frozen=True)
class MigratePage:
    service_id: str
    versions: list[int]
    from_version: int
    to_version: int
    report: compat.Report | None
    mapping: dict[str, str]
    drop: list[str]
    plans: list[migrate.TicketPlan] = field(default_factory=list)
    outcomes: list[tuple[migrate.TicketPlan, str]] = field(default_factory=list)
    dry_run: bool = False
    ran: bool = False


def diff_files(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[DiffFile]:
    out = []
    for path in sorted(set(old) | set(new)):
        a = str(old.get(path, "")).splitlines()
        b = str(new.get(path, "")).splitlines()
        if a == b:
            continue
        lines = []
        for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=2, lineterm=""):
            if line.startswith(("---", "+++")):
                continue
            kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "context")
            lines.append((kind, line))
        out.append(DiffFile(path=path, lines=lines))
    return out


async def versions_page(runtime: Runtime, service_id: str, a: int, b: int) -> VersionsPage | None:
    """The versions and the difference from ``a`` to ``b`` (by default the last two); None for an
    unknown service."""
    versions = await runtime.store.list_definitions(service_id)
    if not versions:
        return None
    by_number = {v.version: v for v in versions}
    b = b if b in by_number else versions[-1].version
    a = a if a in by_number else max(1, b - 1)
    diff = diff_files(by_number[a].bundle, by_number[b].bundle) if a in by_number else []
    return VersionsPage(service_id, versions, a, b, diff)


@dataclass(frozen=True)
class Migration:
    """What the migration form posted."""

    from_version: int = 0
    to_version: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()
    dry_run: bool = True

    @classmethod
    def posted(cls, values: Mapping[str, list[str]]) -> Migration:
        first = {k: v[0] for k, v in values.items() if v}
        try:
            frm, to = int(first.get("from", "0")), int(first.get("to", "0"))
        except ValueError:
            frm = to = 0
        return cls(
            from_version=frm,
            to_version=to,
            mapping={k.removeprefix("map:"): v for k, v in first.items() if k.startswith("map:") and v},
            drop=frozenset(values.get("drop", [])),
            dry_run=first.get("dry_run") == "1",
        )


async def migrate_page(
    runtime: Runtime, service_id: str, asked: Migration, *, run_by: User | None = None
) -> MigratePage | None:
    """The report of moving the open tickets between two versions; with ``asked.dry_run`` the plan for
    each ticket; with ``run_by`` (and not a dry run) the tickets moved. None for an unknown service."""
    versions = await runtime.store.list_definitions(service_id)
    if not versions:
        return None
    by_number = {v.version: v for v in versions}
    numbers = [v.version for v in versions]
    frm, to = asked.from_version, asked.to_version
    old_v, new_v = by_number.get(frm), by_number.get(to)
    if old_v is None or new_v is None or old_v.version >= new_v.version:
        return MigratePage(service_id, numbers, frm, to, None, asked.mapping, sorted(asked.drop))
    execute = run_by is not None and not asked.dry_run
    old = await runtime.tickets.compiled_version(old_v.id)
    new = await runtime.tickets.compiled_version(new_v.id)
    tickets = await runtime.store.open_tickets_on(old_v.id)
    report = compat.report(old, new, tickets)
    plans = migrate.plan(tickets, old, new, asked.mapping, asked.drop) if (asked.dry_run or execute) else []
    outcomes: list[tuple[migrate.TicketPlan, str]] = []
    if execute and run_by is not None:
        outcomes = await migrate.run(
            runtime.store,
            tickets,
            plans,
            new_v,
            new,
            actor_id=run_by.id,
            actor_name=run_by.name,
            now=dt.datetime.now(dt.UTC),
        )
    return MigratePage(
        service_id,
        numbers,
        frm,
        to,
        report,
        asked.mapping,
        sorted(asked.drop),
        plans,
        outcomes,
        asked.dry_run,
        execute,
    )
