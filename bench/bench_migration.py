"""Moving open tickets to a new version of their service: the compatibility report, the dry run and the
move, timed over N supplies tickets on a real SQLite file.

    .venv/bin/python bench/bench_migration.py [--tickets N]

Half the tickets are routed to the department, so two states and two assignee rules are in play. The
new version adds a required field (a value for all is supplied) and tightens ``college`` (every ticket's
value still fits). Prints the figures; docs/performance.md records them with this command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from server.admin import compat, migrate
from server.definitions.bundle import content_hash
from server.definitions.loader import load_tree
from server.engine.model import Actor, Refusal
from server.paths import shipped_root
from server.store.sqlite import open_store
from server.tickets.service import Conflict, Created, TicketService
from server.working_time import WorkingCalendar

CS = Actor(id="cs-1", name="cs", roles=frozenset({"customer_service"}), department="customer_service")
REQUESTER = Actor(id="req-1", name="req", roles=frozenset({"requester"}))
FORM = "form_schemas/supplies.json"


async def run(tickets: int) -> None:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    calendar = WorkingCalendar.from_definition(catalogue.organisation.calendar)
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(Path(tmp) / "bench.db")
        service = TicketService(store, calendar)
        await service.publish_shipped(catalogue)
        data = dict(catalogue.services["supplies"].form.schema["examples"][0])
        for index in range(tickets):
            created = await service.submit(
                "supplies", data, channel="web", actor=REQUESTER, requester_id="req-1"
            )
            assert isinstance(created, Created)
            if index % 2:
                moved = await service.act(
                    created.ticket.id, "route_to_department", {}, actor=CS, expected_version=1
                )
                assert not isinstance(moved, Refusal | Conflict)
        v1 = await store.latest_definition("supplies")
        assert v1 is not None
        files = {path: json.loads(text) for path, text in v1.bundle.items()}
        form = files[FORM]
        form["properties"]["cost_centre"] = {"type": "string", "x-title": {"ar": "مركز", "en": "Cost centre"}}
        form["required"].append("cost_centre")
        form["properties"]["college"]["maxLength"] = 100
        for sample in form["examples"]:
            sample["cost_centre"] = "CC-1"
        bundle = {path: json.dumps(doc, ensure_ascii=False) for path, doc in files.items()}
        v2 = await store.publish_definition(
            "supplies", bundle, content_hash(bundle), created_by="b", note="", now=service.clock()
        )
        old, new = await service.compiled_version(v1.id), await service.compiled_version(v2.id)
        open_tickets = await store.open_tickets_on(v1.id)

        started = time.perf_counter()
        report = compat.report(old, new, open_tickets)
        report_s = time.perf_counter() - started
        ctx = await service.context(new, [], service.clock())
        started = time.perf_counter()
        dry = migrate.plan(open_tickets, new, migrate.Choices(), ctx)
        dry_s = time.perf_counter() - started
        assert all(not p.ok for p in dry)
        choices = migrate.Choices(defaults={"cost_centre": "CC-9"})
        plans = migrate.plan(open_tickets, new, choices, ctx)
        started = time.perf_counter()
        outcomes = await migrate.run(
            store, open_tickets, plans, v2, new, calendar, actor_id="b", actor_name="b", now=service.clock()
        )
        run_s = time.perf_counter() - started
        assert {o for _, o in outcomes} == {"moved"}
        await store.close()
    print(f"{len(open_tickets)} open tickets, {len(report.differences)} differences")
    print(f"report:  {report_s * 1000:8.1f} ms ({len(open_tickets) / report_s:,.0f} tickets/s)")
    print(f"dry run: {dry_s * 1000:8.1f} ms ({len(open_tickets) / dry_s:,.0f} tickets/s)")
    print(f"move:    {run_s * 1000:8.1f} ms ({len(open_tickets) / run_s:,.0f} tickets/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.tickets))


if __name__ == "__main__":
    main()
