"""The notification options of ``khidma serve`` and the ``khidma dispatch`` command.

Gateways (SMTP with its STARTTLS option, the SMS and WhatsApp base URLs) are set in one place of three,
the first that says wins: a command-line flag (``--smtp-host``, ``--sms-webhook-url``, …), an environment
variable (``KHIDMA_SMTP_HOST``, ``KHIDMA_SMS_WEBHOOK_URL``, … — :data:`ENV`), or the gateways file
(``--gateways FILE`` or ``KHIDMA_GATEWAYS``: TOML, the same names in lower case without ``KHIDMA_``).
Secrets come from environment variables only — ``KHIDMA_SMTP_PASSWORD``, ``KHIDMA_WEBHOOK_TOKEN``,
``KHIDMA_WHATSAPP_VERIFY_TOKEN``, ``KHIDMA_WHATSAPP_APP_SECRET`` — because a command line is visible to
every user of the machine (``ps``) and a settings file is easily copied; a file naming one is refused.
Secrets are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from server.settings import Secret, Settings
from server.store.open import ATTACHMENTS_HELP, db_settings

SMTP_PASSWORD_ENV = "KHIDMA_SMTP_PASSWORD"  # noqa: S105 (a variable name, not a password)
WEBHOOK_TOKEN_ENV = "KHIDMA_WEBHOOK_TOKEN"  # noqa: S105
WHATSAPP_VERIFY_TOKEN_ENV = "KHIDMA_WHATSAPP_VERIFY_TOKEN"  # noqa: S105
WHATSAPP_APP_SECRET_ENV = "KHIDMA_WHATSAPP_APP_SECRET"  # noqa: S105
GATEWAYS_FILE_ENV = "KHIDMA_GATEWAYS"

ENV: Mapping[str, str] = {
    "smtp_host": "KHIDMA_SMTP_HOST",
    "smtp_port": "KHIDMA_SMTP_PORT",
    "smtp_sender": "KHIDMA_SMTP_SENDER",
    "smtp_starttls": "KHIDMA_SMTP_STARTTLS",
    "smtp_username": "KHIDMA_SMTP_USERNAME",
    "sms_webhook_url": "KHIDMA_SMS_WEBHOOK_URL",
    "whatsapp_webhook_url": "KHIDMA_WHATSAPP_WEBHOOK_URL",
}
"""The gateway settings an environment variable (or the gateways file, by the setting's name) sets."""
_SECRETS = {
    "smtp_password": SMTP_PASSWORD_ENV,
    "webhook_token": WEBHOOK_TOKEN_ENV,
    "whatsapp_verify_token": WHATSAPP_VERIFY_TOKEN_ENV,
    "whatsapp_app_secret": WHATSAPP_APP_SECRET_ENV,
}
_TRUE = {"1", "true", "yes", "on"}


class GatewayConfigError(ValueError):
    pass


def add_gateway_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "notification gateways",
        f"a channel with no gateway keeps its messages pending; secrets come from {SMTP_PASSWORD_ENV} "
        f"and {WEBHOOK_TOKEN_ENV} only",
    )
    group.add_argument(
        "--gateways", help=f"a TOML file of gateway settings (or {GATEWAYS_FILE_ENV}); flags and KHIDMA_* win"
    )
    group.add_argument("--smtp-host", help="the SMTP server that sends e-mail")
    group.add_argument("--smtp-port", type=int, help="default: 25")
    group.add_argument("--smtp-sender", help="the From address (default: khidma@localhost)")
    group.add_argument("--smtp-starttls", action="store_true", help="require STARTTLS before sending")
    group.add_argument("--smtp-username", help=f"log in as this user (password: {SMTP_PASSWORD_ENV})")
    group.add_argument("--sms-webhook-url", help="the SMS gateway's webhook (JSON POST)")
    group.add_argument("--whatsapp-webhook-url", help="the WhatsApp gateway's webhook (JSON POST)")


def _file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with Path(path).open("rb") as handle:
            found = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GatewayConfigError(f"the gateways file {path}: {exc}") from None
    secret = sorted(set(found) & set(_SECRETS))
    if secret:
        raise GatewayConfigError(
            f"the gateways file {path} names secrets ({', '.join(secret)}): set them in the environment "
            f"({', '.join(_SECRETS[k] for k in secret)}) instead"
        )
    unknown = sorted(set(found) - set(ENV))
    if unknown:
        raise GatewayConfigError(f"the gateways file {path}: unknown settings {', '.join(unknown)}")
    return found


