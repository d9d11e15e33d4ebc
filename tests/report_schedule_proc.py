"""One server process's report scheduler, run as its own OS process by tests/test_report_schedule.py:
``python -m tests.report_schedule_proc DB NOW [--wait-for FILE] [--hang-inside | --hang-after]``.

Opens the store and the runtime on DB — a SQLite file or a PostgreSQL URL — (as ``khidma serve`` does), sets the clock to NOW (ISO 8601), waits
for FILE to exist (so that two processes start their round together), runs ONE scheduler round and prints
``{"leased": bool, "queued": [[report, period, messages], ...]}``. ``--hang-inside`` blocks inside the
transaction that queues the first run, after writing its rows and before COMMIT (the test SIGKILLs it
there); ``--hang-after`` blocks after the round has committed (killed before the dispatcher sends)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any


def hang_inside(module: Any) -> None:
    """Make ``module.queue_report_run`` block after writing its rows, before its transaction commits."""
    original = module.queue_report_run

    async def hang(conn: Any, *a: Any, **kw: Any) -> bool:
        queued: bool = await original(conn, *a, **kw)
        print("inside", flush=True)
        await asyncio.sleep(3600)
        return queued

    module.queue_report_run = hang


async def main(args: argparse.Namespace) -> None:
    from server.reports.schedule import ReportScheduler
    from server.runtime import Runtime, load_shipped
    from server.settings import Settings
    from server.store import postgres_report_mail, sqlite_report_mail
    from server.store.open import db_settings

    if args.hang_inside:
        for module in (sqlite_report_mail, postgres_report_mail):  # whichever backend DB is on
            hang_inside(module)

    now = dt.datetime.fromisoformat(args.now)
    settings = Settings(**db_settings(args.db), background_worker=False, base_url="http://testserver.local")
    runtime = await Runtime.open(settings, load_shipped(settings))
    runtime.tickets.clock = lambda: now
    try:
        if args.wait_for:
            while not Path(args.wait_for).exists():  # a start line for racing processes, not a clock
                time.sleep(0.005)
        scheduler = ReportScheduler(runtime)
        sent = await scheduler()
        print(
            json.dumps(
                {"leased": scheduler.leased, "queued": [[s.report, s.period, s.messages] for s in sent]}
            ),
            flush=True,
        )
        if args.hang_after:
            print("queued", flush=True)
            await asyncio.sleep(3600)
    finally:
        await runtime.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("now")
    parser.add_argument("--wait-for")
    parser.add_argument("--hang-inside", action="store_true")
    parser.add_argument("--hang-after", action="store_true")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
