"""What the workflow builder's editors post — a state, an action, a timer — read into typed edits and
checked on their own (input name → error key ``builder_err_…``, ``server/i18n/builder.py``).

What an edit means for the rest of the workflow (a state in use, a taken id, a role the organisation
lacks, a condition that does not type-check) is checked by :mod:`server.admin.workflow_builder`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence

import msgspec

from server.admin.builder_edits import NAME

MAX_TEXT = 2000
MAX_NOTIFICATIONS = 10
CATEGORIES = ("open", "pending", "in_progress", "closed")
ASSIGNEES = ("role", "head", "chosen", "actor", "keep")
CHANNELS = ("", "email", "sms", "whatsapp", "requester")
OPERATORS = ("==", "!=")
RECIPIENT = re.compile(
    r"^(requester|assignee|actor|head:(\$service|\$ticket|[a-z][a-z0-9_]*)|role:[a-z][a-z0-9_]*)$"
)

Values = Mapping[str, Sequence[str]]
NOTICE = "n_"
"""The prefix of a notification row's inputs (``n_to``, ``n_subject_ar`` …)."""


def _one(values: Values, name: str, limit: int = 500) -> str:
    got = values.get(name) or [""]
    return got[0].replace("\r\n", "\n").strip()[:limit]


def _all(values: Values, name: str, limit: int = 500) -> list[str]:
    return [v.replace("\r\n", "\n").strip()[:limit] for v in (values.get(name) or [])][:50]


def _labels(errors: dict[str, str], edit: object, *keys: str) -> None:
    for key in keys:
        if not getattr(edit, key):
            errors[key] = "builder_err_label_missing"


