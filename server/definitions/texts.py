"""Notification templates: admin-edited Jinja2, parsed and rendered only in the sandbox.

At load each template is parsed, its names and fields are checked against what the context
will hold, attribute names starting with ``_`` are refused, and it is trial-rendered in the
sandbox with a sample context so that anything the sandbox forbids fails before publication.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import CodeType
from typing import Any

import msgspec
from jinja2 import Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError

from server.definitions import template_cache
from server.definitions.expressions import ExprType
from server.definitions.sandbox import (
    CURRENT_BUDGET,
    MAX_OUTPUT,
    MAX_RENDERED,
    SANDBOX,
    Budget,
    Budgeted,
    BudgetExceeded,
    Namespace,
)
from server.definitions.text_plan import Plan, plan_of, run

CONTEXT_NAMES: Mapping[str, frozenset[str] | None] = {
    "ticket": frozenset({"number", "tracking_code", "state", "channel", "department", "url"}),
    "service": frozenset({"name"}),
    "actor": frozenset({"name"}),
    "org": frozenset({"name", "phone", "email", "hours"}),
    "data": None,
    "action": None,
    "vars": None,
    "links": None,
    "survey_url": None,
}
"""The names a template may use; for a namespace, the attributes it has (None: checked elsewhere)."""


class References(msgspec.Struct, frozen=True):
    """What a template refers to: field names per namespace and whether it uses ``survey_url``."""

    data: frozenset[str]
    action: frozenset[str]
    vars: frozenset[str]
    links: frozenset[str]
    survey: bool
    assigned_plainly: bool = True
    """Whether the values a new ticket's transaction assigns (``ticket.number``, ``ticket.url`` and
    ``survey_url``, which quote the number or the row id) appear only as whole outputs — ``{{
    ticket.number }}``, nothing done to them: then the text can be rendered before the transaction
    with stand-ins, replaced once the number is known (``server/tickets/transaction.py``)."""


class TemplateProblem(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _attribute_chain(node: nodes.Node) -> tuple[str, str] | None:
    """``data.field`` or ``data['field']`` → ("data", "field")."""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return node.node.name, node.attr
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.node.name, node.arg.value
    return None


ASSIGNED = frozenset({("ticket", "number"), ("ticket", "url")})
"""The attributes a ticket's creating transaction assigns (or that quote what it assigns)."""


def _assigned_plainly(tree: nodes.Template, local: set[str]) -> bool:
    """Whether every use of :data:`ASSIGNED` and ``survey_url`` is a whole ``{{ … }}`` output: the
    node is an item of an ``Output`` itself, with no filter, test, slice, comparison or call around it,
    and ``ticket`` is never used whole (``{% set t = ticket %}`` would hide what follows)."""

    def plain(node: nodes.Node, parents: tuple[nodes.Node, ...]) -> bool:
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in local:
            parent = parents[-1] if parents else None
            if node.name == "survey_url":
                return isinstance(parent, nodes.Output)
            if node.name == "ticket":
                chain = _attribute_chain(parent) if parent is not None else None
                if chain is None:
                    return False
                if chain in ASSIGNED:
                    return len(parents) > 1 and isinstance(parents[-2], nodes.Output)
        return all(plain(child, (*parents, node)) for child in node.iter_child_nodes())

    return plain(tree, ())


class PlannedTemplate(Template):
    """A compiled notification template, with its straight-line plan when it has one
    (``server/definitions/text_plan.py``): rendered by the plan, else by Jinja."""

    plan: Plan | None = None


def _template(code: CodeType, plan: Plan | None) -> Template:
    template = PlannedTemplate.from_code(SANDBOX, code, SANDBOX.make_globals(None), None)
    assert isinstance(template, PlannedTemplate)
    template.plan = plan
    return template


def compile_template(source: str) -> tuple[Template, References]:
    """Parse and statically check a template. Raises :class:`TemplateProblem`. A text compiled before
    (by this process, or by an earlier start of the same code) comes from ``template_cache``."""
    cached = template_cache.load(source)
    if cached is not None:
        code, (data, action, vars_, links, survey_used, assigned_plainly, plan) = cached
        return _template(code, plan), References(
            data=frozenset(data),
            action=frozenset(action),
            vars=frozenset(vars_),
            links=frozenset(links),
            survey=survey_used,
            assigned_plainly=assigned_plainly,
        )
    try:
        tree = SANDBOX.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"template syntax error on line {exc.lineno}: {exc.message}", "template_syntax"
        ) from None
    for found in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = (
            found.attr
            if isinstance(found, nodes.Getattr)
            else getattr(getattr(found, "arg", None), "value", None)
        )
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateProblem(
                f"the template reaches for {name!r}, outside the sandbox", "template_unsafe"
            )
    if any(True for _ in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport))):
        raise TemplateProblem("templates may not extend, include or import others", "template_unsafe")
    if any(True for _ in tree.find_all((nodes.Macro, nodes.CallBlock))):
        raise TemplateProblem("templates may not define macros or call blocks", "template_unsafe")
    if any(loop.recursive for loop in tree.find_all(nodes.For)):
        raise TemplateProblem("templates may not use recursive loops", "template_unsafe")
    used: dict[str, set[str]] = {"data": set(), "action": set(), "vars": set(), "links": set()}
    survey = False
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name_node in tree.find_all(nodes.Name):
        if name_node.ctx != "load" or name_node.name in local:
            continue
        if name_node.name not in CONTEXT_NAMES:
            raise TemplateProblem(
                f"the template uses {name_node.name!r}, which is not in its context", "template_name"
            )
        survey = survey or name_node.name == "survey_url"
    for access in tree.find_all((nodes.Getattr, nodes.Getitem)):
        chain = _attribute_chain(access)
        if chain is None:
            continue
        root, attr = chain
        allowed = CONTEXT_NAMES.get(root)
        if allowed is not None and attr not in allowed:
            raise TemplateProblem(f"{root}.{attr} is not in the template's context", "template_name")
        if root in used:
            used[root].add(attr)
    assigned_plainly = _assigned_plainly(tree, local)
    plan = plan_of(tree)  # before the budget's rewriting, which changes the tree in place
    code = SANDBOX.compile(Budgeted().visit(tree))
    refs = References(
        data=frozenset(used["data"]),
        action=frozenset(used["action"]),
        vars=frozenset(used["vars"]),
        links=frozenset(used["links"]),
        survey=survey,
        assigned_plainly=assigned_plainly,
    )
    lists = [tuple(sorted(used[name])) for name in ("data", "action", "vars", "links")]
    template_cache.store(
        source, (code, (lists[0], lists[1], lists[2], lists[3], survey, assigned_plainly, plan))
    )
    return _template(code, plan), refs


