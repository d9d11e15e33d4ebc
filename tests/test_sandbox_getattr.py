"""The sandbox's short way to ``ticket.number`` and ``data.kind`` (``TemplateSandbox.getattr``) answers
exactly what Jinja's general path answers, for every kind of object and name a template can reach."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from server.definitions.sandbox import SANDBOX, Namespace
from server.definitions.texts import compile_template, render_bounded

NAMES = [
    "number",
    "url",
    "items",
    "keys",
    "get",
    "values",
    "copy",
    "format",
    "upper",
    "kind",
    "missing",
    "_values",
]


class _Sub(dict[str, Any]):
    """A dict subclass: never taken the short way."""


def _objects() -> list[Any]:
    fields = {"number": "2026-000001", "items": "an item field", "get": 3, "kind": ["a", "b"], "format": None}
    return [
        dict(fields),
        {},
        _Sub(fields),
        Namespace(dict(fields)),
        Namespace({"upper": "x".upper, "format": "{}".format, "kind": {"nested": 1}}),  # method values
        Namespace({}),
        "a string",
        ["a", "list"],
        7,
    ]


def _same(short: Any, general: Any) -> None:
    if isinstance(general, Undefined):
        assert isinstance(short, Undefined)
        assert type(short) is type(general)
        assert short._undefined_hint == general._undefined_hint
        assert short._undefined_name == general._undefined_name
    elif callable(general) and not isinstance(general, type):
        assert callable(short)
        assert getattr(short, "__name__", None) == getattr(general, "__name__", None)
    else:
        assert short == general
        assert type(short) is type(general)


@pytest.mark.parametrize("name", NAMES)
def test_the_short_way_answers_what_the_general_path_does(name: str) -> None:
    for obj in _objects():
        _same(SANDBOX.getattr(obj, name), ImmutableSandboxedEnvironment.getattr(SANDBOX, obj, name))


def test_a_dicts_own_method_name_is_still_the_method() -> None:
    """``links.items`` is the dict's method (as Jinja has it), not a link called ``items``."""
    template, _ = compile_template("{{ links.items is callable }}|{{ ticket.number }}")
    text, cut = render_bounded(
        template, {"links": {"items": {"url": "u", "label": "l"}}, "ticket": {"number": "N-1"}}
    )
    assert (text, cut) == ("True|N-1", None)


def test_a_missing_key_is_still_refused_by_the_strict_undefined() -> None:
    template, _ = compile_template("{{ ticket.number }}")
    text, cut = render_bounded(template, {"ticket": {}})
    assert text == ""
    assert cut is not None and "number" in cut


def test_a_namespace_field_that_is_a_method_goes_the_general_way() -> None:
    """A ``str.format`` bound method in the data is wrapped by the sandbox (its width checks)."""
    value = SANDBOX.getattr(Namespace({"f": "{:>5000}".format}), "f")
    with pytest.raises(Exception, match="width"):
        value("x")
