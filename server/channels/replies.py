"""The "customer-service replies" log of service 6: every reply a representative sent to the sender of
an e-mail, with its text, the class the message was sorted into, its recipient and copies, its time and
the representative — as a page (``/staff/replies``), a CSV file (UTF-8 with a BOM) and an XLSX file.

**Read from the history, not kept twice.** A reply is the outbox row of the reply action's
notification, written in the transaction of the action, with that action's event (``outbox.event_id``).
Events are append-only and outbox rows are never deleted, so the log read from them is exact — the
same reply cannot be in the ticket's history and missing from the log, or the other way round — and no
second table has to be written in the ticket's transaction (``server/store/sqlite_channels.py``).

What is a reply and what is its class comes from the definitions, not from names in the code:

* the log's service is the one that takes the ``email`` channel's tickets (``service_for_channel``);
* a reply action is an action of its workflow with a ``notify`` effect to the ``requester`` (its
  ``cc`` are the copies, the general supervisor's among them);
* the class is the choice field of an action form that carries sorting rules (``x-suggest``): the
  value the latest such action recorded before the reply, labelled by the field's choices.

**Who may see it.** The replies quote the tickets, so the read rule decides (``server.access``): a
member of staff who may read every ticket of the service — a role of ``organisation`` scope, or a
department role of the service's own department. Nobody else (403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec

from server.access import is_staff, read_scope
from server.channels.host import ChannelHost
from server.channels.intake import service_for_channel
from server.dates import both
from server.definitions.catalogue import CompiledService
from server.definitions.model import Organisation, Service
from server.i18n import t
from server.store.interface_channels import ReplyQuery, ReplyRow
from server.store.records import User

PAGE_SIZE = 25
EXPORT_LIMIT = 50_000
"""At most this many replies in one file (a period of a few years of the unit's mail)."""


class NotAllowed(Exception):
    """The user may not read the replies log."""


class NoMailService(LookupError):
    """No published service takes the e-mail channel: there is no log to show."""


class BadFilter(ValueError):
    """A filter that cannot be read (a date that is no date, an end before the start)."""


class LogDefinition(msgspec.Struct, frozen=True):
    """What the definitions say the log is (over every published version of the service)."""

    service: CompiledService
    templates: dict[str, str]
    class_fields: dict[str, str]
    class_labels: dict[str, dict[str, str]]
    """Class value → language → its label."""


def definition_of(versions: list[CompiledService]) -> LogDefinition:
    templates: dict[str, str] = {}
    class_fields: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}
    for compiled in versions:
        for action_id, action in compiled.workflow.actions.items():
            for effect in action.effects:
                if effect.notify and effect.to == "requester":
                    templates.setdefault(action_id, effect.notify)
            form = compiled.action_forms.get(action_id)
            properties = (form.schema.get("properties") or {}) if form is not None else {}
            for name, node in properties.items():
                if isinstance(node, Mapping) and isinstance(node.get("x-suggest"), Mapping):
                    class_fields.setdefault(action_id, name)
                    for choice in node.get("oneOf", ()):
                        if isinstance(choice, Mapping) and "const" in choice:
                            title = choice.get("x-title") or {}
                            labels.setdefault(str(choice["const"]), dict(title))
    return LogDefinition(
        service=versions[-1], templates=templates, class_fields=class_fields, class_labels=labels
    )


async def log_definition(runtime: ChannelHost) -> LogDefinition:
    current = await service_for_channel(runtime, "email")
    if current is None:
        raise NoMailService()
    versions = [c for _v, c in await runtime.published() if c.service.id == current.service.id]
    return definition_of(versions or [current])


def may_see_log(user: User | None, org: Organisation, service: Service) -> bool:
    """Whether ``user`` may read every ticket of ``service``, and so its replies log."""
    if user is None or not is_staff(user, org):
        return False
    scope = read_scope(user, org, {service.id: service.department})
    return scope.everything or service.id in scope.services


def log_link_shown(user: User | None, org: Organisation, services: Iterable[Service]) -> bool:
    """Whether the page header links to the log: the user may see it (by the e-mail service of
    ``services``, the catalogue the server started with)."""
    mail = next((s for s in services if s.published and "email" in s.channels), None)
    return mail is not None and may_see_log(user, org, mail)


async def check_allowed(runtime: ChannelHost, user: User | None, definition: LogDefinition) -> None:
    if not may_see_log(user, runtime.org, definition.service.service):
        raise NotAllowed()


# --- the filters ------------------------------------------------------------------------------------


class Filters(msgspec.Struct, frozen=True):
    start: dt.date | None = None
    end: dt.date | None = None
    """Inclusive: the replies of that whole day count."""
    klass: str | None = None
    page: int = 1

    def query_string(self, **changes: Any) -> str:
        values = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "class": self.klass or "",
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})