def _generate(template: Template, context: Mapping[str, Any], limit: int, out: list[str]) -> None:
    """Render into ``out`` under a fresh budget; :class:`BudgetExceeded` past ``limit`` characters
    (what was rendered until then stays in ``out``). A template with a plan is rendered by it."""
    plan = getattr(template, "plan", None)
    if plan is not None:
        run(plan, context, limit, out)
        return
    token = CURRENT_BUDGET.set(Budget())
    try:
        length = 0
        # Template.generate's own steps, less merging in the globals (the sandbox has none) and
        # rewriting an error's traceback (the caller keeps only its text)
        for chunk in template.root_render_func(template.new_context(dict(context), shared=True)):
            length += len(chunk)
            if length > limit:
                out.append(chunk[: max(0, limit - (length - len(chunk)))])
                raise BudgetExceeded(f"the template renders more than {limit} characters")
            out.append(chunk)
    finally:
        CURRENT_BUDGET.reset(token)


def trial_render(template: Template, context: Mapping[str, Any]) -> None:
    """Render with a sample context; anything the sandbox refuses becomes a TemplateProblem."""
    out: list[str] = []
    try:
        _generate(template, context, MAX_OUTPUT, out)
    except BudgetExceeded as exc:
        raise TemplateProblem(f"the template passes its budget: {exc}", "template_budget") from None
    except SecurityError as exc:
        raise TemplateProblem(f"the sandbox refused the template: {exc}", "template_unsafe") from None
    except UndefinedError as exc:
        raise TemplateProblem(
            f"the template uses something its context lacks: {exc}", "template_name"
        ) from None
    except Exception as exc:  # anything else a template can raise while rendering
        raise TemplateProblem(f"the template fails when rendered: {exc}", "template_error") from None


def render_bounded(template: Template, context: Mapping[str, Any]) -> tuple[str, str | None]:
    """Render a checked template for real (the notification layer calls this), under the same budgets
    as the trial render: (the text, why it was cut or ``None``). A render that passes a budget or fails
    on real data keeps what it rendered until then, never more than :data:`MAX_RENDERED` characters."""
    out: list[str] = []
    try:
        _generate(template, context, MAX_RENDERED, out)
    except Exception as exc:  # the budget, or anything a template raises on real data
        return "".join(out), str(exc) or type(exc).__name__
    return "".join(out), None


class _Sample(Namespace):
    """A namespace whose every missing field is a sample string (for trial renders)."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        super().__init__(values or {})

    def __getitem__(self, name: str) -> Any:
        return self._values.get(name, f"<{name}>")


def _sample_value(name: str, kind: ExprType) -> Any:
    samples: dict[ExprType, Any] = {
        ExprType.INTEGER: 1,
        ExprType.NUMBER: 1.5,
        ExprType.BOOLEAN: True,
        ExprType.LIST: [_Sample(), _Sample()],
        ExprType.ANY: _Sample(),
    }
    return samples.get(kind, f"<{name}>")


def sample_context(
    *,
    data: Mapping[str, ExprType],
    action: Mapping[str, ExprType],
    variables: Mapping[str, ExprType],
    links: Mapping[str, str],
    survey: bool,
) -> dict[str, Any]:
    """A context with every name a template may use, each filled with a sample value of its type."""

    def sample(name: str) -> str:
        return f"<{name}>"

    return {
        "ticket": {k: sample(k) for k in sorted(CONTEXT_NAMES["ticket"] or ())},
        "service": {"name": sample("service")},
        "actor": {"name": sample("actor")},
        "org": {k: sample(k) for k in sorted(CONTEXT_NAMES["org"] or ())},
        "data": _Sample({k: _sample_value(k, t) for k, t in data.items()}),
        "action": _Sample({k: _sample_value(k, t) for k, t in action.items()}),
        "vars": _Sample({k: _sample_value(k, t) for k, t in variables.items()}),
        "links": {k: {"url": url, "label": k} for k, url in links.items()},
        **({"survey_url": "https://example.invalid/survey"} if survey else {}),
    }
