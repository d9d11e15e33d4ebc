"""The definition model: frozen msgspec Structs decoded from the definition files.

The JSON files are first validated against their meta-schemas (``metaschemas/``), so decoding
into these Structs only fails on a mismatch between a meta-schema and this module — a bug,
not a user error. Nothing here is mutated after loading; a published definition is immutable.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Language = Literal["ar", "en"]
LANGUAGES: tuple[Language, ...] = ("ar", "en")
Category = Literal["open", "pending", "in_progress", "closed"]
CATEGORIES: tuple[Category, ...] = ("open", "pending", "in_progress", "closed")


class Def(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every definition Struct."""


class Text(Def, frozen=True, kw_only=True):
    """A bilingual text."""

    ar: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ar


# --- organisation -------------------------------------------------------------------------


class Phone(Def, frozen=True, kw_only=True):
    number: str
    extension: str | None = None

    def display(self, extension_label: str = "") -> str:
        """``+966125426222 (ext. 7559)``; the label is the page language's word for an extension."""
        if not self.extension:
            return self.number
        return (
            f"{self.number} ({extension_label} {self.extension})"
            if extension_label
            else f"{self.number} ({self.extension})"
        )


class Contact(Def, frozen=True, kw_only=True):
    unit: Text | None = None
    phones: tuple[Phone, ...] = ()
    email: str | None = None
    hours: Text | None = None


Capability = Literal["administer", "export", "intake", "see_all"]
CAPABILITIES: tuple[Capability, ...] = ("administer", "export", "intake", "see_all")


class Role(Def, frozen=True, kw_only=True):
    name: Text
    description: Text | None = None
    scope: Literal["department", "organisation", "requester"] = "organisation"
    read_only: bool = False
    capabilities: tuple[Capability, ...] = ()
    """What the role may do beyond tickets: ``administer`` (services, organisation, users, tables),
    ``export`` (the auditor's exports), ``intake`` (logs requests on a customer's behalf; the task list
    opens on the intake queue), ``see_all`` (every report, for every department)."""


class Department(Def, frozen=True, kw_only=True):
    name: Text
    head_role: str
    head_title: Text | None = None
    email: str | None = None
    parent: str | None = None
    intake: bool = False
    """The unit that receives requests first (the ``incoming`` task list is its queue)."""


class Channel(Def, frozen=True, kw_only=True):
    name: Text
    kind: Literal["web", "phone", "email", "whatsapp", "sms", "tawasul", "itqan", "internal"]
    intake: Literal["requester", "staff", "integration"] = "requester"


class Interval(Def, frozen=True, kw_only=True):
    start: str
    end: str


class Holiday(Def, frozen=True, kw_only=True):
    date: str
    name: Text


class Term(Def, frozen=True, kw_only=True):
    """A semester or half year of the organisation's calendar (first and last day, inclusive)."""

    kind: Literal["semester", "half_year"]
    name: Text
    start: str
    end: str


class Calendar(Def, frozen=True, kw_only=True):
    timezone: str
    week: dict[str, tuple[Interval, ...]]
    holidays: tuple[Holiday, ...] = ()
    terms: tuple[Term, ...] = ()


class SurveyQuestion(Def, frozen=True, kw_only=True):
    id: str
    label: Text
    scale: int = 5


class Survey(Def, frozen=True, kw_only=True):
    title: Text
    questions: tuple[SurveyQuestion, ...]
    comment: bool = False


class Link(Def, frozen=True, kw_only=True):
    url: str
    label: Text


class LookupColumn(Def, frozen=True, kw_only=True):
    type: Literal["string", "integer", "number", "boolean", "date"]
    label: Text


class LookupTable(Def, frozen=True, kw_only=True):
    name: Text
    key: str
    columns: dict[str, LookupColumn]


ReportMeasure = Literal["tickets", "ratings", "overdue"]
ReportBasis = Literal["status", "created", "closed"]
Dimension = Literal["category", "state", "channel", "department", "service", "variable", "field", "employee"]
PeriodKind = Literal["week", "month", "semester", "half_year", "custom", "now"]


class ReportGroup(Def, frozen=True, kw_only=True):
    """One table of a report: the counted tickets (or ratings) grouped by one dimension."""

    by: Dimension
    name: str | None = None
    """The variable or form field (``by``: ``variable`` / ``field``)."""
    label: Text | None = None
    labels: dict[str, Text] = {}
    """Labels of the values of a variable or field (``within_remit_other`` → "Within the unit's remit")."""
    total: Literal["all", "open"] | None = None
    """A total row: every counted ticket, or those not closed (the weekly report's "total")."""


class ReportFilter(Def, frozen=True, kw_only=True):
    categories: tuple[Category, ...] = ()
    states: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    variables: dict[str, tuple[str, ...]] = {}


class ReportSchedule(Def, frozen=True, kw_only=True):
    """When and to whom a report is e-mailed: once each period has ended, at ``at`` (local time) on the
    day after its last day — a week (Sunday to Saturday) on the Sunday, a month on the 1st, a term on
    the day after it ends."""

    at: str = "07:30"
    heads: bool = True
    """Each head of a department the report counts gets their department's figures."""
    roles: tuple[str, ...] = ()
    """The holders of these roles get every department's figures."""


