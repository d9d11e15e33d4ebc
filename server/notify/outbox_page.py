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
from typing import TYPE_CHECKING

import msgspec

from server.i18n import t
from server.notify.problems import PROBLEM_STATUSES, DeliveryProblem, outbox_counts, problems, user_ids

if TYPE_CHECKING:
    from server.runtime import Runtime

log = logging.getLogger("khidma.notify")


PAGE_SIZE = 50
"""Messages a page lists (newest first): failed and dead ones pile up with the years, undeliverable
notices above all, and the page never reads them all at once."""


class OutboxPage(msgspec.Struct, frozen=True):
    problems: list[DeliveryProblem]
    summary: str
    notice: str = ""
    notice_kind: str = ""
    """``ok`` (a message was queued again) or ``error`` (it could not be)."""
    page: int = 1
    pages: int = 1


async def outbox_page(
    runtime: Runtime, lang: str, *, page: int = 1, notice: str = "", notice_kind: str = ""
) -> OutboxPage:
    """Page ``page`` (from 1; one past either end shows the nearest) of the failed and dead messages."""
    counted = await outbox_counts(runtime.store)
    total = counted["failed"] + counted["dead"] + counted["undeliverable"]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    messages = await runtime.store.page_outbox(
        PROBLEM_STATUSES, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    ids = sorted(user_ids(messages))
    names = {i: u.name for i, u in (await runtime.store.get_users(ids)).items()} if ids else {}
    return OutboxPage(
        problems=problems(messages, lang, runtime.tickets.calendar.tz, names),
        summary=t("dlv_outbox_counts", lang).format(**counted),
        notice=notice,
        notice_kind=notice_kind,
        page=page,
        pages=pages,
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