def gateway_settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``Settings`` fields the gateway flags, the environment and the gateways file give (in that
    order of precedence), with the secrets from the environment."""
    env = os.environ if environ is None else environ
    from_file = _file(getattr(args, "gateways", None) or env.get(GATEWAYS_FILE_ENV))

    def pick(name: str) -> Any:
        flag = getattr(args, name, None)
        if flag not in (None, "", False):
            return flag
        if env.get(ENV[name]):
            return env[ENV[name]]
        return from_file.get(name)

    fields: dict[str, Any] = {
        "smtp_host": pick("smtp_host") or None,
        "smtp_username": pick("smtp_username") or None,
        "sms_webhook_url": pick("sms_webhook_url") or None,
        "whatsapp_webhook_url": pick("whatsapp_webhook_url") or None,
    }
    starttls = pick("smtp_starttls")
    fields["smtp_starttls"] = starttls is True or str(starttls).strip().lower() in _TRUE
    port = pick("smtp_port")
    if port is not None:
        try:
            fields["smtp_port"] = int(port)
        except (TypeError, ValueError):
            raise GatewayConfigError(f"the SMTP port must be a number, not {port!r}") from None
    sender = pick("smtp_sender")
    if sender:
        fields["smtp_sender"] = str(sender)
    password = env.get(SMTP_PASSWORD_ENV)
    if fields["smtp_username"] and not password:
        raise GatewayConfigError(
            f"--smtp-username needs the password in the environment variable {SMTP_PASSWORD_ENV}"
        )
    for name, variable in _SECRETS.items():
        value = env.get(variable)
        if value:
            fields[name] = Secret(value)
    return fields


def describe_gateways(settings: Settings) -> str:
    from server.notify.gateways import build_gateways

    gateways = build_gateways(settings)
    parts = [
        f"{channel}: {gateways[channel].label}" if channel in gateways else f"{channel}: none (kept pending)"
        for channel in ("email", "sms", "whatsapp")
    ]
    return "notification gateways — " + "; ".join(parts)


ELECTION_LOST = 3
"""``khidma dispatch --once``'s exit status when another process holds the background work."""


def cmd_dispatch(args: argparse.Namespace) -> int:
    from server.election import standing
    from server.notify.dispatcher import Dispatcher, run_round, worker
    from server.runtime import DefinitionsInvalid, Runtime, load_shipped

    settings = Settings(
        **db_settings(args.db, args.attachments),
        background_worker=False,
        worker_election_seconds=args.worker_election_interval,
    )
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

    def waiting() -> None:
        print(
            "khidma dispatch: another process runs the background work for this database; waiting to"
            f" take over (the worker election, tried every {settings.worker_election_seconds:g} s)",
            file=sys.stderr,
            flush=True,
        )

    async def main() -> int:
        stop = asyncio.Event()
        if not args.once:  # SIGTERM / Ctrl-C: finish the message being sent, then stop
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
        # the work is done only while this process holds the worker election's lock (server/election.py)
        async with standing(settings, stop=None if args.once else stop, waiting=waiting) as won:
            if won:
                return await elected(stop)
            if args.once:
                print(
                    "khidma dispatch: another process runs the background work for this database (the"
                    " worker election: a `khidma serve` worker or another `khidma dispatch`); nothing done",
                    file=sys.stderr,
                )
                return ELECTION_LOST
            return 0  # stopped while waiting

    async def elected(stop: asyncio.Event) -> int:
        from server.reports.schedule import report_schedule

        runtime = await Runtime.open(settings, catalogue, background=(report_schedule,))
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

    try:
        return asyncio.run(main())
    except ConnectionError as exc:  # --once: the election's database is out of reach
        print(f"khidma dispatch: {exc}", file=sys.stderr)
        return 1


def add_dispatch_command(commands: Any) -> None:
    """Add ``dispatch`` to the ``khidma`` sub-commands (``commands`` is the subparsers)."""
    dispatch = commands.add_parser(
        "dispatch",
        help="deliver due notifications and fire due timers (when the server runs with --no-worker)",
    )
    dispatch.add_argument("--once", action="store_true", help="one round, a report, and exit")
    dispatch.add_argument("--db", default="khidma.db", help="the SQLite file or a postgresql:// URL")
    dispatch.add_argument("--attachments", metavar="DIR", help=ATTACHMENTS_HELP)
    dispatch.add_argument("--definitions", help="the definitions tree (default: the shipped one)")
    dispatch.add_argument("--base-url", help="the server's public address, for links in timer notifications")
    dispatch.add_argument("--interval", type=float, default=5.0, help="seconds between rounds (default: 5)")
    dispatch.add_argument(
        "--worker-election-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="while another process holds the background work, how often to try to take over (default: 30)",
    )
    add_gateway_arguments(dispatch)
    dispatch.set_defaults(func=cmd_dispatch)
