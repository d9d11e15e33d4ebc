"""Polling the administration's mailbox over IMAP (aioimaplib): a periodic task of the background
worker (``ChannelHost.periodic``). Each round it logs in, takes the unseen messages of the mailbox, hands
each to the one inbound-mail service (``server/channels/mail.py``) and marks it ``\\Seen``. A message
is marked only after the service has recorded it, so a crash between the two re-reads it next round,
where its Message-ID makes it a duplicate: nothing is lost and nothing is made twice.

The password comes from the settings (``KHIDMA_IMAP_PASSWORD``) and is never logged.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter

import aioimaplib

from server.channels.host import ChannelHost
from server.channels.mail import receive_mail

log = logging.getLogger("khidma.channels.imap")


class MailboxError(RuntimeError):
    """The mailbox could not be read (refused log-in, unknown mailbox, a server error)."""


def _ok(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        raise MailboxError(f"IMAP {what} refused: {response.result}")
    return response


def _message_bytes(response: aioimaplib.Response) -> bytes | None:
    """The literal of a ``UID FETCH … (BODY.PEEK[])`` answer."""
    for line in response.lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None


async def poll_mailbox(runtime: ChannelHost) -> Counter[str]:
    """One poll: every unseen message of the mailbox through ``receive_mail``; returns the outcomes."""
    settings = runtime.settings
    if not settings.imap_host or not settings.imap_user or settings.imap_password is None:
        return Counter()
    cls = aioimaplib.IMAP4_SSL if settings.imap_tls else aioimaplib.IMAP4
    client = cls(host=settings.imap_host, port=settings.imap_port, timeout=settings.imap_timeout_seconds)
    outcomes: Counter[str] = Counter()
    await client.wait_hello_from_server()
    try:
        _ok(await client.login(settings.imap_user, settings.imap_password.reveal()), "log-in")
        _ok(await client.select(settings.imap_mailbox), "select")
        found = _ok(await client.uid_search("UNSEEN"), "search")
        first = found.lines[0] if found.lines else b""
        text = first.decode("ascii", "replace") if isinstance(first, bytes | bytearray) else str(first)
        for uid in text.split():
            if not uid.isdigit():
                continue
            fetched = _ok(await client.uid("fetch", uid, "(BODY.PEEK[])"), "fetch")
            raw = _message_bytes(fetched)
            if raw is None:
                continue
            receipt = await receive_mail(runtime, raw, source=f"imap:{settings.imap_user}")
            outcomes[receipt.outcome] += 1
            _ok(await client.uid("store", uid, "+FLAGS", "(\\Seen)"), "store")
    finally:
        with contextlib.suppress(aioimaplib.AioImapException, OSError, TimeoutError):
            await client.logout()  # already gone: nothing to close
    if outcomes:
        log.info("mailbox %s polled: %s", settings.imap_mailbox, dict(outcomes))
    return outcomes
