"""Every page template renders from its typed context with ``StrictUndefined``.

The registry (``server.web.rendering.PAGES``, filled by ``@page_context``) says which context type
each template is rendered with. Here each type is instantiated from its annotations — every text
filled, every flag true, every list with one item, every optional present — and the template is
rendered with the app's environment in strict mode: a template that reads a field its context
lacks (``page.titel``), or a name the renderer does not pass, fails this test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
import msgspec
import pytest
from markupsafe import Markup

from server.app import create_app  # importing the app registers every page context
from server.i18n import t
from server.settings import Settings
from server.web.rendering import PAGES, Chrome

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
pytestmark = pytest.mark.single_backend("the app is built for its template engine only: it opens no store")


def sample(tp: Any, depth: int = 0, *, name: str = "") -> Any:
    """A value of type ``tp`` with everything present."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any or tp is object:
        return "x"
    if origin is typing.Annotated:
        return sample(args[0], depth, name=name)
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        return sample(present[0], depth, name=name) if present else None
    if origin is typing.Literal:
        return args[0]
    if origin in (list, tuple, set, frozenset, typing.Sequence, typing.Iterable) or tp in (list, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return tuple(sample(a, depth + 1) for a in args)
        inner = args[0] if args else str
        items = [sample(inner, depth + 1)] if depth < 4 else []
        return tuple(items) if origin is tuple else items
    if origin in (dict, typing.Mapping) or tp is dict:
        key, value = args or (str, str)
        return {sample(key, depth + 1): sample(value, depth + 1)} if depth < 4 else {}
    if tp is Markup:
        return Markup("<p>x</p>")
    if tp is str:
        return name or "x"
    if tp is bool:
        return True
    if tp is int:
        return 1
    if tp is float:
        return 1.0
    if tp is dt.datetime:
        return dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC)
    if tp is dt.date:
        return dt.date(2026, 3, 1)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp, include_extras=True)
        values = {
            f.name: sample(hints[f.name], depth + 1, name=f.name) for f in dataclasses.fields(tp) if f.init
        }
        return tp(**values)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        hints = typing.get_type_hints(tp, include_extras=True)
        return tp(**{f: sample(hints[f], depth + 1, name=f) for f in tp.__struct_fields__})
    raise TypeError(f"no sample for {tp!r}")


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    app = create_app(Settings())
    engine = app.template_engine
    assert engine is not None
    environment: jinja2.Environment = engine.engine  # type: ignore[attr-defined]
    assert environment.undefined is jinja2.StrictUndefined, "the app renders templates in strict mode"
    return environment


def chrome(lang: str) -> Chrome:
    return sample(Chrome) if lang == "ar" else msgspec.structs.replace(sample(Chrome), lang="en", dir="ltr")


def test_every_page_template_is_registered() -> None:
    """A full page (not a partial ``_x.html``, not ``base.html``) has a typed context."""
    pages = {
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if not p.name.startswith("_") and p.name != "base.html" and p.parent.name != "forms"
    }
    missing = sorted(pages - set(PAGES))
    assert not missing, f"templates without a registered context (@page_context): {missing}"


class FakeRequest:
    """What Litestar's ``csrf_token()`` reads: the request's scope."""

    scope: dict[str, Any] = {}  # noqa: RUF012


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("template", sorted(PAGES), ids=sorted(PAGES))
def test_each_template_renders_from_its_typed_context(
    env: jinja2.Environment, template: str, lang: str
) -> None:
    page = sample(PAGES[template])
    context = {"page": page, "chrome": chrome(lang), "t": partial(t, lang=lang), "lang": lang}
    # what Litestar adds to every template's context
    csrf = Markup('<input type="hidden" name="_csrf_token" value="token">')
    html = env.get_template(template).render(**context, request=FakeRequest(), csrf_input=csrf)
    assert html.strip()


def test_a_missing_field_fails(env: jinja2.Environment) -> None:
    """The check itself: a template reading a field its context lacks raises."""
    template = env.from_string("{{ page.no_such_field }}")
    with pytest.raises(jinja2.UndefinedError):
        template.render(page=sample(PAGES["login.html"]))
