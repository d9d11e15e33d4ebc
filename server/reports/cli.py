"""``khidma report list``, ``khidma report run NAME`` and ``khidma report send NAME``: the reports from the
command line, on the SQLite file the server uses (``--db``). The command line sees every department (as
the scheduler does).

``report send`` queues the report's e-mails in the outbox with the scheduler's idempotency (one run per
report and period): exit 0 when it queued them (the server's worker or ``khidma dispatch`` delivers
them), 3 when that period was already sent (nothing queued), 2 for a bad name or period."""

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
    send = actions.add_parser(
        "send",
        help="e-mail a report now to its audience (once per period: exit 0 queued, 3 already sent)",
    )
    send.add_argument("name", help="the report (see `khidma report list`)")
    send.add_argument(
        "--period",
        default="",
        help="the period, as for `run` (default: the latest period whose e-mail is due, as the scheduler would)",
    )
    send.add_argument("--db", default="khidma.db", help="the SQLite file")
    send.set_defaults(func=cmd_report_send)


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
            result = await build(
                runtime,
                args.name,
                period,
                None,
                department=args.department,
                trusted=True,
                detail=args.format == "json",
            )
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


ALREADY_SENT = 3
"""``khidma report send``'s exit code when the report was already sent for that period."""


def cmd_report_send(args: argparse.Namespace) -> int:
    from server.reports.periods import PeriodError
    from server.reports.schedule import latest_due, send_report
    from server.reports.service import UnknownReport, report_of
    from server.reports.view import period_of, today_of

    async def work(runtime: Any) -> int:
        now = runtime.tickets.clock()
        try:
            report = report_of(runtime.org, args.name)
            due = None if args.period else latest_due(report, runtime.org, now)
            period = due or period_of(report, runtime.org, {"period": args.period}, today_of(runtime))
            sent = await send_report(runtime, args.name, period, by="cli", now=now)
        except UnknownReport:
            print(f"khidma report send: no report {args.name!r} (see `khidma report list`)", file=sys.stderr)
            return 2
        except PeriodError as exc:
            print(f"khidma report send: --period: {exc}", file=sys.stderr)
            return 2
        if not sent.queued:
            print(f"{args.name} for {sent.period} was already sent; nothing queued")
            return ALREADY_SENT
        print(f"{args.name} for {sent.period}: {sent.messages} e-mail(s) queued")
        return 0

    code: int = asyncio.run(_with_runtime(args.db, work))
    return code