class StateEdit(msgspec.Struct, frozen=True):
    id: str
    title_ar: str
    title_en: str
    category: str
    assignee: str
    role: str = ""
    department: str = "$service"
    chosen_field: str = ""
    initial: bool = False

    def check(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not NAME.match(self.id):
            errors["id"] = "builder_err_name"
        _labels(errors, self, "title_ar", "title_en")
        if self.category not in CATEGORIES:
            errors["category"] = "builder_err_category"
        if self.assignee not in ASSIGNEES:
            errors["assignee"] = "builder_err_assignee"
        if self.assignee == "role" and not self.role:
            errors["role"] = "builder_err_role_missing"
        if self.assignee == "chosen" and not NAME.match(self.chosen_field):
            errors["chosen_field"] = "builder_err_name"
        return errors


def state_edit(values: Values) -> StateEdit:
    return StateEdit(
        id=_one(values, "id"),
        title_ar=_one(values, "title_ar"),
        title_en=_one(values, "title_en"),
        category=_one(values, "category"),
        assignee=_one(values, "assignee"),
        role=_one(values, "role"),
        department=_one(values, "department") or "$service",
        chosen_field=_one(values, "chosen_field"),
        initial=bool(_one(values, "initial")),
    )


class NotifyEdit(msgspec.Struct, frozen=True):
    template: str
    """The id of the template it edits (empty for a new notification)."""
    to: str
    channel: str
    subject_ar: str
    subject_en: str
    body_ar: str
    body_en: str

    @property
    def blank(self) -> bool:
        return not (self.subject_ar or self.subject_en or self.body_ar or self.body_en)


def notify_edits(values: Values, prefix: str = NOTICE) -> list[NotifyEdit]:
    """The notification rows of an editor (rows left blank are dropped)."""
    columns = {
        key: _all(values, prefix + key, MAX_TEXT)
        for key in ("template", "to", "channel", "subject_ar", "subject_en", "body_ar", "body_en")
    }
    count = min(MAX_NOTIFICATIONS, max((len(v) for v in columns.values()), default=0))
    rows = []
    for index in range(count):
        cell = {k: (v[index] if index < len(v) else "") for k, v in columns.items()}
        row = NotifyEdit(**cell)
        if not row.blank:
            rows.append(row)
    return rows


def _notify_problems(rows: Sequence[NotifyEdit], errors: dict[str, str], prefix: str = NOTICE) -> None:
    for index, row in enumerate(rows):
        if not RECIPIENT.match(row.to):
            errors[f"{prefix}to.{index}"] = "builder_err_recipient"
        if row.channel not in CHANNELS:
            errors[f"{prefix}channel.{index}"] = "builder_err_channel"
        for key in ("subject_ar", "subject_en", "body_ar", "body_en"):
            if not getattr(row, key):
                errors[f"{prefix}{key}.{index}"] = "builder_err_label_missing"


class ActionEdit(msgspec.Struct, frozen=True):
    id: str
    title_ar: str
    title_en: str
    sources: tuple[str, ...]
    target: str
    """The state it leads to; empty for an action that stays (a note)."""
    who: tuple[str, ...]
    own_department: bool
    form: str
    visibility: str
    condition: str
    message_ar: str
    message_en: str
    notifications: tuple[NotifyEdit, ...] = ()
    problems: Mapping[str, str] = msgspec.field(default_factory=dict)

    def check(self) -> dict[str, str]:
        errors = dict(self.problems)
        if not NAME.match(self.id):
            errors["id"] = "builder_err_name"
        _labels(errors, self, "title_ar", "title_en")
        if not self.sources:
            errors["from"] = "builder_err_from_missing"
        if not self.who:
            errors["who"] = "builder_err_who_missing"
        if self.visibility not in ("public", "internal"):
            errors["visibility"] = "builder_err_visibility"
        if self.condition:
            _labels(errors, self, "message_ar", "message_en")
        _notify_problems(self.notifications, errors)
        return errors


def _literal(raw: str) -> str:
    """A condition's value as the guard language writes it: a number, true/false, else a string."""
    if re.fullmatch(r"-?\d{1,15}(\.\d{1,15})?", raw) or raw in ("true", "false"):
        return raw
    return json.dumps(raw, ensure_ascii=False)


def picked_condition(values: Values) -> tuple[str, dict[str, str]]:
    """The condition as picked (a value, a comparison, a literal) or as written; with its problems."""
    subject, operator = _one(values, "cond_subject", 200), _one(values, "cond_op", 10)
    if not subject:
        return _one(values, "condition", MAX_TEXT), {}
    if operator not in OPERATORS or not re.fullmatch(r"(data|vars|ticket|actor)\.[a-z][a-z0-9_]*", subject):
        return "", {"cond_subject": "builder_err_bad_expression"}
    return f"{subject} {operator} {_literal(_one(values, 'cond_value', 500))}", {}


def action_edit(values: Values) -> ActionEdit:
    condition, problems = picked_condition(values)
    return ActionEdit(
        id=_one(values, "id"),
        title_ar=_one(values, "title_ar"),
        title_en=_one(values, "title_en"),
        sources=tuple(dict.fromkeys(v for v in _all(values, "from") if v)),
        target=_one(values, "to"),
        who=tuple(dict.fromkeys(v for v in _all(values, "who") if v)),
        own_department=bool(_one(values, "own_department")),
        form=_one(values, "form"),
        visibility=_one(values, "visibility") or "internal",
        condition=condition,
        message_ar=_one(values, "message_ar"),
        message_en=_one(values, "message_en"),
        notifications=tuple(notify_edits(values)),
        problems=problems,
    )


class TimerEdit(msgspec.Struct, frozen=True):
    id: str
    state: str
    hours: float | None
    title_ar: str
    title_en: str
    notifications: tuple[NotifyEdit, ...] = ()

    def check(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not NAME.match(self.id):
            errors["id"] = "builder_err_name"
        if self.hours is None or not 0 < self.hours <= 10000:
            errors["hours"] = "builder_err_hours"
        if bool(self.title_ar) != bool(self.title_en):
            errors["title_ar" if not self.title_ar else "title_en"] = "builder_err_translation_missing"
        if not self.notifications:
            errors[f"{NOTICE}subject_ar.0"] = "builder_err_timer_notice"
        _notify_problems(self.notifications, errors)
        return errors


def timer_edit(values: Values) -> TimerEdit:
    raw = _one(values, "hours", 20)
    try:
        hours: float | None = float(raw)
    except ValueError:
        hours = None
    if hours is not None and math.isnan(hours):
        hours = None
    return TimerEdit(
        id=_one(values, "id"),
        state=_one(values, "state"),
        hours=hours,
        title_ar=_one(values, "title_ar"),
        title_en=_one(values, "title_en"),
        notifications=tuple(notify_edits(values)[:1]),
    )
