"""The audit trail of tickets (one row per event; CSV and JSON) and the log of definition changes.

Each event is labelled with its own definition version — the one its ticket ran on when it was
written (``events.definition_version_id``, migration 0010) — not the ticket's current one: a ticket
moved from version 3 to 4 shows its first events on 3 and the rest on 4. An event from before 0010
whose version its ticket's history could not tell is labelled ``unknown`` (``null`` in JSON)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from server.store.interface import Store
from server.store.records import ReadScope, Seek, TaskFilter, TaskKey, TaskOrder

COLUMNS = ("ticket", "service", "version", "seq", "at", "actor", "action", "from", "to", "visibility", "kind")
PAGE = 500


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    service: str | None = None
    start: dt.date | None = None
    """Inclusive, a calendar day in ``timezone``."""
    end: dt.date | None = None
    """Inclusive."""
    timezone: str = "UTC"

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        zone = ZoneInfo(self.timezone)
        low = dt.datetime.combine(self.start, dt.time(), zone) if self.start else None
        high = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), zone) if self.end else None
        return low, high


async def audit_rows(store: Store, audit: AuditFilter) -> list[dict[str, Any]]:
    """One row per event of every ticket the filter selects (events dated within the range), in ticket
    creation order, then event order."""
    low, high = audit.bounds()
    task_filter = TaskFilter(scope=ReadScope(everything=True), service=audit.service, created_before=high)
    order = TaskOrder(key="created", descending=False)
    versions: dict[int, int] = {}

    async def number(definition_id: int | None) -> int | None:
        if definition_id is None:
            return None
        if definition_id not in versions:
            definition = await store.get_definition(definition_id)
            versions[definition_id] = definition.version if definition else 0
        return versions[definition_id]

    rows: list[dict[str, Any]] = []
    seek: Seek | None = None  # each page read after the last ticket of the one before: no OFFSET walk
    while page := await store.list_tasks(task_filter, order, offset=0, limit=PAGE, seek=seek):
        seek = Seek(key=TaskKey.of(page[-1], order))
        for ticket in page:
            current = await number(ticket.definition_version_id)
            for event in await store.list_events(ticket.id):
                if (low is not None and event.at < low) or (high is not None and event.at >= high):
                    continue
                rows.append(
                    {
                        "ticket": ticket.number,
                        "service": ticket.service_id,
                        "version": await number(event.definition_version_id),
                        "ticket_version": current,
                        "seq": event.seq,
                        "at": event.at.isoformat(),
                        "actor": event.actor_name,
                        "action": event.action,
                        "from": event.from_state or "",
                        "to": event.to_state,
                        "visibility": event.visibility,
                        "kind": event.kind,
                    }
                )
        if len(page) < PAGE:
            break
    return rows


def audit_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        # a cell starting with = + - @ would be a formula in a spreadsheet: quote it as text
        cells = {k: _cell(v) for k, v in row.items() if k in COLUMNS}
        if cells["version"] is None:
            cells["version"] = "unknown"
        writer.writerow(cells)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def audit_json(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Events grouped by ticket: ``{tickets: [{number, service, version, events: [{version, …}]}]}`` —
    the ticket's current version, and each event's own (``null``: unknown)."""
    tickets: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = tickets.setdefault(
            row["ticket"],
            {
                "number": row["ticket"],
                "service": row["service"],
                "version": row["ticket_version"],
                "events": [],
            },
        )
        entry["events"].append(
            {k: v for k, v in row.items() if k not in ("ticket", "service", "ticket_version")}
        )
    return {"tickets": list(tickets.values())}


async def definition_changes(store: Store) -> list[dict[str, Any]]:
    """Every published version of every service, oldest first."""
    changes = []
    for latest in await store.latest_definitions():
        for version in await store.list_definitions(latest.service_id):
            changes.append(version)
    changes.sort(key=lambda v: (v.created_at, v.id))
    return [
        {
            "service": v.service_id,
            "version": v.version,
            "hash": v.content_hash,
            "by": v.created_by,
            "at": v.created_at.isoformat(),
            "note": v.note,
        }
        for v in changes
    ]
