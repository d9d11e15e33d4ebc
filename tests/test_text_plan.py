"""A notification template with a straight-line plan (``server/definitions/text_plan.py``) renders
exactly as Jinja renders it: the same text, the same cut at the same character, the same error — for
every shipped template, and for templates drawn from the plan's whole grammar (outputs of names and
attributes that exist or not, dict methods, ``if``/``elif``/``else`` over comparisons, ``not``,
``and``, ``or``) against contexts whose values are missing, falsy, lists, huge or undefined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Template

from server.definitions.sandbox import MAX_PRODUCED, MAX_RENDERED, SANDBOX, Budgeted, Namespace
from server.definitions.text_plan import plan_of
from server.definitions.texts import PlannedTemplate, _generate, compile_template, sample_context

ROOT = Path(__file__).resolve().parent.parent


def both_ways(source: str) -> tuple[Template, Template]:
    """The template as khidma compiles it (with its plan, if any) and the same without a plan —
    parsed here without ``compile_template``'s checks, so that names it would refuse are tried too."""
    tree = SANDBOX.parse(source)
    plan = plan_of(tree)
    code = SANDBOX.compile(Budgeted().visit(tree))
    planned, jinja = (
        PlannedTemplate.from_code(SANDBOX, code, SANDBOX.make_globals(None), None) for _ in "ab"
    )
    assert isinstance(planned, PlannedTemplate)
    planned.plan = plan
    return planned, jinja


def outcome(template: Template, context: dict[str, Any], limit: int) -> tuple[str, str | None, str | None]:
    out: list[str] = []
    try:
        _generate(template, context, limit, out)
    except Exception as exc:
        return "".join(out), type(exc).__name__, str(exc)
    return "".join(out), None, None


def same(
    source: str, context: dict[str, Any], limit: int = MAX_RENDERED
) -> tuple[str, str | None, str | None]:
    planned, jinja = both_ways(source)
    expected = outcome(jinja, context, limit)
    assert outcome(planned, context, limit) == expected, source
    return expected


def shipped_templates() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "workflows").glob("*.json")):
        workflow = json.loads(path.read_text(encoding="utf-8"))
        for name, template in sorted(workflow.get("notifications", {}).items()):
            for part in ("subject", "body"):
                for lang, text in sorted((template.get(part) or {}).items()):
                    found.append((f"{path.stem}.{name}.{part}.{lang}", text))
    return found


SHIPPED = shipped_templates()


def test_most_shipped_templates_have_a_plan() -> None:
    planned = [label for label, text in SHIPPED if plan_of(SANDBOX.parse(text)) is not None]
    assert len(SHIPPED) > 50
    assert len(planned) >= len(SHIPPED) * 3 // 4, sorted({label for label, _ in SHIPPED} - set(planned))


def test_compile_template_gives_the_plan_and_the_cache_keeps_it() -> None:
    template, _ = compile_template("Ticket {{ ticket.number }}{% if data.kind == 'x' %}!{% endif %}")
    again, _ = compile_template("Ticket {{ ticket.number }}{% if data.kind == 'x' %}!{% endif %}")
    assert isinstance(template, PlannedTemplate) and template.plan is not None
    assert isinstance(again, PlannedTemplate) and again.plan == template.plan
    filtered, _ = compile_template("Ticket {{ ticket.number | upper }}")
    assert isinstance(filtered, PlannedTemplate) and filtered.plan is None


@pytest.mark.parametrize(("label", "source"), SHIPPED, ids=[label for label, _ in SHIPPED])
def test_every_shipped_template_renders_the_same_both_ways(label: str, source: str) -> None:
    context = sample_context(data={}, action={}, variables={}, links={}, survey=True)
    context["links"] = {"site": {"url": "https://example.invalid", "label": "site"}}
    same(source, context)
    for limit in (0, 7, 60):
        same(source, context, limit)


PATHS = [
    "ticket.number",
    "ticket.url",
    "ticket.missing",
    "data.kind",
    "data.name",
    "data.items",
    "data.values",
    "data.nested",
    "data.nested.inner",
    "data.big",
    "data.absent",
    "vars.count",
    "links.site.url",
    "links.items",
    "links.absent.url",
    "org.name",
    "survey_url",
    "nowhere",
    "nowhere.at_all",
]
CONSTANTS = ['"suggestion"', "'inquiry'", "1", "0", "none", "true", "false", "1.5", '""']
TEXT = st.text(alphabet=st.characters(blacklist_characters="{}%#", blacklist_categories=["Cs"]), max_size=12)


