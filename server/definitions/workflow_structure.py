"""The checks of one workflow that need no service: its names, action forms, effects and states.

Owns :class:`WorkflowStructure`: every state, role, department, channel, guard, variable, recipient
and action field a workflow names is looked up; inline action forms are checked like form files;
reopen rules, reachability of states, and the compilation of notification templates. The checks
against a service's form (expressions, template fields) build on it in
:mod:`server.definitions.workflow_checker`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping

from jinja2 import Template

from server.definitions import bounds, forms, metaschema
from server.definitions.catalogue import NotificationTemplate
from server.definitions.errors import ErrorSink, pointer
from server.definitions.expressions import ExprType
from server.definitions.model import (
    LANGUAGES,
    Action,
    ActorRule,
    Assignee,
    Effect,
    Form,
    Language,
    Organisation,
    Workflow,
)
from server.definitions.texts import References, TemplateProblem, compile_template
from server.definitions.tree import Tree, workflow_file


class WorkflowStructure:
    """Checks one workflow against the organisation and the forms, whatever service runs it."""

    def __init__(self, tree: Tree, org: Organisation, workflow: Workflow, sink: ErrorSink) -> None:
        self.tree = tree
        self.org = org
        self.wf = workflow
        self.file = workflow_file(workflow.id)
        self.sink = sink
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
                plainly = all(
                    self.template_refs[pointer("notifications", template_id, part, lang)].assigned_plainly
                    for part, text in parts
                    if text is not None
                    for lang in LANGUAGES
                )
                self.templates[template_id] = NotificationTemplate(
                    id=template_id, subject=subject, body=body, assigned_plainly=plainly
                )

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
