"""Ready replies (the knowledge bank): the list searched in either language, adding and editing one.

Each action answers an :class:`~server.directory.outcome.Outcome` (done, refused with the page, not found).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from server.directory.outcome import Outcome, not_found, refused
from server.directory.users import MAX_TEXT, one, summary
from server.i18n import t
from server.runtime import Runtime
from server.store.interface import NotFound
from server.store.records import ReadyReply

REPLIES_SHOWN = 100
MAX_BODY = 10_000
REPLY_LABELS = {
    "title_ar": "dir_title_ar",
    "title_en": "dir_title_en",
    "body_ar": "dir_body_ar",
    "body_en": "dir_body_en",
    "tags": "dir_tags",
}


class ReplyForm(msgspec.Struct):
    title_ar: str = ""
    title_en: str = ""
    body_ar: str = ""
    body_en: str = ""
    tags: str = ""
    active: bool = True
    errors: dict[str, str] = msgspec.field(default_factory=dict)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in re.split(r"[,،]", self.tags) if tag.strip()]


class RepliesPage(msgspec.Struct, frozen=True):
    replies: list[ReadyReply]
    query: str
    form: ReplyForm
    errors: list[tuple[str, str, str]]
    notice: str


class ReplyPage(msgspec.Struct, frozen=True):
    reply: ReadyReply
    form: ReplyForm
    errors: list[tuple[str, str, str]]
    notice: str


def reply_form(values: Mapping[str, list[str]], lang: str) -> ReplyForm:
    """The posted reply, its problems in ``form.errors``."""
    form = ReplyForm(
        title_ar=one(values, "title_ar"),
        title_en=one(values, "title_en"),
        body_ar=one(values, "body_ar"),
        body_en=one(values, "body_en"),
        tags=one(values, "tags"),
    )
    for name in ("title_ar", "title_en", "body_ar", "body_en"):
        value = getattr(form, name)
        if not value:
            form.errors[name] = t("dir_required", lang)
        elif len(value) > (MAX_TEXT if name.startswith("title") else MAX_BODY):
            form.errors[name] = t("dir_too_long", lang)
    if len(form.tags) > MAX_TEXT:
        form.errors["tags"] = t("dir_too_long", lang)
    return form


async def replies_page(
    runtime: Runtime, lang: str, query: str = "", form: ReplyForm | None = None, notice: str = ""
) -> RepliesPage:
    form = form or ReplyForm()
    query = query.strip()[:MAX_TEXT]
    return RepliesPage(
        replies=await runtime.store.list_ready_replies(query, limit=REPLIES_SHOWN),
        query=query,
        form=form,
        errors=summary(form.errors, REPLY_LABELS, lang),
        notice=notice,
    )


async def add_reply(runtime: Runtime, lang: str, values: Mapping[str, list[str]]) -> Outcome[RepliesPage]:
    form = reply_form(values, lang)
    if form.errors:
        return refused(await replies_page(runtime, lang, form=form))
    await runtime.store.add_ready_reply(
        title_ar=form.title_ar,
        title_en=form.title_en,
        body_ar=form.body_ar,
        body_en=form.body_en,
        tags=form.tag_list(),
    )
    return Outcome(done="reply")


def _reply_page(reply: ReadyReply, form: ReplyForm, lang: str, notice: str = "") -> ReplyPage:
    return ReplyPage(reply=reply, form=form, errors=summary(form.errors, REPLY_LABELS, lang), notice=notice)


async def reply_page(runtime: Runtime, lang: str, reply_id: int, notice: str = "") -> ReplyPage | None:
    """The reply's page, or None for an unknown reply."""
    reply = await runtime.store.get_ready_reply(reply_id)
    if reply is None:
        return None
    form = ReplyForm(
        title_ar=reply.title_ar,
        title_en=reply.title_en,
        body_ar=reply.body_ar,
        body_en=reply.body_en,
        tags=", ".join(reply.tags),
        active=reply.active,
    )
    return _reply_page(reply, form, lang, notice)


async def edit_reply(
    runtime: Runtime, lang: str, reply_id: int, values: Mapping[str, list[str]]
) -> Outcome[ReplyPage]:
    reply = await runtime.store.get_ready_reply(reply_id)
    if reply is None:
        return not_found()
    form = reply_form(values, lang)
    form.active = one(values, "active") == "1"
    if form.errors:
        return refused(_reply_page(reply, form, lang))
    try:
        await runtime.store.update_ready_reply(
            reply.id,
            title_ar=form.title_ar,
            title_en=form.title_en,
            body_ar=form.body_ar,
            body_en=form.body_en,
            tags=form.tag_list(),
            active=form.active,
        )
    except NotFound:
        return not_found()
    return Outcome(done="saved")
