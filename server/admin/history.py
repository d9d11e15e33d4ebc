"""Moving running tickets from one version of a service to another: the migration page (the
compatibility report, a dry run with the administrator's choices, then the move); the line diff of
two versions' files. The versions page itself is ``past_versions.py``."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import msgspec

from server.admin import compat, migrate
from server.definitions.catalogue import CompiledService
from server.i18n import MESSAGES, t
from server.runtime import Runtime
from server.store.records import User


class DiffFile(msgspec.Struct, frozen=True):
    path: str
    lines: list[tuple[str, str]]
    """(kind: add / remove / context / hunk, text)."""


class DiffRow(msgspec.Struct, frozen=True):
    """One difference of the compatibility report, in the page's language."""

    kind: str
    label: str
    subject: str
    detail: str
    breaking: bool
    states: dict[str, int]
    affected: int | None
    """How many open tickets it concerns; None where tickets are not counted (comparing versions)."""


class MigratePage(msgspec.Struct, frozen=True):
    service_id: str
    versions: list[int]
    from_version: int
    to_version: int
    report: compat.Report | None
    mapping: dict[str, str]
    drop: list[str]
    rows: list[DiffRow] = msgspec.field(default_factory=list)
    renames: dict[str, str] = msgspec.field(default_factory=dict)
    defaults: dict[str, str] = msgspec.field(default_factory=dict)
    default_fields: list[str] = msgspec.field(default_factory=list)
    """The fields some ticket's data is refused on: each gets a "value for all" box."""
    left: list[int] = msgspec.field(default_factory=list)
    plans: list[migrate.TicketPlan] = msgspec.field(default_factory=list)
    outcomes: list[tuple[migrate.TicketPlan, str]] = msgspec.field(default_factory=list)
    dry_run: bool = False
    ran: bool = False
    lang: str = "ar"
    state_labels: dict[str, str] = msgspec.field(default_factory=dict)
    """State id → its label in the page's language (the old and the new workflow's)."""
    holders: dict[int, str] = msgspec.field(default_factory=dict)
    """Ticket id → who holds it after the move, in words (department, role or person)."""

    @property
    def blocked(self) -> int:
        return sum(1 for p in self.plans if not p.ok and not p.left)


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


class Migration(msgspec.Struct, frozen=True):
    """What the migration form posted."""

    from_version: int = 0
    to_version: int = 0
    mapping: dict[str, str] = msgspec.field(default_factory=dict)
    drop: frozenset[str] = frozenset()
    renames: dict[str, str] = msgspec.field(default_factory=dict)
    defaults: dict[str, str] = msgspec.field(default_factory=dict)
    values: dict[tuple[int, str], str] = msgspec.field(default_factory=dict)
    leave: frozenset[int] = frozenset()
    dry_run: bool = True

    @classmethod
    def posted(cls, values: Mapping[str, list[str]]) -> Migration:
        first = {k: v[0] for k, v in values.items() if v}
        try:
            frm, to = int(first.get("from", "0")), int(first.get("to", "0"))
        except ValueError:
            frm = to = 0

        def prefixed(prefix: str) -> dict[str, str]:
            return {k.removeprefix(prefix): v for k, v in first.items() if k.startswith(prefix) and v}

        per_ticket: dict[tuple[int, str], str] = {}
        for key, value in prefixed("value:").items():
            ticket, _, name = key.partition(":")
            if ticket.isdigit() and len(ticket) <= 12 and name:
                per_ticket[(int(ticket), name)] = value
        return cls(
            from_version=frm,
            to_version=to,
            mapping=prefixed("map:"),
            drop=frozenset(values.get("drop", [])),
            renames=prefixed("rename:"),
            defaults=prefixed("default:"),
            values=per_ticket,
            leave=frozenset(int(v) for v in values.get("leave", []) if v.isdigit() and len(v) <= 12),
            dry_run=first.get("dry_run") == "1",
        )

    def choices(self) -> migrate.Choices:
        return migrate.Choices(
            mapping=self.mapping,
            renames=self.renames,
            drop=self.drop,
            defaults=self.defaults,
            values=self.values,
            leave=self.leave,
        )


