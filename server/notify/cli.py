"""The notification options of ``khidma serve`` and the ``khidma dispatch`` command.

One scheme: gateways are configured by command-line flags (``--smtp-host``, ``--sms-webhook-url``, …)
and secrets by environment variables only — ``KHIDMA_SMTP_PASSWORD`` and ``KHIDMA_WEBHOOK_TOKEN`` —
because a command line is visible to every user of the machine (``ps``). Secrets are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from server.settings import Secret, Settings

SMTP_PASSWORD_ENV = "KHIDMA_SMTP_PASSWORD"  # noqa: S105 (a variable name, not a password)
WEBHOOK_TOKEN_ENV = "KHIDMA_WEBHOOK_TOKEN"  # noqa: S105


class GatewayConfigError(ValueError):
    pass


def add_gateway_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "notification gateways",
        f"a channel with no gateway keeps its messages pending; secrets come from {SMTP_PASSWORD_ENV} "
        f"and {WEBHOOK_TOKEN_ENV} only",
    )
    group.add_argument("--smtp-host", help="the SMTP server that sends e-mail")
    group.add_argument("--smtp-port", type=int, default=25, help="default: 25")
    group.add_argument("--smtp-sender", help="the From address (default: khidma@localhost)")
    group.add_argument("--smtp-starttls", action="store_true", help="require STARTTLS before sending")
    group.add_argument("--smtp-username", help=f"log in as this user (password: {SMTP_PASSWORD_ENV})")
    group.add_argument("--sms-webhook-url", help="the SMS gateway's webhook (JSON POST)")
    group.add_argument("--whatsapp-webhook-url", help="the WhatsApp gateway's webhook (JSON POST)")


def gateway_settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``Settings`` fields the gateway flags and the secret environment variables give."""
    env = os.environ if environ is None else environ
    fields: dict[str, Any] = {
        "smtp_host": args.smtp_host or None,
        "smtp_port": args.smtp_port,
        "smtp_starttls": args.smtp_starttls,
        "smtp_username": args.smtp_username or None,
        "sms_webhook_url": args.sms_webhook_url or None,
        "whatsapp_webhook_url": args.whatsapp_webhook_url or None,
    }
    if args.smtp_sender:
        fields["smtp_sender"] = args.smtp_sender
    password = env.get(SMTP_PASSWORD_ENV)
    if fields["smtp_username"] and not password:
        raise GatewayConfigError(
            f"--smtp-username needs the password in the environment variable {SMTP_PASSWORD_ENV}"
        )
    if password:
        fields["smtp_password"] = Secret(password)
    token = env.get(WEBHOOK_TOKEN_ENV)
    if token:
        fields["webhook_token"] = Secret(token)
    return fields


def describe_gateways(settings: Settings) -> str:
    from server.notify.gateways import build_gateways

    gateways = build_gateways(settings)
    parts = [
        f"{channel}: {gateways[channel].label}" if channel in gateways else f"{channel}: none (kept pending)"
        for channel in ("email", "sms", "whatsapp")
    ]
    return "notification gateways — " + "; ".join(parts)


def cmd_dispatch(args: argparse.Namespace) -> int:
    from server.notify.dispatcher import Dispatcher, run_round, worker
    from server.runtime import DefinitionsInvalid, Runtime, load_shipped

    settings = Settings(db_path=Path(args.db), background_worker=False)
    if args.definitions:
        settings = msgspec.structs.replace(settings, definitions=Path(args.definitions))
    if args.base_url:
        settings = msgspec.structs.replace(settings, base_url=args.base_url)
    try:
        settings = msgspec.structs.replace(settings, **gateway_settings(args))
        catalogue = load_shipped(settings)
    except GatewayConfigError as exc:
        print(f"khidma dispatch: {exc}", file=sys.stderr)
        return 1
    except DefinitionsInvalid as exc:
        print(f"the definitions have errors:\n{exc}", file=sys.stderr)
        return 1
    print(describe_gateways(settings), file=sys.stderr, flush=True)
    if not args.once:  # a long-running worker says what it sends (recipients masked, no bodies)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> int:
        stop = asyncio.Event()
        if not args.once:  # SIGTERM / Ctrl-C: finish the message being sent, then stop
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
        runtime = await Runtime.open(settings, catalogue)
        try:
            dispatcher = Dispatcher.from_settings(runtime.store, settings)
            if args.once:
                report = await run_round(runtime, dispatcher)
                sent = report.dispatch
                print(
                    f"timers fired: {report.timers_fired}; sent: {sent.sent}, retried: {sent.retried}, "
                    f"dead: {sent.dead}"
                    + (f"; unavailable: {', '.join(sent.unavailable)}" if sent.unavailable else "")
                )
                status = await dispatcher.status()
                print(
                    f"pending without a gateway: {status.pending_without_gateway}"
                    + (
                        f" ({', '.join(status.channels_without_gateway)})"
                        if status.channels_without_gateway
                        else ""
                    )
                    + f"; dead in the outbox: {status.dead}"
                )
                return 0
            await worker(runtime, args.interval, stop=stop, dispatcher=dispatcher)
            return 0
        finally:
            await runtime.close()

    return asyncio.run(main())


def add_dispatch_command(commands: Any) -> None:
    """Add ``dispatch`` to the ``khidma`` sub-commands (``commands`` is the subparsers)."""
    dispatch = commands.add_parser(
        "dispatch",
        help="deliver due notifications and fire due timers (when the server runs with --no-worker)",
    )
    dispatch.add_argument("--once", action="store_true", help="one round, a report, and exit")
    dispatch.add_argument("--db", default="khidma.db", help="the SQLite file")
    dispatch.add_argument("--definitions", help="the definitions tree (default: the shipped one)")
    dispatch.add_argument("--base-url", help="the server's public address, for links in timer notifications")
    dispatch.add_argument("--interval", type=float, default=5.0, help="seconds between rounds (default: 5)")
    add_gateway_arguments(dispatch)
    dispatch.set_defaults(func=cmd_dispatch)