class Report(Def, frozen=True, kw_only=True):
    name: Text
    description: Text | None = None
    services: tuple[str, ...] = ()
    """The services counted; empty: every service."""
    measure: ReportMeasure = "tickets"
    basis: ReportBasis = "status"
    question: str | None = None
    """The survey question averaged (``measure``: ``ratings``)."""
    where: ReportFilter = ReportFilter()
    groups: tuple[ReportGroup, ...]
    period: PeriodKind = "week"
    heads: bool = True
    """Whether a department head sees the report for their department's services."""
    tickets: bool = False
    """Whether the page lists the counted tickets themselves (the supplies-unavailable digest)."""
    schedule: ReportSchedule | None = None
    """E-mailed on a schedule (``server/reports/schedule.py``); None: on demand only."""


class Organisation(Def, frozen=True, kw_only=True):
    name: Text
    parent: Text | None = None
    default_language: Language = "ar"
    roles: dict[str, Role]
    departments: dict[str, Department]
    channels: dict[str, Channel]
    calendar: Calendar
    contact: Contact
    surveys: dict[str, Survey] = {}
    links: dict[str, Link] = {}
    lookups: dict[str, LookupTable] = {}
    reports: dict[str, Report] = {}


# --- service ------------------------------------------------------------------------------


class Service(Def, frozen=True, kw_only=True):
    id: str
    name: Text
    department: str
    order: int = 0
    published: bool = True
    summary: Text | None = None
    description: tuple[Text, ...]
    requirements: tuple[Text, ...]
    steps: tuple[Text, ...]
    audience: Text
    channels: tuple[str, ...]
    contact: Contact | None = None
    login_required: bool
    eligible_roles: tuple[str, ...]
    form: str
    workflow: str
    survey: str | None = None
    reports: tuple[str, ...] = ()


# --- workflow -----------------------------------------------------------------------------


class Assignee(Def, frozen=True, kw_only=True):
    """Exactly one of the shapes of the meta-schema's ``assignee``; see :attr:`kind`."""

    head_of: str | None = None
    role: str | None = None
    user: str | None = None
    department: str | None = None
    actor: bool = False
    keep: bool = False

    @property
    def kind(self) -> Literal["head", "role", "user", "actor", "keep"]:
        if self.head_of is not None:
            return "head"
        if self.role is not None:
            return "role"
        if self.user is not None:
            return "user"
        if self.actor:
            return "actor"
        return "keep"

    @property
    def department_ref(self) -> str | None:
        return self.head_of if self.head_of is not None else self.department


class Effect(Def, frozen=True, kw_only=True):
    """Exactly one of ``notify``, ``assign`` or ``record``; see :attr:`kind`."""

    notify: str | None = None
    to: str | None = None
    cc: tuple[str, ...] = ()
    channel: Literal["email", "sms", "whatsapp", "requester"] | None = None
    survey: bool = False
    assign: Assignee | None = None
    record: dict[str, str] | None = None
    when: str | None = None

    @property
    def kind(self) -> Literal["notify", "assign", "record"]:
        if self.notify is not None:
            return "notify"
        if self.assign is not None:
            return "assign"
        return "record"


class State(Def, frozen=True, kw_only=True):
    label: Text
    description: Text | None = None
    category: Category
    assignee: Assignee
    on_enter: tuple[Effect, ...] = ()


class ActorRule(Def, frozen=True, kw_only=True):
    role: str
    department: str | None = None


class Action(Def, frozen=True, kw_only=True):
    label: Text
    description: Text | None = None
    who: tuple[ActorRule, ...]
    from_: tuple[str, ...] = msgspec.field(name="from")
    to: str | None = None
    form: str | dict[str, Any] | None = None
    guards: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    visibility: Literal["public", "internal"] = "internal"
    reopens: bool = False


class Guard(Def, frozen=True, kw_only=True):
    expr: str
    message: Text


class Notification(Def, frozen=True, kw_only=True):
    subject: Text | None = None
    body: Text


class Timer(Def, frozen=True, kw_only=True):
    state: str
    after_working_hours: float
    label: Text | None = None
    effects: tuple[Effect, ...] = ()


class Variable(Def, frozen=True, kw_only=True):
    type: Literal["string", "integer", "number", "boolean"]
    label: Text
    enum: tuple[str | int | float | bool, ...] | None = None


class Initial(Def, frozen=True, kw_only=True):
    default: str
    by_channel: dict[str, str] = {}


class Workflow(Def, frozen=True, kw_only=True):
    id: str
    name: Text
    description: Text | None = None
    initial: Initial
    variables: dict[str, Variable] = {}
    states: dict[str, State]
    actions: dict[str, Action]
    guards: dict[str, Guard] = {}
    notifications: dict[str, Notification] = {}
    timers: dict[str, Timer] = {}


class Form(Def, frozen=True, kw_only=True):
    """A form schema: the raw JSON Schema document plus its id (the file name) and title."""

    id: str
    title: Text
    schema: dict[str, Any]
