"""``khidma report list`` and ``khidma report run NAME``: the reports from the command line, on the SQLite
file the server uses (``--db``). The command line sees every department (as the scheduler will)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import msgspec


def add_report_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="the reports: list them, run one to a file")
    actions = report.add_subparsers(dest="report_command", required=True)
    listing = actions.add_parser("list", help="the organisation's reports: name, period, title")
    listing.add_argument("--db", default="khidma.db", help="the SQLite file or a postgresql:// URL")
    listing.add_argument("--lang", choices=("ar", "en"), default="en")
    listing.set_defaults(func=cmd_report_list)
    run = actions.add_parser("run", help="run a report over a period; write CSV, XLSX or JSON")
    run.add_argument("name", help="the report (see `khidma report list`)")
    run.add_argument(
        "--period",
        default="",
        help="week:YYYY-MM-DD, month:YYYY-MM, semester:YYYY-MM-DD, half_year:YYYY-MM-DD, "
        "custom:FIRST..LAST or now (default: the report's period holding today)",
    )
    run.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv")
    run.add_argument("--lang", choices=("ar", "en"), default="ar")
    run.add_argument("--department", help="only this department's services")
    run.add_argument("--out", help="the file to write (default: standard output; required for xlsx)")
    run.add_argument("--db", default="khidma.db", help="the SQLite file or a postgresql:// URL")
    run.set_defaults(func=cmd_report_run)


async def _with_runtime(db: str, work: Any) -> Any:
    from server.runtime import Runtime, load_shipped
    from server.settings import Settings
    from server.store.open import db_settings

    settings = Settings(**db_settings(db), background_worker=False)
    runtime = await Runtime.open(settings, load_shipped(settings))
    try:
        return await work(runtime)
    finally:
        await runtime.close()


def cmd_report_list(args: argparse.Namespace) -> int:
    async def work(runtime: Any) -> int:
        for name, report in runtime.org.reports.items():
            print(f"{name:<24} {report.period:<10} {report.name.get(args.lang)}")
        return 0

    code: int = asyncio.run(_with_runtime(args.db, work))
    return code


def cmd_report_run(args: argparse.Namespace) -> int:
    from server.reports import files
    from server.reports.periods import PeriodError
    from server.reports.service import UnknownReport, build, report_of
    from server.reports.view import period_of, today_of

    if args.format == "xlsx" and not args.out:
        print("khidma report run: --out is required for xlsx", file=sys.stderr)
        return 2

    async def work(runtime: Any) -> int:
        try:
            report = report_of(runtime.org, args.name)
            if args.department and args.department not in runtime.org.departments:
                print(f"khidma report run: no department {args.department!r}", file=sys.stderr)
                return 2
            period = period_of(report, runtime.org, {"period": args.period}, today_of(runtime))
            result = await build(runtime, args.name, period, None, department=args.department, trusted=True)
        except UnknownReport:
            print(f"khidma report run: no report {args.name!r} (see `khidma report list`)", file=sys.stderr)
            return 2
        except PeriodError as exc:
            print(f"khidma report run: --period: {exc}", file=sys.stderr)
            return 2
        if args.format == "csv":
            content = files.to_csv(result, runtime.org, args.lang)
        elif args.format == "xlsx":
            content = files.to_xlsx(result, runtime.org, args.lang)
        else:
            content = msgspec.json.format(msgspec.json.encode(files.to_data(result, args.lang)))
        if args.out:
            Path(args.out).write_bytes(content)
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
        return 0

    code: int = asyncio.run(_with_runtime(args.db, work))
    return code
