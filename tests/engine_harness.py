"""A pure harness for engine tests: actors, an in-memory lookup ledger, and applying outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import msgspec

from server.definitions.catalogue import Catalogue, CompiledService
from server.definitions.expressions import EvalContext
from server.definitions.loader import load_tree
from server.engine.model import Actor, Outcome, TicketView
from server.paths import shipped_root

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@cache
def catalogue() -> Catalogue:
    result = load_tree(shipped_root())
    assert result.catalogue is not None, result.errors
    return result.catalogue


def service(service_id: str) -> CompiledService:
    return catalogue().services[service_id]


class Ledger:
    """Lookup tables in memory: table -> key -> rows."""

    def __init__(self, tables: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]] | None = None) -> None:
        self.tables = {t: {k: list(v) for k, v in rows.items()} for t, rows in (tables or {}).items()}

    def rows(self, table: str, key: str) -> Sequence[Mapping[str, Any]]:
        return self.tables.get(table, {}).get(key, [])

    def add(self, table: str, key: str, row: Mapping[str, Any]) -> None:
        self.tables.setdefault(table, {}).setdefault(key, []).append(row)


def context(ledger: Ledger | None = None, *, working: bool = True) -> EvalContext:
    return EvalContext(lookups=ledger or Ledger(), now=NOW, is_working_time=lambda _at: working)


def actor(role: str, department: str | None = None, user: str | None = None) -> Actor:
    return Actor(
        id=user or f"{role}-{department or 'org'}", name=role, roles=frozenset({role}), department=department
    )


CS = actor("customer_service", "customer_service", "cs-1")
COORDINATOR = actor("tawasul_coordinator", "customer_service", "coord-1")
DIRECTOR = actor("director", "directorate", "director-1")
REQUESTER = Actor(id="req-1", name="Requester", roles=frozenset({"requester"}))
AUDITOR = actor("auditor", None, "auditor-1")


def head(department: str) -> Actor:
    return actor("department_head", department, f"head-{department}")


def staff(department: str) -> Actor:
    return actor("department_staff", department, f"staff-{department}")


def example(compiled: CompiledService, action_id: str, index: int = 0) -> dict[str, Any]:
    """The action form's example ``index`` (empty data for actions without a form)."""
    form = compiled.action_forms.get(action_id)
    if form is None:
        return {}
    examples = form.schema.get("examples") or [{}]
    return dict(examples[index % len(examples)])


def apply(ticket: TicketView, outcome: Outcome) -> TicketView:
    """The ticket after an outcome, as the service layer would store it."""
    return msgspec.structs.replace(
        ticket, state=outcome.state, assignment=outcome.assignment, vars=outcome.vars
    )


def new_ticket(
    compiled: CompiledService,
    outcome: Outcome,
    *,
    data: Mapping[str, Any],
    channel: str,
    requester_id: str | None = None,
) -> TicketView:
    return TicketView(
        number="2026-000001",
        service=compiled.service.id,
        state=outcome.state,
        channel=channel,
        assignment=outcome.assignment,
        requester_id=requester_id,
        data=dict(data),
        vars=outcome.vars,
    )
