"""The checks of one workflow against a service's form: its guards, conditions and templates.

Owns :class:`WorkflowChecker` (the structural checks of :class:`WorkflowStructure` plus these): the
expression scope a workflow's guards and conditions see (:data:`ACTOR_FIELDS`, :data:`TICKET_FIELDS`,
variables, lookup tables), their compilation per service (or against :class:`OpenFields` for a
workflow no service runs), and the fields, links and survey each notification template uses,
trial-rendered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from jinja2 import Template

from server.definitions import check_cache, forms
from server.definitions.catalogue import CompiledService
from server.definitions.errors import ErrorSink, pointer
from server.definitions.expressions import Expression, ExpressionError, ExprType, Scope, compile_expression
from server.definitions.model import LANGUAGES, Effect, Form, Organisation, Service, Workflow
from server.definitions.texts import References, TemplateProblem, sample_context, trial_render
from server.definitions.tree import Tree
from server.definitions.workflow_structure import WorkflowStructure

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


class WorkflowChecker(WorkflowStructure):
    """Checks one workflow against the organisation and the forms, for every service that runs it."""

    def __init__(self, tree: Tree, org: Organisation, workflow: Workflow, sink: ErrorSink) -> None:
        super().__init__(tree, org, workflow, sink)
        self.lookup_tables = {
            table_id: {col: _COLUMN_TYPES[c.type] for col, c in table.columns.items()}
            for table_id, table in org.lookups.items()
        }
        self.variables = {name: _VARIABLE_TYPES[v.type] for name, v in workflow.variables.items()}

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
        # the trial renders depend only on these documents (and this code): a combination that passed
        # before is not rendered again (check_cache; a third of loading the shipped tree)
        uses = [service, form.schema, self.wf, self.org, self.action_forms]
        if not check_cache.passed("template_uses", uses):
            unchecked = len(self.sink.errors)
            self.check_template_uses(service, form_fields)
            if len(self.sink.errors) == unchecked:
                check_cache.remember("template_uses", uses)
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
