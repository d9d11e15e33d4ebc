"""Notifications that did not (yet) leave, as people read them: on the staff ticket page, on the
outbox page, and counted in ``/healthz``.

A row is a problem when it is ``dead`` (undeliverable from the start, or failed for good) or ``failed``
(waiting for its next attempt). Its reason is localized: an undeliverable one says who had no address
(``server.notify.undeliverable``); a gateway's error is quoted as the gateway gave it (no secrets are
ever in it: ``server.notify.gateways``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

import msgspec

from server.dates import both
from server.i18n import t
from server.notify.undeliverable import MARKS, parse
from server.store.interface import Store
from server.store.records import OutboxMessage, OutboxStatus

PROBLEM_STATUSES: tuple[OutboxStatus, ...] = ("dead", "failed")
KINDS = ("pending", "sending", "failed", "dead", "undeliverable")
"""What :func:`outbox_counts` counts: the unsent statuses, a ``dead`` row that never had an address
(:func:`kind`) apart."""


class DeliveryProblem(msgspec.Struct, frozen=True):
    id: int
    ticket_id: int | None
    """None: a message of no ticket (a scheduled report)."""
    subject: str
    """The notification's subject (its template id when it has none)."""
    channel: str
    recipient: str
    status: str
    """``undeliverable``, ``dead`` or ``failed``."""
    status_label: str
    reason: str
    attempts: int
    when: str
    retryable: bool
    """Failed for good with an address: an administrator may send it again."""


def kind(message: OutboxMessage) -> str:
    """``undeliverable`` for a row that never had an address, else the row's status."""
    if message.status == "dead" and parse(message.last_error) is not None:
        return "undeliverable"
    return message.status


def _who(who: str, lang: str, names: Mapping[str, str]) -> str:
    """``requester (sms)``, ``user:ID (email)``, ``role:ID`` as people read them."""
    label, _, rest = who.partition(" ")
    channel = rest.strip("()")
    if label == "requester":
        label = t("dlv_who_requester", lang)
    elif label.startswith("user:"):
        label = names.get(label[5:], label[5:])
    return f"{label} ({channel_label(channel, lang)})" if channel else label


def user_ids(messages: Iterable[OutboxMessage]) -> set[str]:
    """The users named by undeliverable rows (to be shown by name)."""
    found = (parse(m.last_error) for m in messages)
    return {u.who.partition(" ")[0][5:] for u in found if u is not None and u.who.startswith("user:")}


def reason(message: OutboxMessage, lang: str, names: Mapping[str, str]) -> str:
    found = parse(message.last_error)
    if found is not None:
        return t(f"dlv_reason_{found.code}", lang).format(who=_who(found.who, lang, names))
    if message.last_error:
        return t("dlv_reason_gateway", lang).format(error=message.last_error)
    return ""


def channel_label(channel: str, lang: str) -> str:
    key = f"dlv_channel_{channel}"
    return t(key, lang) if channel in ("email", "sms", "whatsapp") else channel


def problem(
    message: OutboxMessage, lang: str, tz: ZoneInfo, names: Mapping[str, str] | None = None
) -> DeliveryProblem:
    status = kind(message)
    return DeliveryProblem(
        id=message.id,
        ticket_id=message.ticket_id,
        subject=message.subject or message.template,
        channel=channel_label(message.channel, lang),
        recipient=message.recipient,
        status=status,
        status_label=t(f"dlv_status_{status}", lang),
        reason=reason(message, lang, names or {}),
        attempts=message.attempts,
        when=both(message.updated_at, lang, tz),
        retryable=status == "dead" and bool(message.recipient),
    )


def problems(
    messages: Iterable[OutboxMessage], lang: str, tz: ZoneInfo, names: Mapping[str, str] | None = None
) -> list[DeliveryProblem]:
    """The problem rows among ``messages`` (a ticket's outbox, or all of it), newest first; ``names``
    gives the users' names (user id → name)."""
    found = [problem(m, lang, tz, names) for m in messages if m.status in PROBLEM_STATUSES]
    return sorted(found, key=lambda p: -p.id)


async def outbox_counts(store: Store) -> Mapping[str, int]:
    """How many messages are ``pending``, ``sending``, ``failed``, ``dead`` (failed for good) and
    ``undeliverable`` (:func:`kind`), for ``/healthz`` and the outbox page — counted by the store without
    reading them out: ``/healthz`` answers every poll of a load balancer, and a backlog (a gateway down
    for a day) must not make it slower the longer it lasts."""
    counted: Counter[str] = Counter()
    for (_channel, status), n in (await store.count_outbox(undeliverable=MARKS)).items():
        counted[status] += n
    return {k: counted.get(k, 0) for k in KINDS}
