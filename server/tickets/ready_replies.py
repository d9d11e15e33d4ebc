"""The knowledge bank behind the staff's reply fields: the ready replies found for a search.

A reply field (``x-ready-replies`` on a textarea of an action form) gets a picker: a search over the
titles and bodies of the ready replies in both languages, offering the bodies in one language (the
requester's by default); "Insert" puts a body into the field (``server/static/staff-ticket.js``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import msgspec

from server.definitions.model import Language
from server.store.interface import Store

if TYPE_CHECKING:
    from server.runtime import Runtime

__all__ = [
    "READY_REPLIES_SHOWN",
    "ReadyRepliesPanel",
    "ReadyReplyView",
    "find_ready_replies",
    "ready_replies",
]

READY_REPLIES_SHOWN = 20
_TARGET = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


class ReadyReplyView(msgspec.Struct, frozen=True):
    id: int
    title_ar: str
    title_en: str
    body: str


class ReadyRepliesPanel(msgspec.Struct, frozen=True):
    """A reply field's picker: the search and the replies found, inserted into ``target``."""

    key: str
    """Unique on the page: the ids of the picker's elements derive from it."""
    target: str
    """The id of the textarea an inserted reply goes into (empty: nothing to insert into)."""
    query: str
    lang: str
    """The language of the bodies offered (the requester's by default)."""
    replies: list[ReadyReplyView] = msgspec.field(default_factory=list)
    ticket_id: int = 0


def reply_language(lang: str | None, default: str) -> Language:
    """``lang`` when it is one of the two languages, else ``default``'s."""
    chosen = lang if lang in ("ar", "en") else default
    return "en" if chosen == "en" else "ar"


async def find_ready_replies(store: Store, query: str, lang: str) -> list[ReadyReplyView]:
    """The ready replies whose title or body (either language) matches ``query``, bodies in ``lang``."""
    found = await store.search_ready_replies(query.strip()[:200], limit=READY_REPLIES_SHOWN)
    return [
        ReadyReplyView(
            id=r.id, title_ar=r.title_ar, title_en=r.title_en, body=r.body_en if lang == "en" else r.body_ar
        )
        for r in found
    ]


async def ready_replies(
    runtime: Runtime, *, query: str | None, lang: str | None, target: str | None, page_lang: str
) -> ReadyRepliesPanel:
    """The picker's results for a search (``GET /staff/ready-replies``): ``target`` must look like an
    element id (anything else inserts nowhere), bodies in ``lang`` (else the page's language)."""
    chosen = target if target and _TARGET.match(target) else ""
    reply_lang = reply_language(lang, page_lang)
    return ReadyRepliesPanel(
        key=chosen,
        target=chosen,
        query=query or "",
        lang=reply_lang,
        replies=await find_ready_replies(runtime.store, query or "", reply_lang),
    )