def conditions(depth: int = 2) -> st.SearchStrategy[str]:
    plain = st.sampled_from(PATHS) | st.builds(
        lambda path, op, const: f"{path} {op} {const}",
        st.sampled_from(PATHS),
        st.sampled_from(["==", "!="]),
        st.sampled_from(CONSTANTS),
    )
    if depth == 0:
        return plain
    inner = conditions(depth - 1)
    return (
        plain
        | inner.map(lambda t: f"not ({t})")
        | st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["and", "or"]), inner)
    )


def bodies(depth: int = 2) -> st.SearchStrategy[str]:
    piece = TEXT | st.sampled_from(PATHS).map(lambda p: "{{ " + p + " }}")
    if depth > 0:
        branch = st.builds(
            lambda test, then, elifs, otherwise: (
                "{% if "
                + test
                + " %}"
                + then
                + "".join("{% elif " + t + " %}" + b for t, b in elifs)
                + ("" if otherwise is None else "{% else %}" + otherwise)
                + "{% endif %}"
            ),
            conditions(),
            bodies(depth - 1),
            st.lists(st.tuples(conditions(), bodies(depth - 1)), max_size=2),
            st.none() | bodies(depth - 1),
        )
        piece = piece | branch
    return st.lists(piece, max_size=5).map("".join)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.just("suggestion"),
    st.just(""),
    st.lists(st.text(max_size=5), max_size=3),
)


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    data = {
        "kind": draw(VALUES),
        "name": draw(VALUES),
        "items": draw(VALUES),
        "nested": draw(st.dictionaries(st.sampled_from(["inner", "other"]), VALUES, max_size=2)),
        "big": draw(st.sampled_from(["", "x" * (MAX_PRODUCED // 2 + 1)])),
    }
    context: dict[str, Any] = {
        "ticket": {"number": draw(VALUES), "url": "https://example.invalid/t/1"},
        "data": Namespace({k: v for k, v in data.items() if draw(st.booleans())}),
        "vars": Namespace({"count": draw(VALUES)}),
        "links": {"site": {"url": draw(VALUES), "label": "site"}},
        "org": {"name": draw(VALUES)},
    }
    if draw(st.booleans()):
        context["survey_url"] = draw(VALUES)
    return context


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=bodies(), context=contexts(), limit=st.sampled_from([0, 5, 40, MAX_RENDERED, 10 * MAX_PRODUCED])
)
def test_a_planned_template_renders_as_jinja_renders_it(
    source: str, context: dict[str, Any], limit: int
) -> None:
    same(source, context, limit)


def test_the_grammar_drawn_above_is_planned() -> None:
    """The drawn templates are the plan's (a test of equality over templates without a plan would
    compare Jinja with itself)."""
    assert (
        plan_of(
            SANDBOX.parse(
                'a{{ data.x.y }}{% if not (data.k == "s") and x or y != 1.5 %}b{% elif z %}c{% else %}d{% endif %}'
            )
        )
        is not None
    )
    for unplanned in (
        "{{ x | upper }}",
        "{% for i in x %}{% endfor %}",
        "{{ x + 1 }}",
        "{{ x() }}",
        "{% set y = 1 %}",
        "{{ x['k'] }}",
        "{% if x is defined %}{% endif %}",
        "{% if x == y %}{% endif %}",
        "{% if 1 < x %}{% endif %}",
        "{{ 1 }}",
    ):
        assert plan_of(SANDBOX.parse(unplanned)) is None, unplanned


def test_a_cut_and_an_error_are_the_same_both_ways() -> None:
    text, error, message = same(
        "abc{{ data.big }}{{ data.big }}tail",
        {"data": Namespace({"big": "x" * (MAX_PRODUCED // 2 + 1)})},
        10 * MAX_PRODUCED,
    )
    assert error == "BudgetExceeded" and "produces more than" in (message or "")
    text, error, message = same("0123456789{{ data.name }}", {"data": Namespace({"name": "abcdef"})}, 12)
    assert (text, error) == ("0123456789ab", "BudgetExceeded")
    text, error, _ = same("before {{ nowhere }} after", {})
    assert (text, error) == ("before ", "UndefinedError")
