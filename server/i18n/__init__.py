"""The interface's own words, in Arabic and English, and the choice of a page's language.

Definition texts are bilingual in the definitions themselves; these are the words of the pages
around them (buttons, headings, messages). Arabic first, in the administration's own terms
(seed/GLOSSARY.md). One catalogue per area of the interface (``server/i18n/<area>.py``: common,
requester, auth, staff_ticket, staff_tasks, directory, admin, reports, delivery, channels,
diagram, changes, builder, schema), merged into :data:`MESSAGES`; a key
belongs to one catalogue. A test checks every key has both languages, no key is defined twice, and
every ``t("…")`` in the templates names a key here. This package imports nothing from the web layer.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.definitions.model import Language, Text
from server.i18n.admin import ADMIN_MESSAGES
from server.i18n.auth import AUTH_MESSAGES
from server.i18n.builder import BUILDER_MESSAGES
from server.i18n.changes import CHANGE_MESSAGES
from server.i18n.channels import CHANNEL_MESSAGES
from server.i18n.common import COMMON_MESSAGES
from server.i18n.delivery import DELIVERY_MESSAGES
from server.i18n.diagram import DIAGRAM_MESSAGES
from server.i18n.directory import DIRECTORY_MESSAGES
from server.i18n.reports import REPORT_MESSAGES
from server.i18n.requester import REQUESTER_MESSAGES
from server.i18n.schema import SCHEMA_MESSAGES
from server.i18n.staff_tasks import STAFF_TASK_MESSAGES
from server.i18n.staff_ticket import STAFF_TICKET_MESSAGES

MESSAGES: Mapping[str, Text] = {
    **COMMON_MESSAGES,
    **REQUESTER_MESSAGES,
    **AUTH_MESSAGES,
    **STAFF_TICKET_MESSAGES,
    **STAFF_TASK_MESSAGES,
    **DIRECTORY_MESSAGES,
    **ADMIN_MESSAGES,
    **REPORT_MESSAGES,
    **DELIVERY_MESSAGES,
    **CHANNEL_MESSAGES,
    **DIAGRAM_MESSAGES,
    **CHANGE_MESSAGES,
    **BUILDER_MESSAGES,
    **SCHEMA_MESSAGES,
}
"""Every interface text, by key: one catalogue per area of the interface, merged."""


LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def t(key: str, lang: str) -> str:
    """The interface text ``key`` in ``lang`` (Arabic for anything but ``en``)."""
    return MESSAGES[key].get(lang)


def direction(lang: str) -> str:
    return "ltr" if lang == "en" else "rtl"


def other(lang: str) -> Language:
    return "ar" if lang == "en" else "en"


def negotiate(cookie: str | None, accept_language: str | None, default: Language) -> Language:
    """The page language: the cookie if set, else the best of ``Accept-Language``, else the default."""
    if cookie in ("ar", "en"):
        return "en" if cookie == "en" else "ar"
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("ar", "en"):
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang: Language = "en" if primary == "en" else "ar"
        if best is None or quality > best[0]:
            best = (quality, lang)
    return best[1] if best else default
