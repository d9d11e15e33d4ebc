"""Cross-reference checks over a whole definitions tree, and their compilation into services.

Each definition file has already passed its meta-schema; here every name one file uses is looked
up in the others (service → department, form, workflow, survey; workflow → states, roles,
departments, templates, action forms, guards, variables, form fields), expressions are compiled
and templates trial-rendered. Errors go to the sink with the file and JSON pointer; nothing stops
at the first.

Owns the checks of the organisation file and of each service file, and :func:`check_tree`, which runs
them and a :class:`~server.definitions.workflow_checker.WorkflowChecker` per workflow. The tree's file
names and :class:`Tree` live in :mod:`server.definitions.tree`; they and the checker's names are
re-exported here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.definitions.catalogue import CompiledService
from server.definitions.errors import ErrorSink, pointer
from server.definitions.model import Organisation, Service
from server.definitions.tree import ORGANISATION_FILE, Tree, form_file, service_file, workflow_file
from server.definitions.workflow_checker import ACTOR_FIELDS, TICKET_FIELDS, OpenFields, WorkflowChecker

__all__ = [
    "ACTOR_FIELDS",
    "ORGANISATION_FILE",
    "TICKET_FIELDS",
    "OpenFields",
    "Tree",
    "WorkflowChecker",
    "check_organisation",
    "check_service",
    "check_tree",
    "form_file",
    "service_file",
    "workflow_file",
]


def check_organisation(org: Organisation, sink: ErrorSink) -> None:
    f = ORGANISATION_FILE
    for dept_id, dept in org.departments.items():
        if dept.head_role not in org.roles:
            sink.add(
                f,
                pointer("departments", dept_id, "head_role"),
                f"unknown role {dept.head_role!r}",
                "unknown_role",
            )
        if dept.parent is not None and dept.parent not in org.departments:
            sink.add(
                f,
                pointer("departments", dept_id, "parent"),
                f"unknown department {dept.parent!r}",
                "unknown_department",
            )
    try:
        ZoneInfo(org.calendar.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        sink.add(f, "/calendar/timezone", f"unknown time zone {org.calendar.timezone!r}", "unknown_timezone")
    for day, intervals in org.calendar.week.items():
        for index, interval in enumerate(intervals):
            if interval.start >= interval.end:
                sink.add(
                    f,
                    pointer("calendar", "week", day, index),
                    "the interval ends before it starts",
                    "bad_interval",
                )
    for table_id, table in org.lookups.items():
        if table.key not in table.columns:
            sink.add(
                f,
                pointer("lookups", table_id, "key"),
                f"the key {table.key!r} is not a column",
                "unknown_column",
            )


def check_service(tree: Tree, org: Organisation, service: Service, file_id: str, sink: ErrorSink) -> None:
    f = service_file(file_id)
    if service.id != file_id and service.id in tree.services:
        sink.add(
            f, "/id", f"the id {service.id!r} is already used by {service_file(service.id)}", "duplicate_id"
        )
    elif service.id != file_id:
        sink.add(f, "/id", f"the id {service.id!r} differs from the file name {file_id!r}", "id_mismatch")
    if service.department not in org.departments:
        sink.add(f, "/department", f"unknown department {service.department!r}", "unknown_department")
    if service.form not in tree.forms and service.form not in tree.broken_forms:
        sink.add(
            f, "/form", f"unknown form {service.form!r}: no form_schemas/{service.form}.json", "unknown_form"
        )
    if service.workflow not in tree.workflows and service.workflow not in tree.broken_workflows:
        sink.add(
            f,
            "/workflow",
            f"unknown workflow {service.workflow!r}: no workflows/{service.workflow}.json",
            "unknown_workflow",
        )
    if service.survey is not None and service.survey not in org.surveys:
        sink.add(f, "/survey", f"unknown survey {service.survey!r}", "unknown_survey")
    for index, channel in enumerate(service.channels):
        if channel not in org.channels:
            sink.add(f, f"/channels/{index}", f"unknown channel {channel!r}", "unknown_channel")
    for index, role in enumerate(service.eligible_roles):
        if role not in org.roles:
            sink.add(f, f"/eligible_roles/{index}", f"unknown role {role!r}", "unknown_role")


def check_tree(tree: Tree, sink: ErrorSink) -> dict[str, CompiledService]:
    """Check every cross-reference; return the compiled services (only those without errors)."""
    org = tree.organisation
    if org is None:
        return {}
    check_organisation(org, sink)
    for file_id, service in tree.services.items():
        check_service(tree, org, service, file_id, sink)
    for file_id, workflow in tree.workflows.items():
        if workflow.id != file_id:
            sink.add(
                workflow_file(file_id),
                "/id",
                f"the id {workflow.id!r} differs from the file name {file_id!r}",
                "id_mismatch",
            )
    checkers: dict[str, WorkflowChecker] = {}
    for workflow in tree.workflows.values():
        checker = WorkflowChecker(tree, org, workflow, sink)
        checker.check()
        checkers[workflow.id] = checker
    used = {service.workflow for service in tree.services.values()}
    for workflow_id, checker in checkers.items():
        if workflow_id not in used:
            checker.standalone()
    compiled: dict[str, CompiledService] = {}
    for service in tree.services.values():
        checker_for = checkers.get(service.workflow)
        form = tree.forms.get(service.form)
        if checker_for is None or form is None:
            continue
        result = checker_for.for_service(service, form)
        if result is not None:
            compiled[service.id] = result
    return compiled
