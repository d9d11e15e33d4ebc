"""Cross-reference checks of the organisation's ``reports`` (and the calendar's ``terms``).

Every name a report uses is looked up in the services it counts: a service id, a state, a channel, a
workflow variable, a form field, a survey question. An unknown one is an error with the file and the
JSON pointer, like every other definition error; ``khidma check`` prints it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from server.definitions import forms
from server.definitions.catalogue import CompiledService
from server.definitions.crossref import ORGANISATION_FILE
from server.definitions.errors import ErrorSink, pointer
from server.definitions.model import Organisation, Report


def covered(report: Report, services: Mapping[str, CompiledService]) -> list[str]:
    """The ids of the services a report counts (its ``services``, or every service)."""
    return [s for s in services if not report.services or s in report.services]


def check_reports(
    organisation: Organisation,
    services: Mapping[str, CompiledService],
    sink: ErrorSink,
    *,
    whole: bool = True,
) -> None:
    """``whole``: ``services`` is every service of the tree, so each name is checked against them; a
    bundle of one published service (``whole=False``) is checked for the reports' own shape only."""
    _check_terms(organisation, sink)
    for report_id, report in organisation.reports.items():
        _check_report(report_id, report, organisation, services if whole else None, sink)
    if not whole:
        return
    for service_id, compiled in services.items():
        for index, name in enumerate(compiled.service.reports):
            feeds = organisation.reports.get(name)
            file = f"service_definitions/{service_id}.json"
            if feeds is None:
                sink.add(
                    file,
                    pointer("reports", index),
                    f"no report {name!r} in the organisation",
                    "unknown_report",
                )
            elif feeds.services and service_id not in feeds.services:
                sink.add(
                    file,
                    pointer("reports", index),
                    f"the organisation's report {name!r} does not count this service",
                    "unknown_report",
                )


def _check_terms(organisation: Organisation, sink: ErrorSink) -> None:
    for index, term in enumerate(organisation.calendar.terms):
        where = pointer("calendar", "terms", index)
        try:
            start, end = dt.date.fromisoformat(term.start), dt.date.fromisoformat(term.end)
        except ValueError:
            sink.add(ORGANISATION_FILE, where, "not a calendar date", "bad_date")
            continue
        if end < start:
            sink.add(ORGANISATION_FILE, where + "/end", "the term ends before it starts", "bad_date")


def _check_report(
    report_id: str,
    report: Report,
    organisation: Organisation,
    services: Mapping[str, CompiledService] | None,
    sink: ErrorSink,
) -> None:
    def err(message: str, code: str, *parts: str | int) -> None:
        sink.add(ORGANISATION_FILE, pointer("reports", report_id, *parts), message, code)

    if report.measure == "overdue" and report.period != "now":
        err('overdue tickets are counted now: the period is "now"', "bad_period", "period")
    if report.measure != "overdue" and report.period == "now":
        err("only the overdue report is counted now", "bad_period", "period")
    if report.measure == "ratings" and report.question is None:
        err("a report of ratings names the survey question it averages", "missing_question")
    if report.measure != "ratings" and report.question is not None:
        err("only a report of ratings averages a survey question", "unexpected_question", "question")
    for index, group in enumerate(report.groups):
        if group.by in ("variable", "field") and group.name is None:
            err(f"a group by {group.by} names it", "missing_name", "groups", index)
        if group.by not in ("variable", "field") and group.name is not None:
            err("only a group by variable or field has a name", "unexpected_name", "groups", index, "name")
        if group.by == "employee" and report.measure != "ratings":
            err("only a report of ratings is grouped by employee", "bad_group", "groups", index, "by")
    if report.schedule is not None:
        if report.period in ("now", "custom"):
            err(
                "only a report over a week, month, semester or half year is sent on a schedule",
                "bad_period",
                "schedule",
            )
        for index, role in enumerate(report.schedule.roles):
            if role not in organisation.roles:
                err(f"no role {role!r}", "unknown_role", "schedule", "roles", index)
    if services is None:
        return
    for index, service_id in enumerate(report.services):
        if service_id not in services:
            err(f"no service {service_id!r}", "unknown_service", "services", index)
    counted = [services[s] for s in covered(report, services)]
    states = {s for c in counted for s in c.workflow.states}
    variables = {v for c in counted for v in c.workflow.variables}
    fields = {f for c in counted for f in forms.fields(c.form.schema)}
    for index, state in enumerate(report.where.states):
        if state not in states:
            err(
                f"no state {state!r} in the workflows of the report's services",
                "unknown_state",
                "where",
                "states",
                index,
            )
    for index, channel in enumerate(report.where.channels):
        if channel not in organisation.channels:
            err(f"no channel {channel!r}", "unknown_channel", "where", "channels", index)
    for name in report.where.variables:
        if name not in variables:
            err(
                f"no variable {name!r} in the workflows of the report's services",
                "unknown_variable",
                "where",
                "variables",
                name,
            )
    if report.measure == "ratings" and report.question is not None:
        questions = {
            q.id
            for c in counted
            if c.service.survey and c.service.survey in organisation.surveys
            for q in organisation.surveys[c.service.survey].questions
        }
        if report.question not in questions:
            err(
                f"no survey question {report.question!r} in the report's services",
                "unknown_question",
                "question",
            )
    for index, group in enumerate(report.groups):
        if group.by in ("variable", "field") and group.name is not None:
            known = variables if group.by == "variable" else fields
            if group.name not in known:
                code = "unknown_variable" if group.by == "variable" else "unknown_field"
                err(f"no {group.by} {group.name!r} in the report's services", code, "groups", index, "name")
        if group.by == "state":
            for value in group.labels:
                if value not in states:
                    err(f"no state {value!r}", "unknown_state", "groups", index, "labels", value)
