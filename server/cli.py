"""The ``khidma`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from server.accounts.cli import add_account_commands
from server.audit.cli import add_audit_commands
from server.channels.cli import add_integration_commands
from server.definitions.loader import load_tree, summary
from server.exports.cli import add_export_commands
from server.notify.cli import add_dispatch_command, add_gateway_arguments
from server.paths import shipped_root
from server.process import collect_again
from server.reports.cli import add_report_commands
from server.settings import Settings
from server.store.cli import add_migrate_store_command
from server.store.open import ATTACHMENTS_HELP


def cmd_check(args: argparse.Namespace) -> int:
    root = Path(args.dir) if args.dir else shipped_root()
    result = load_tree(root)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if result.errors:
        for error in result.errors:
            print(error, file=sys.stderr)
        print(f"{len(result.errors)} error(s) in {root}", file=sys.stderr)
        return 1
    assert result.catalogue is not None
    for line in summary(result.catalogue):
        print(line)
    warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    print(f"{len(result.catalogue.services)} services, no errors{warned}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import msgspec

    from server.store.open import db_settings

    settings = Settings(**db_settings(args.db, args.attachments), base_url=f"http://{args.host}:{args.port}")
    if args.definitions:
        settings = msgspec.structs.replace(settings, definitions=Path(args.definitions))
    # accounts: cookies over HTTPS only, trusted-header single sign-on (server/web/auth.py)
    settings = msgspec.structs.replace(
        settings,
        secure_cookies=args.secure_cookies,
        sso_header=args.sso_header,
        sso_trusted_proxies=tuple(args.sso_trusted_proxy or ()),
        # request budgets: X-Forwarded-For only from these proxies; rate limits (server/web/limits.py)
        trusted_proxies=tuple(args.trusted_proxy or ()),
        rate_limits=not args.no_rate_limits,
    )
    # notifications: gateways from flags, secrets from the environment (server/notify/cli.py)
    from server.notify.cli import GatewayConfigError, gateway_settings

    try:
        settings = msgspec.structs.replace(
            settings,
            background_worker=not args.no_worker,
            worker_interval_seconds=args.worker_interval,
            worker_election_seconds=args.worker_election_interval,
            **gateway_settings(args),
        )
    except GatewayConfigError as exc:
        print(f"khidma serve: {exc}", file=sys.stderr)
        return 1
    stand_ins = None
    if args.demo:  # loopback stand-ins take the channels given no gateway (server/demo/gateways.py)
        from server.demo.gateways import StandIns

        stand_ins = StandIns().start()
        settings = stand_ins.settings_for(settings)
    try:
        return _serve(args, settings)
    finally:
        if stand_ins is not None:
            stand_ins.stop()


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.app import DefinitionsInvalid, create_app

    if settings.background_worker and args.workers <= 1:
        # the background work is elected among every process serving the database — one per machine on
        # one PostgreSQL, and `khidma dispatch` on either backend — and a process that loses tries
        # again (server/election.py)
        import msgspec

        settings = msgspec.structs.replace(settings, worker_election=True)
    try:
        app = create_app(settings)
    except DefinitionsInvalid as exc:
        print(f"the definitions have errors:\n{exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a malformed --sso-trusted-proxy or --trusted-proxy
        print(exc, file=sys.stderr)
        return 1
    if args.demo:
        from server.demo import prepare_demo

        print(prepare_demo(settings), flush=True)
    from server.notify.cli import describe_gateways

    print(describe_gateways(settings) + ("" if settings.background_worker else " (worker off)"), flush=True)
    if args.demo:
        print(
            f"What the demo sends: http://{args.host}:{args.port}/admin/demo/sent (as administrator)",
            flush=True,
        )
    print(f"khidma serving on http://{args.host}:{args.port}/", flush=True)
    if args.workers > 1:  # several processes on the one SQLite file (server/workers.py)
        from server.workers import serve

        collect_again()  # this process supervises; each worker freezes its own heap
        serve(settings, host=args.host, port=args.port, workers=args.workers)
        return 0
    # uvicorn never replaces the peer's address from X-Forwarded-For (it would believe any client on
    # 127.0.0.1): the app reads that header itself, from the trusted proxies only (server/web/limits.py).
    from server.process import tune_for_serving

    uvicorn.run(
        tune_for_serving(app),
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=False,
        ws="none",  # no WebSocket route: uvicorn's WebSocket stack not imported (~18 ms of a start)
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="khidma", description="A low-code forms and workflow server.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a definitions tree and print one line per service")
    check.add_argument(
        "dir", nargs="?", help="a tree holding service_definitions/, form_schemas/, workflows/"
    )
    check.set_defaults(func=cmd_check)

    serve = commands.add_parser("serve", help="start the server on an embedded SQLite file (or PostgreSQL)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--db",
        default="khidma.db",
        help="the SQLite file (created on first start), or a PostgreSQL database: postgresql://user@host/db",
    )
    serve.add_argument("--attachments", metavar="DIR", help=ATTACHMENTS_HELP)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the database (default 1; see docs/performance.md)",
    )
    serve.add_argument("--definitions", help="the definitions tree to load (default: the shipped one)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="seed demo accounts, ready replies, a custody ledger and tickets (if missing); print the log-ins",
    )
    serve.add_argument(
        "--secure-cookies", action="store_true", help="send the session cookie over HTTPS only"
    )
    serve.add_argument("--sso-header", help="trusted-header single sign-on: the header naming the user")
    serve.add_argument(
        "--sso-trusted-proxy",
        action="append",
        metavar="ADDR",
        help="an address or network (CIDR) whose --sso-header is trusted (repeatable)",
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDR",
        help="an address or network of a reverse proxy whose X-Forwarded-For is believed (repeatable)",
    )
    serve.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="do not limit anonymous submissions and look-ups per client (for benchmarks)",
    )
    # notifications (server/notify/cli.py): gateway flags, the background worker, `khidma dispatch`
    add_gateway_arguments(serve)
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not deliver notifications or fire timers in this process (run `khidma dispatch`)",
    )
    serve.add_argument(
        "--worker-interval", type=float, default=5.0, help="seconds between worker rounds (default: 5)"
    )
    serve.add_argument(
        "--worker-election-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how often a process that lost the background-work election tries again (default: 30)",
    )
    serve.set_defaults(func=cmd_serve)
    add_account_commands(commands)  # user add|list|password, token create|list|revoke
    add_dispatch_command(commands)  # dispatch [--once]
    add_export_commands(commands)  # export --out DIR [--format …], import PATH
    add_report_commands(commands)  # report list, report run NAME
    add_integration_commands(commands)  # integration key create|list|revoke
    add_audit_commands(commands)  # audit verify|rechain (server/audit/cli.py)
    add_migrate_store_command(commands)  # migrate-store --from DB --to DB (server/store/cli.py)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.func is not cmd_serve:  # serve turns it on with the heap frozen (server/process.py)
        collect_again()
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
