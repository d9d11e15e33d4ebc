"""Demo mode (``khidma serve --demo``): everything a newcomer needs to walk all nine services in a
minute — an account for every role and department, a knowledge bank of ready replies, a custody
ledger, and tickets of every service in several of its states, driven there by the real ticket
service. Seeding is idempotent (run it on every start) and sends nothing: the messages it causes wait
in the outbox, and a demo server has no gateway configured unless one is given on the command line.

- ``server/accounts/demo.py``: the accounts and the banner of log-ins;
- ``replies.py``: the ready replies; ``ledger.py``: the custody ledger;
- ``script.py``: how a demo ticket is written; ``department_tickets.py`` and ``intake_tickets.py``:
  the tickets; ``tickets.py``: drives them through the ticket service;
- ``channels.py``: the published integration keys, an e-mail conversation through the inbound-mail
  service, and tickets of earlier weeks for the reports;
- ``gateways.py``: the loopback stand-ins for the SMTP, SMS and WhatsApp gateways that
  ``khidma serve --demo`` starts, and the page of what they received.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec

from server.accounts.demo import DemoAccount, demo_banner, ensure_demo_accounts
from server.demo.channels import (
    Ticking,
    ensure_demo_keys,
    history_tickets,
    keys_banner,
    seed_threaded_mail,
)
from server.demo.ledger import CUSTODY_TABLE, HOLDS_CUSTODY, NO_CUSTODY, ensure_custody_ledger
from server.demo.replies import ensure_ready_replies
from server.demo.tickets import DemoSeedError, TicketsSeeded, seed_dated, seed_tickets, withhold_messages
from server.runtime import Runtime, load_shipped
from server.settings import Settings

__all__ = ["DemoSeed", "DemoSeedError", "prepare_demo", "seed_demo"]


class DemoSeed(msgspec.Struct, frozen=True):
    accounts: list[DemoAccount]
    replies_added: int
    custody_rows_added: int
    tickets: TicketsSeeded
    history: TicketsSeeded
    """The tickets of earlier weeks (``server/demo/channels.py``)."""
    keys: dict[str, str]
    """Channel → its published demo integration key."""
    base_url: str = ""


async def seed_demo(runtime: Runtime) -> DemoSeed:
    """Seed ``runtime``'s store with the demo data it lacks."""
    now = datetime.now(UTC)
    store = runtime.store
    accounts = await ensure_demo_accounts(store, runtime.org, now=now)
    replies = await ensure_ready_replies(store)
    custody = await ensure_custody_ledger(store, runtime.org)
    today = runtime.tickets.clock().astimezone(runtime.tickets.calendar.tz).date()
    tickets = await seed_tickets(runtime.tickets, today)
    keys = await ensure_demo_keys(runtime, now=now)
    threaded = await seed_threaded_mail(runtime, now=now)
    if threaded is not None:
        await withhold_messages(runtime.store, threaded)
    dated = [(Ticking(now - timedelta(weeks=weeks, hours=3)), demo) for weeks, demo in history_tickets(today)]
    history = await seed_dated(runtime.tickets, dated)
    return DemoSeed(accounts, replies, custody, tickets, history, keys, runtime.settings.base_url)


def summary(seed: DemoSeed) -> str:
    """What ``khidma serve --demo`` prints: the log-ins, then what the demo holds."""
    made = seed.tickets
    lines = [
        demo_banner(seed.accounts),
        f"Demo data: {made.created} ticket(s) added ({made.existing} there already) in every service's "
        f"states; {seed.replies_added} ready reply(ies) added; {seed.custody_rows_added} {CUSTODY_TABLE} "
        "ledger row(s) added.",
        f"Try the clearance with employee number {HOLDS_CUSTODY} (custody held) or {NO_CUSTODY} (none).",
        f"Earlier weeks, for the reports: {seed.history.created} ticket(s) added "
        f"({seed.history.existing} there already).",
        keys_banner(seed.keys, seed.base_url),
    ]
    if made.skipped_services:
        lines.append(f"Not published, no demo tickets: {', '.join(made.skipped_services)}")
    return "\n".join(lines)


def prepare_demo(settings: Settings) -> str:
    """Seed the demo data (idempotently) in ``settings.db_path``; returns the text to print. A demo
    ticket the definitions refuse is reported, not fatal: the server starts all the same."""
    catalogue = load_shipped(settings)
    quiet = msgspec.structs.replace(settings, background_worker=False)

    async def main() -> str:
        runtime = await Runtime.open(quiet, catalogue)
        try:
            return summary(await seed_demo(runtime))
        except DemoSeedError as exc:
            accounts = await ensure_demo_accounts(runtime.store, runtime.org, now=datetime.now(UTC))
            return f"{demo_banner(accounts)}\nDemo data incomplete: {exc}"
        finally:
            await runtime.close()

    return asyncio.run(main())
