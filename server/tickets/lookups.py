"""Lookup rows for guards, read before the engine runs (the engine does no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class PrefetchedLookups:
    """The lookup rows an action may read, fetched before the engine runs."""

    def __init__(self, rows: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]) -> None:
        self._rows = rows

    def rows(self, table: str, key: str) -> Sequence[Mapping[str, Any]]:
        return self._rows.get((table, key), ())
