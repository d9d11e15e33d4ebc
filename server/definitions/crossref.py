"""Cross-reference checks over a whole definitions tree, and their compilation into services.

Each definition file has already passed its meta-schema; here every name one file uses is looked
up in the others (service → department, form, workflow, survey; workflow → states, roles,
departments, templates, action forms, guards, variables, form fields), expressions are compiled
and templates trial-rendered. Errors go to the sink with the file and JSON pointer; nothing stops
at the first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Template

from server.definitions import bounds, forms, metaschema
from server.definitions.catalogue import CompiledService, NotificationTemplate
from server.definitions.errors import ErrorSink, pointer
from server.definitions.expressions import Expression, ExpressionError, ExprType, Scope, compile_expression
from server.definitions.model import (
    LANGUAGES,
    Action,
    ActorRule,
    Assignee,
    Effect,
    Form,
    Language,
    Organisation,
    Service,
    Workflow,
)
from server.definitions.texts import (
    References,
    TemplateProblem,
    compile_template,
    sample_context,
    trial_render,
)

ORGANISATION_FILE = "service_definitions/organisation.json"

_VARIABLE_TYPES = {
    "string": ExprType.STRING,
    "integer": ExprType.INTEGER,
    "number": ExprType.NUMBER,
    "boolean": ExprType.BOOLEAN,
}
_COLUMN_TYPES = {**_VARIABLE_TYPES, "date": ExprType.STRING}
ACTOR_FIELDS: Mapping[str, ExprType] = {
    "id": ExprType.STRING,
    "roles": ExprType.LIST,
    "department": ExprType.STRING,
}
TICKET_FIELDS: Mapping[str, ExprType] = {
    "state": ExprType.STRING,
    "channel": ExprType.STRING,
    "department": ExprType.STRING,
    "number": ExprType.STRING,
}


class OpenFields(Mapping[str, ExprType]):
    """A field set that has every field, of any type: for checking a workflow no form is bound to."""

    def __getitem__(self, key: str) -> ExprType:
        return ExprType.ANY

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def service_file(service_id: str) -> str:
    return f"service_definitions/{service_id}.json"


def workflow_file(workflow_id: str) -> str:
    return f"workflows/{workflow_id}.json"


def form_file(form_id: str) -> str:
    return f"form_schemas/{form_id}.json"


@dataclass(frozen=True)
class Tree:
    """The decoded definitions of a tree, and the ids of files that exist but failed earlier checks
    (so a reference to them is not reported a second time as unknown)."""

    organisation: Organisation | None
    services: Mapping[str, Service]
    forms: Mapping[str, Form]
    workflows: Mapping[str, Workflow]
    broken_forms: frozenset[str] = frozenset()
    broken_workflows: frozenset[str] = frozenset()


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


class WorkflowChecker:
    """Checks one workflow against the organisation and the forms, for every service that runs it."""

    def __init__(self, tree: Tree, org: Organisation, workflow: Workflow, sink: ErrorSink) -> None:
        self.tree = tree
        self.org = org
        self.wf = workflow
        self.file = workflow_file(workflow.id)
        self.sink = sink
        self.lookup_tables = {
            table_id: {col: _COLUMN_TYPES[c.type] for col, c in table.columns.items()}
            for table_id, table in org.lookups.items()
        }
        self.variables = {name: _VARIABLE_TYPES[v.type] for name, v in workflow.variables.items()}
        self.action_forms: dict[str, Form] = {}
        self.templates: dict[str, NotificationTemplate] = {}
        self.template_refs: dict[str, References] = {}

    def error(self, ptr: str, message: str, code: str) -> None:
        self.sink.add(self.file, ptr, message, code)

    # --- names -----------------------------------------------------------------------

    def role(self, role: str, ptr: str) -> None:
        if role not in self.org.roles:
            self.error(ptr, f"unknown role {role!r}", "unknown_role")

    def state(self, state: str, ptr: str) -> None:
        if state not in self.wf.states:
            self.error(ptr, f"unknown state {state!r}", "unknown_state")

    def department(self, ref: str, ptr: str, action_fields: Mapping[str, ExprType] | None) -> None:
        if ref in ("$service", "$ticket"):
            return
        if ref.startswith("action."):
            self.action_field(ref, ptr, action_fields)
            return
        if ref not in self.org.departments:
            self.error(ptr, f"unknown department {ref!r}", "unknown_department")

    def action_field(self, ref: str, ptr: str, action_fields: Mapping[str, ExprType] | None) -> None:
        name = ref.removeprefix("action.")
        if action_fields is None:
            self.error(ptr, f"{ref} is used where there is no action form", "unknown_field")
        elif name not in action_fields:
            self.error(ptr, f"{ref}: the action form has no field {name!r}", "unknown_field")

    def recipient(self, recipient: str, ptr: str) -> None:
        kind, _, name = recipient.partition(":")
        if kind == "role":
            self.role(name, ptr)
        elif kind == "head":
            self.department(name, ptr, None)

    def assignee(self, rule: Assignee, ptr: str, action_fields: Mapping[str, ExprType] | None) -> None:
        if rule.role is not None:
            self.role(rule.role, ptr + "/role")
        if rule.user is not None:
            self.action_field(rule.user, ptr + "/user", action_fields)
        dept = rule.department_ref
        if dept is not None:
            self.department(
                dept, ptr + ("/head_of" if rule.head_of is not None else "/department"), action_fields
            )

    def actor_rule(self, rule: ActorRule, ptr: str) -> None:
        self.role(rule.role, ptr + "/role")
        if rule.department is not None:
            self.department(rule.department, ptr + "/department", None)

    # --- forms -----------------------------------------------------------------------

    def action_form(self, action_id: str, action: Action) -> Form | None:
        ptr = pointer("actions", action_id, "form")
        if action.form is None:
            return None
        if isinstance(action.form, str):
            found = self.tree.forms.get(action.form)
            if found is None and action.form not in self.tree.broken_forms:
                self.error(ptr, f"unknown form {action.form!r}", "unknown_form")
            return found
        inline = dict(action.form)
        inline.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
        # the bounds of a form file (server.definitions.bounds) first, before anything walks it
        bounded = [(sub, message, "unsafe_pattern") for sub, message in bounds.pattern_problems(inline)]
        problems = list(metaschema.json_schema_problems(inline))
        problems += list(metaschema.problems("form", inline))
        if not problems and not bounded:
            bounded += bounds.expansion_problems(inline)
        if not problems and not bounded:
            problems += list(forms.label_problems(inline))
        if not problems and not bounded:
            compiles = bounds.schema_problem(inline)
            if compiles is not None:
                bounded.append(("", f"the form cannot check submissions: {compiles}", "uncompilable_form"))
        for sub, message, code in bounded:
            self.error(ptr + sub, message, code)
        for sub, message in problems:
            self.error(ptr + sub, message, "invalid_form")
        if problems or bounded:
            return None
        for sub, message in forms.label_warnings(inline):
            if sub:  # the form's own title: an action form is titled by its action's label
                self.sink.warn(self.file, ptr + sub, message, "missing_translation")
        title = forms.form_title(inline, action.label)
        return Form(id=f"{self.wf.id}.{action_id}", title=title, schema=inline)

    # --- the whole workflow ----------------------------------------------------------

    def check(self) -> None:
        wf = self.wf
        self.state(wf.initial.default, "/initial/default")
        for channel, start in wf.initial.by_channel.items():
            if channel not in self.org.channels:
                self.error(
                    pointer("initial", "by_channel", channel),
                    f"unknown channel {channel!r}",
                    "unknown_channel",
                )
            self.state(start, pointer("initial", "by_channel", channel))
        for action_id, action in wf.actions.items():
            form = self.action_form(action_id, action)
            if form is not None:
                self.action_forms[action_id] = form
        for action_id, action in wf.actions.items():
            base = pointer("actions", action_id)
            fields = self.fields_of_action(action_id)
            for index, rule in enumerate(action.who):
                self.actor_rule(rule, f"{base}/who/{index}")
            for index, source in enumerate(action.from_):
                self.state(source, f"{base}/from/{index}")
            if action.to is not None:
                self.state(action.to, f"{base}/to")
            for index, guard in enumerate(action.guards):
                if guard not in wf.guards:
                    self.error(f"{base}/guards/{index}", f"unknown guard {guard!r}", "unknown_guard")
            leaves_closed = [s for s in action.from_ if s in wf.states and wf.states[s].category == "closed"]
            if leaves_closed and not action.reopens:
                self.error(
                    f"{base}/reopens",
                    f"the action leaves the closed state {leaves_closed[0]!r}: "
                    'declare it as a reopen rule with "reopens": true',
                    "undeclared_reopen",
                )
            if action.reopens and not leaves_closed:
                self.error(f"{base}/reopens", "a reopen rule must start from a closed state", "bad_reopen")
            self.effects(action.effects, f"{base}/effects", fields)
        for state_id, state in wf.states.items():
            base = pointer("states", state_id)
            fields = self.fields_entering(state_id)
            self.assignee(state.assignee, f"{base}/assignee", fields)
            self.effects(state.on_enter, f"{base}/on_enter", fields)
        for timer_id, timer in wf.timers.items():
            self.state(timer.state, pointer("timers", timer_id, "state"))
            self.effects(timer.effects, pointer("timers", timer_id, "effects"), None)
        self.reachability()
        self.compile_templates()

    def fields_of_action(self, action_id: str | None) -> Mapping[str, ExprType] | None:
        form = self.action_forms.get(action_id) if action_id else None
        return forms.fields(form.schema) if form is not None else None

    def fields_entering(self, state_id: str) -> Mapping[str, ExprType] | None:
        """The action fields every action into this state carries (for ``on_enter`` and assignees)."""
        incoming = [a for a, action in self.wf.actions.items() if action.to == state_id]
        if not incoming:
            return None
        common: dict[str, ExprType] | None = None
        for action_id in incoming:
            fields = self.fields_of_action(action_id) or {}
            common = dict(fields) if common is None else {k: v for k, v in common.items() if k in fields}
        return common

    def effects(
        self, effects: tuple[Effect, ...], ptr: str, action_fields: Mapping[str, ExprType] | None
    ) -> None:
        for index, effect in enumerate(effects):
            here = f"{ptr}/{index}"
            if effect.kind == "notify":
                assert effect.notify is not None
                if effect.notify not in self.wf.notifications:
                    self.error(
                        f"{here}/notify",
                        f"unknown notification template {effect.notify!r}",
                        "unknown_template",
                    )
                if effect.to is not None:
                    self.recipient(effect.to, f"{here}/to")
                for cc_index, cc in enumerate(effect.cc):
                    self.recipient(cc, f"{here}/cc/{cc_index}")
            elif effect.kind == "assign":
                assert effect.assign is not None
                self.assignee(effect.assign, f"{here}/assign", action_fields)
            else:
                for variable, source in (effect.record or {}).items():
                    vptr = f"{here}/record/{variable}"
                    if variable not in self.wf.variables:
                        self.error(
                            vptr,
                            f"unknown variable {variable!r}: declare it under variables",
                            "unknown_variable",
                        )
                    self.action_field(source, vptr, action_fields)

    def reachability(self) -> None:
        starts = {self.wf.initial.default, *self.wf.initial.by_channel.values()}
        seen = {s for s in starts if s in self.wf.states}
        queue = deque(seen)
        while queue:
            current = queue.popleft()
            for action in self.wf.actions.values():
                target = action.to
                if (
                    current in action.from_
                    and target is not None
                    and target not in seen
                    and target in self.wf.states
                ):
                    seen.add(target)
                    queue.append(target)
        for state_id in self.wf.states:
            if state_id not in seen:
                self.error(
                    pointer("states", state_id),
                    f"the state {state_id!r} cannot be reached from the initial state",
                    "unreachable_state",
                )

    def compile_templates(self) -> None:
        for template_id, notification in self.wf.notifications.items():
            subject: dict[Language, Template] = {}
            body: dict[Language, Template] = {}
            ok = True
            parts = (("body", notification.body), ("subject", notification.subject))
            for part, text in parts:
                if text is None:
                    continue
                for lang in LANGUAGES:
                    ptr = pointer("notifications", template_id, part, lang)
                    try:
                        template, refs = compile_template(text.get(lang))
                    except TemplateProblem as problem:
                        self.error(ptr, problem.message, problem.code)
                        ok = False
                        continue
                    (body if part == "body" else subject)[lang] = template
                    self.template_refs[ptr] = refs
            if ok:
                self.templates[template_id] = NotificationTemplate(id=template_id, subject=subject, body=body)

    def all_effects(self) -> Iterator[tuple[str, Effect, Mapping[str, ExprType] | None]]:
        """Every effect of the workflow with its pointer and the action fields it sees."""
        for action_id, action in self.wf.actions.items():
            fields = self.fields_of_action(action_id)
            for index, effect in enumerate(action.effects):
                yield pointer("actions", action_id, "effects", index), effect, fields
        for state_id, state in self.wf.states.items():
            fields = self.fields_entering(state_id)
            for index, effect in enumerate(state.on_enter):
                yield pointer("states", state_id, "on_enter", index), effect, fields
        for timer_id, timer in self.wf.timers.items():
            for index, effect in enumerate(timer.effects):
                yield pointer("timers", timer_id, "effects", index), effect, None

    def conditions(self) -> Iterator[tuple[str, str, Mapping[str, ExprType] | None]]:
        for ptr, effect, fields in self.all_effects():
            if effect.when is not None:
                yield ptr + "/when", effect.when, fields

    # --- per service -----------------------------------------------------------------

    def scope(
        self, form_fields: Mapping[str, ExprType], action_fields: Mapping[str, ExprType] | None
    ) -> Scope:
        return Scope(
            roots={
                "data": form_fields,
                "action": action_fields or {},
                "vars": self.variables,
                "actor": ACTOR_FIELDS,
                "ticket": TICKET_FIELDS,
            },
            lookup_tables=self.lookup_tables,
        )

    def for_service(self, service: Service, form: Form) -> CompiledService | None:
        """Compile guards, conditions and templates against one service's form."""
        before = len(self.sink.errors)
        form_fields = forms.fields(form.schema)
        guards: dict[str, Expression] = {}
        users: dict[str, list[str | None]] = {}
        for action_id, action in self.wf.actions.items():
            for name in action.guards:
                users.setdefault(name, []).append(action_id)
        for guard_id, guard in self.wf.guards.items():
            for user in users.get(guard_id) or [None]:
                fields = self.fields_of_action(user)
                compiled = self.expression(
                    guard.expr, pointer("guards", guard_id, "expr"), service, self.scope(form_fields, fields)
                )
                if compiled is not None:
                    guards.setdefault(guard_id, compiled)
        conditions: dict[str, Expression] = {}
        for ptr, source, fields in self.conditions():
            compiled = self.expression(source, ptr, service, self.scope(form_fields, fields))
            if compiled is not None:
                conditions[ptr] = compiled
        self.check_template_uses(service, form_fields)
        if len(self.sink.errors) > before:
            return None
        return CompiledService(
            service=service,
            form=form,
            workflow=self.wf,
            organisation=self.org,
            action_forms=dict(self.action_forms),
            guards=guards,
            conditions=conditions,
            templates=dict(self.templates),
        )

    def expression(self, source: str, ptr: str, service: Service | None, scope: Scope) -> Expression | None:
        try:
            compiled = compile_expression(source, scope)
        except ExpressionError as exc:
            where = f" (for the service {service.id!r}, form {service.form!r})" if service else ""
            for problem in exc.problems:
                self.error(ptr, f"{problem}{where}", "bad_expression")
            return None
        if any(key is None for _, key in compiled.lookups):
            self.error(
                ptr,
                "the key of a lookup must be a field (data.X, action.X, vars.X, ticket.X or actor.X)",
                "bad_expression",
            )
            return None
        return compiled

    def standalone(self) -> None:
        """A workflow no service runs yet: check its expressions with any form field allowed."""
        open_fields = OpenFields()
        for guard_id, guard in self.wf.guards.items():
            self.expression(
                guard.expr, pointer("guards", guard_id, "expr"), None, self.scope(open_fields, open_fields)
            )
        for ptr, source, _fields in self.conditions():
            self.expression(source, ptr, None, self.scope(open_fields, open_fields))

    def check_template_uses(self, service: Service, form_fields: Mapping[str, ExprType]) -> None:
        for ptr, effect, action_fields in self.all_effects():
            if effect.notify is None or effect.notify not in self.templates:
                continue
            if effect.survey and service.survey is None:
                self.error(
                    ptr + "/survey", f"the service {service.id!r} names no survey to attach", "no_survey"
                )
            for part in ("body", "subject"):
                for lang in LANGUAGES:
                    tptr = pointer("notifications", effect.notify, part, lang)
                    refs = self.template_refs.get(tptr)
                    if refs is None:
                        continue
                    parts = (
                        self.templates[effect.notify].body
                        if part == "body"
                        else self.templates[effect.notify].subject
                    )
                    self.template_fields(tptr, refs, parts[lang], service, form_fields, action_fields, effect)

    def template_fields(
        self,
        tptr: str,
        refs: References,
        template: Template,
        service: Service,
        form_fields: Mapping[str, ExprType],
        action_fields: Mapping[str, ExprType] | None,
        effect: Effect,
    ) -> None:
        for name in sorted(refs.data - form_fields.keys()):
            self.error(
                tptr,
                f"data.{name}: the form {service.form!r} of the service {service.id!r} has no such field",
                "unknown_field",
            )
        for name in sorted(refs.action - (action_fields or {}).keys()):
            self.error(
                tptr,
                f"action.{name}: not a field of the action form where {effect.notify!r} is sent",
                "unknown_field",
            )
        for name in sorted(refs.vars - self.variables.keys()):
            self.error(tptr, f"vars.{name}: unknown variable", "unknown_variable")
        for name in sorted(refs.links - self.org.links.keys()):
            self.error(tptr, f"links.{name}: unknown link", "unknown_link")
        if refs.survey and not effect.survey:
            self.error(
                tptr,
                f"the template uses survey_url but the effect sending {effect.notify!r} has no "
                '"survey": true',
                "survey_not_attached",
            )
        context = sample_context(
            data=form_fields,
            action=action_fields or {},
            variables=self.variables,
            links={k: v.url for k, v in self.org.links.items()},
            survey=True,
        )
        try:
            trial_render(template, context)
        except TemplateProblem as problem:
            self.error(tptr, problem.message, problem.code)


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