def rows(report: compat.Report, lang: str, *, counted: bool = True) -> list[DiffRow]:
    return [
        DiffRow(
            kind=d.kind,
            label=t(f"change_kind_{d.kind}", lang) if f"change_kind_{d.kind}" in MESSAGES else d.kind,
            subject=d.subject,
            detail=d.detail,
            breaking=d.breaking,
            states=d.states,
            affected=d.affected if counted else None,
        )
        for d in report.differences
    ]


async def migrate_page(
    runtime: Runtime,
    service_id: str,
    asked: Migration,
    *,
    run_by: User | None = None,
    lang: str = "ar",
) -> MigratePage | None:
    """The compatibility report between two versions; with ``asked.dry_run`` the plan for each open
    ticket; with ``run_by`` (and not a dry run) the tickets moved. None for an unknown service."""
    versions = await runtime.store.list_definitions(service_id)
    if not versions:
        return None
    by_number = {v.version: v for v in versions}
    numbers = [v.version for v in versions]
    frm, to = asked.from_version, asked.to_version
    old_v, new_v = by_number.get(frm), by_number.get(to)
    if old_v is None or new_v is None or old_v.version >= new_v.version:
        return MigratePage(service_id, numbers, frm, to, None, asked.mapping, sorted(asked.drop), lang=lang)
    execute = run_by is not None and not asked.dry_run
    old = await runtime.tickets.compiled_version(old_v.id)
    new = await runtime.tickets.compiled_version(new_v.id)
    tickets = await runtime.store.open_tickets_on(old_v.id)
    report = compat.report(old, new, tickets)
    renames = dict(asked.renames) if (asked.dry_run or execute) else dict(report.renamed_suspects)
    asked = msgspec.structs.replace(asked, renames=renames)
    now = runtime.tickets.clock()
    plans: list[migrate.TicketPlan] = []
    if asked.dry_run or execute:
        ctx = await runtime.tickets.context(new, [], now)
        plans = migrate.plan(tickets, new, asked.choices(), ctx)
    outcomes: list[tuple[migrate.TicketPlan, str]] = []
    if execute and run_by is not None:
        outcomes = await migrate.run(
            runtime.store,
            tickets,
            plans,
            new_v,
            new,
            runtime.tickets.calendar,
            actor_id=run_by.id,
            actor_name=run_by.name,
            now=now,
        )
    refused = sorted({name for p in plans for name in p.problem_fields} | set(asked.defaults))
    labels = {
        sid: state.label.get(lang)
        for compiled in (old, new)
        for sid, state in compiled.workflow.states.items()
    }
    return MigratePage(
        service_id,
        numbers,
        frm,
        to,
        report,
        asked.mapping,
        sorted(asked.drop),
        rows=rows(report, lang),
        renames=renames,
        defaults=dict(asked.defaults),
        default_fields=[n for n in refused if n in (new.form.schema.get("properties") or {})],
        left=sorted(asked.leave),
        plans=plans,
        outcomes=outcomes,
        dry_run=asked.dry_run,
        ran=execute,
        lang=lang,
        state_labels=labels,
        holders=await _holders(runtime, new, plans, lang),
    )


async def _holders(
    runtime: Runtime, new: CompiledService, plans: list[migrate.TicketPlan], lang: str
) -> dict[int, str]:
    """Who holds each planned ticket after the move: the department, then the role or the person."""
    people = await runtime.store.get_users(
        sorted({p.assignment.user for p in plans if p.assignment and p.assignment.user})
    )
    org = new.organisation
    words = {}
    for item in plans:
        holder = item.assignment
        if holder is None:
            continue
        parts = []
        if holder.department is not None:
            dept = org.departments.get(holder.department)
            parts.append(dept.name.get(lang) if dept else holder.department)
        if holder.user is not None:
            person = people.get(holder.user)
            parts.append(person.name if person else holder.user)
        elif holder.role is not None:
            role = org.roles.get(holder.role)
            parts.append(role.name.get(lang) if role else holder.role)
        words[item.ticket_id] = " — ".join(parts)
    return words
