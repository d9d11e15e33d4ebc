"""The demo's channels and history (issue 12): published integration keys, an e-mail conversation that
came in through the real inbound-mail service and was answered, and tickets of earlier weeks so the
reports have something to count.

* **Integration keys** — one per intake API (Tawasul, Itqan, the mail gateway), published here like
  the demo password (:data:`DEMO_KEYS`): demo mode only, never on a server others can reach. Made
  once (stored hashed like any key); ``khidma integration key revoke demo-<channel>`` revokes one.
* **A threaded e-mail** — a college's mail, its follow-up (``In-Reply-To``) threaded into the same
  ticket, sorted and answered with the general supervisor's copy: it shows in the customer-service
  replies log (``/staff/replies``).
* **Earlier weeks** — the closed and moving demo tickets of the e-ticket, e-mail and phone services
  again, one to four weeks back (the ticket service's clock set back while they are written).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime

import msgspec

from server.accounts.tokens import token_hash
from server.channels.mail import receive_mail
from server.demo import department_tickets, intake_tickets
from server.demo.script import DemoTicket
from server.engine.model import Refusal
from server.runtime import Runtime
from server.store.interface import AlreadyExists
from server.store.records import Ticket
from server.tickets.actors import actor_of
from server.tickets.service import Conflict

DEMO_KEYS: dict[str, str] = {
    "tawasul": "khidma_int_demo_tawasul_key",
    "itqan": "khidma_int_demo_itqan_key",
    "email": "khidma_int_demo_mail_gateway_key",
}
"""Channel → its published demo key (named ``demo-<channel>``)."""

WEEKS_BACK = 4
HISTORY: tuple[Callable[[dt.date], list[DemoTicket]], ...] = (
    department_tickets.supplies,
    department_tickets.maintenance,
    intake_tickets.email,
    intake_tickets.phone,
)


async def ensure_demo_keys(runtime: Runtime, *, now: dt.datetime) -> dict[str, str]:
    """The demo keys, made if missing (a key revoked by hand stays revoked); channel → key."""
    existing = {k.name for k in await runtime.store.list_integration_keys()}
    made: dict[str, str] = {}
    for channel, key in DEMO_KEYS.items():
        if channel not in runtime.org.channels:
            continue
        name = f"demo-{channel}"
        if name not in existing:
            with contextlib.suppress(AlreadyExists):  # made meanwhile by another process
                await runtime.store.create_integration_key(name, channel, token_hash(key), now=now)
        made[channel] = key
    return made


def keys_banner(keys: dict[str, str], base_url: str) -> str:
    lines = ["Integration keys (demo only, published like the demo password):"]
    width = max((len(c) for c in keys), default=0)
    lines += [f"  {channel.ljust(width)}  {key}" for channel, key in keys.items()]
    if "email" in keys:
        lines.append(
            f"  e.g. curl -H 'X-Api-Key: {keys['email']}' -H 'Content-Type: message/rfc822' "
            f"--data-binary @mail.eml {base_url or 'http://127.0.0.1:8000'}/api/integrations/mail"
        )
    return "\n".join(lines)


# --- a threaded e-mail, answered ---------------------------------------------------------------------

_SENDER = "College of Engineering <engineering@example.org>"


def _mail(message_id: str, subject: str, body: str, when: dt.datetime, answers: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = _SENDER
    msg["To"] = "Edu_services@uqu.edu.sa"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(when)
    if answers:
        msg["In-Reply-To"] = f"<{answers}>"
        msg["References"] = f"<{answers}>"
    msg.set_content(body)
    return msg.as_bytes()


async def seed_threaded_mail(runtime: Runtime, *, now: dt.datetime) -> Ticket | None:
    """The conversation, once (the inbound Message-IDs make a second run a duplicate)."""
    first = _mail(
        "demo-thread-1@engineering.example.org",
        "طلب أجهزة عرض لقاعات الكلية",
        "نرغب في توفير جهازي عرض لقاعتي المحاضرات ٢٠١ و٢٠٢",
        now - dt.timedelta(hours=3),
    )
    opened = await receive_mail(runtime, first, source="demo")
    if opened.outcome != "created" or opened.ticket_number is None:
        return None
    follow = _mail(
        "demo-thread-2@engineering.example.org",
        "Re: طلب أجهزة عرض لقاعات الكلية",
        "نضيف: نحتاج كذلك سماعات للقاعتين",
        now - dt.timedelta(hours=2),
        answers="demo-thread-1@engineering.example.org",
    )
    await receive_mail(runtime, follow, source="demo")
    ticket = await runtime.store.get_ticket_by_number(opened.ticket_number)
    rep = await runtime.store.get_user_by_username("customer_service")
    if ticket is None or rep is None:
        return ticket
    steps = (
        ("sort", {"classification": "supplies_request"}),
        (
            "reply_eticket",
            {
                "reply_path": "eticket",
                "reply": "نرجو رفع طلب الأجهزة والسماعات عبر التذاكر الإلكترونية، وسنتابعه معكم",
            },
        ),
    )
    for action, data in steps:
        done = await runtime.tickets.act(
            ticket.id, action, data, actor=actor_of(rep), expected_version=ticket.version
        )
        if isinstance(done, Refusal | Conflict):
            break
        ticket = done
    return ticket


# --- earlier weeks -----------------------------------------------------------------------------------


class Ticking(msgspec.Struct):
    """A clock that starts at ``at`` and moves on ``step`` at each reading (events come in order)."""

    at: dt.datetime
    step: dt.timedelta = dt.timedelta(minutes=25)

    def __call__(self) -> dt.datetime:
        now = self.at
        self.at += self.step
        return now


def history_tickets(today: dt.date) -> list[tuple[int, DemoTicket]]:
    """(weeks back, ticket): the moved-on demo tickets of :data:`HISTORY`, again in each earlier week."""
    chosen = [t for service in HISTORY for t in service(today) if t.steps]
    return [
        (weeks, msgspec.structs.replace(t, key=f"{t.key}-week{weeks}"))
        for weeks in range(1, WEEKS_BACK + 1)
        for t in chosen
    ]
