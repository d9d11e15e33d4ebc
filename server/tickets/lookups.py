"""Lookup rows for guards, read before the engine runs (the engine does no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from server.definitions.catalogue import CompiledService
from server.definitions.expressions import EvalContext
from server.store.interface import Store
from server.working_time import WorkingCalendar


class PrefetchedLookups:
    """The lookup rows an action may read, fetched before the engine runs."""

    def __init__(self, rows: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]) -> None:
        self._rows = rows

    def rows(self, table: str, key: str) -> Sequence[Mapping[str, Any]]:
        return self._rows.get((table, key), ())


async def evaluation_context(
    store: Store,
    calendar: WorkingCalendar,
    compiled: CompiledService,
    sources: Iterable[Mapping[str, Mapping[str, Any]]],
    now: datetime,
) -> EvalContext:
    """Fetch the lookup rows the service's expressions could read, keyed by the values at hand."""
    wanted: dict[str, set[str]] = {}
    for expression in (*compiled.guards.values(), *compiled.conditions.values()):
        for table, ref in expression.lookups:
            if ref is None:
                continue
            root, name = ref
            for env in sources:
                value = env.get(root, {}).get(name)
                if value is not None:
                    wanted.setdefault(table, set()).add(str(value))
    rows: dict[tuple[str, str], Sequence[Mapping[str, Any]]] = {}
    for table, keys in wanted.items():
        found = await store.lookup_rows_many(table, sorted(keys))
        rows.update({(table, key): value for key, value in found.items()})
    return EvalContext(lookups=PrefetchedLookups(rows), now=now, is_working_time=calendar.is_working_time)
