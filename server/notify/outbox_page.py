"""The outbox page of an administrator (``/admin/outbox``): every notification that did not leave —
undeliverable, failed for good, waiting for its next attempt — with its reason, and sending a failed
one again once its cause is fixed.

Sending again puts the message back in the queue (``pending``, attempts from zero, the same
``gateway_request_id`` so a gateway that saw it before can drop the duplicate); the worker sends it on
its next round. An undeliverable message has no address and cannot be sent again: it is there to be
seen (and its ticket answered another way).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.i18n import t
from server.notify.problems import PROBLEM_STATUSES, DeliveryProblem, outbox_counts, problems, user_ids
from server.store.records import OutboxMessage

if TYPE_CHECKING:
    from server.runtime import Runtime

log = logging.getLogger("khidma.notify")


@dataclass(frozen=True)
class OutboxPage:
    problems: list[DeliveryProblem]
    summary: str
    notice: str = ""
    notice_kind: str = ""
    """``ok`` (a message was queued again) or ``error`` (it could not be)."""


async def _problems(runtime: Runtime) -> list[OutboxMessage]:
    """The messages the page lists: failed (waiting for a retry) and dead — not those queued."""
    found: list[OutboxMessage] = []
    for status in PROBLEM_STATUSES:
        found.extend(await runtime.store.list_outbox(status=status))
    return found


async def outbox_page(runtime: Runtime, lang: str, *, notice: str = "", notice_kind: str = "") -> OutboxPage:
    messages = await _problems(runtime)
    ids = sorted(user_ids(messages))
    names = {i: u.name for i, u in (await runtime.store.get_users(ids)).items()} if ids else {}
    counted = await outbox_counts(runtime.store)
    return OutboxPage(
        problems=problems(messages, lang, runtime.tickets.calendar.tz, names),
        summary=t("dlv_outbox_counts", lang).format(**counted),
        notice=notice,
        notice_kind=notice_kind,
    )


async def retry(runtime: Runtime, lang: str, message_id: int, *, by: str) -> OutboxPage:
    """Queue message ``message_id`` again (when it failed for good and has an address)."""
    queued = await runtime.store.retry_outbox(message_id, now=runtime.tickets.clock())
    if queued:
        log.info("outbox message %d queued again by %s", message_id, by)
        return await outbox_page(
            runtime, lang, notice=t("dlv_retried", lang).format(id=message_id), notice_kind="ok"
        )
    notice = t("dlv_cannot_retry", lang).format(id=message_id)
    return await outbox_page(runtime, lang, notice=notice, notice_kind="error")