def _date(text: str, lang: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadFilter(t("ch_replies_bad_date", lang).format(value=text[:40])) from None


def read_filters(ask: Mapping[str, str], definition: LogDefinition, lang: str) -> Filters:
    start = _date(ask.get("from", ""), lang)
    end = _date(ask.get("to", ""), lang)
    if start and end and end < start:
        raise BadFilter(t("ch_replies_bad_period", lang))
    klass = ask.get("class", "").strip() or None
    if klass is not None and klass not in definition.class_labels:
        raise BadFilter(t("ch_replies_bad_class", lang))
    page_text = ask.get("page", "1").strip()
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 7 else 0
    if page < 1:
        raise BadFilter(t("ch_replies_bad_page", lang))
    return Filters(start=start, end=end, klass=klass, page=page)


def query_of(
    definition: LogDefinition, filters: Filters, tz: ZoneInfo, *, offset: int, limit: int
) -> ReplyQuery:
    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)

    return ReplyQuery(
        service_id=definition.service.service.id,
        templates=definition.templates,
        class_fields=definition.class_fields,
        start=midnight(filters.start) if filters.start else None,
        end=midnight(filters.end + dt.timedelta(days=1)) if filters.end else None,
        klass=filters.klass,
        offset=offset,
        limit=limit,
    )


# --- the rows as people read them ------------------------------------------------------------------


class ReplyLine(msgspec.Struct, frozen=True):
    ticket_id: int
    ticket_number: str
    when: str
    representative: str
    klass: str
    recipient: str
    copies: str
    subject: str
    reply: str
    body: str
    status: str
    status_label: str


def class_label(definition: LogDefinition, value: str | None, lang: str) -> str:
    if value is None:
        return "—"
    labels = definition.class_labels.get(value, {})
    return labels.get(lang) or labels.get("ar") or value


def line(row: ReplyRow, definition: LogDefinition, lang: str, tz: ZoneInfo) -> ReplyLine:
    return ReplyLine(
        ticket_id=row.ticket_id,
        ticket_number=row.ticket_number,
        when=both(row.at, lang, tz),
        representative=row.representative,
        klass=class_label(definition, row.klass, lang),
        recipient=row.recipient or "—",
        copies=", ".join(c for c in row.copies if c) or "—",
        subject=row.subject,
        reply=row.reply or row.body,
        body=row.body,
        status=row.status,
        status_label=t(f"dlv_status_{row.status}", lang),
    )


class ClassOption(msgspec.Struct, frozen=True):
    value: str
    label: str
    selected: bool


class RepliesPage(msgspec.Struct, frozen=True):
    lines: list[ReplyLine]
    total_text: str
    start: str
    end: str
    classes: list[ClassOption]
    page_text: str
    prev_href: str
    next_href: str
    csv_href: str
    xlsx_href: str
    error: str = ""
    service_name: str = ""
    columns: list[str] = msgspec.field(default_factory=list)


def columns(lang: str) -> list[str]:
    keys = ("when", "ticket", "class", "recipient", "copies", "representative", "reply", "status")
    return [t(f"ch_replies_col_{k}", lang) for k in keys]


async def replies_page(
    runtime: ChannelHost, user: User | None, ask: Mapping[str, str], lang: str
) -> RepliesPage:
    """The page's data; raises ``NotAllowed``, ``NoMailService`` or ``BadFilter``."""
    definition = await log_definition(runtime)
    await check_allowed(runtime, user, definition)
    filters = read_filters(ask, definition, lang)
    tz = runtime.tickets.calendar.tz
    offset = (filters.page - 1) * PAGE_SIZE
    rows, total = await runtime.store.reply_log(
        query_of(definition, filters, tz, offset=offset, limit=PAGE_SIZE)
    )
    pages = max(1, -(-total // PAGE_SIZE))
    base = "/staff/replies"
    return RepliesPage(
        lines=[line(r, definition, lang, tz) for r in rows],
        total_text=t("ch_replies_total", lang).format(count=total),
        start=filters.start.isoformat() if filters.start else "",
        end=filters.end.isoformat() if filters.end else "",
        classes=[
            ClassOption(value=v, label=class_label(definition, v, lang), selected=v == filters.klass)
            for v in definition.class_labels
        ],
        page_text=t("ch_replies_page", lang).format(page=min(filters.page, pages), pages=pages),
        prev_href=f"{base}?{filters.query_string(page=filters.page - 1)}" if filters.page > 1 else "",
        next_href=f"{base}?{filters.query_string(page=filters.page + 1)}" if filters.page < pages else "",
        csv_href=f"{base}/export.csv?{filters.query_string(page='')}",
        xlsx_href=f"{base}/export.xlsx?{filters.query_string(page='')}",
        service_name=definition.service.service.name.get(lang),
        columns=columns(lang),
    )


async def replies_export(
    runtime: ChannelHost, user: User | None, ask: Mapping[str, str], lang: str
) -> tuple[list[str], list[list[str]]]:
    """Every reply the filters select (all pages, up to :data:`EXPORT_LIMIT`): the heading and rows."""
    definition = await log_definition(runtime)
    await check_allowed(runtime, user, definition)
    filters = read_filters(ask, definition, lang)
    tz = runtime.tickets.calendar.tz
    rows, _total = await runtime.store.reply_log(
        query_of(definition, filters, tz, offset=0, limit=EXPORT_LIMIT)
    )
    lines = [line(r, definition, lang, tz) for r in rows]
    heading = [*columns(lang), t("ch_replies_col_subject", lang), t("ch_replies_col_body", lang)]
    table = [
        [
            x.when,
            x.ticket_number,
            x.klass,
            x.recipient,
            x.copies,
            x.representative,
            x.reply,
            x.status_label,
            x.subject,
            x.body,
        ]
        for x in lines
    ]
    return heading, table
