"""Rendering a form view with the macros of ``templates/forms/_fields.html``.

The macros are the partials: :func:`render_form_fields` renders all the fields,
:func:`render_error_summary` the error summary, :func:`render_field` one field and :func:`render_group` one
repeatable group, for HTMX fragments. Every text from a definition is escaped: the templates never
mark it safe, and an environment without autoescaping gets an autoescaping overlay for them.
"""

from __future__ import annotations

import weakref
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from server.forms.fields import FieldView, FormView
from server.paths import shipped_root

TEMPLATE = "forms/_fields.html"

_safe_overlays: weakref.WeakKeyDictionary[jinja2.Environment, jinja2.Environment] = (
    weakref.WeakKeyDictionary()
)


def environment(templates: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment over ``templates/`` with autoescaping (for tests and simple callers)."""
    folder = templates if templates is not None else shipped_root() / "templates"
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def shared_environment() -> jinja2.Environment:
    """One environment over the shipped templates, for services that render form fields into their
    page data (the web layer's pages include the result as markup)."""
    return environment()


def _escaping(env: jinja2.Environment) -> jinja2.Environment:
    setting = env.autoescape
    if setting(TEMPLATE) if callable(setting) else setting:
        return env
    overlay = _safe_overlays.get(env)
    if overlay is None:
        overlay = env.overlay(autoescape=True)
        _safe_overlays[env] = overlay
    return overlay


def _call(env: jinja2.Environment, name: str, *args: Any) -> Markup:
    """Call a macro of the template; with autoescaping on, it returns escaped ``Markup``."""
    result = getattr(_escaping(env).get_template(TEMPLATE).module, name)(*args)
    if not isinstance(result, Markup):
        raise TypeError(f"{TEMPLATE} did not render with autoescaping")
    return result


def render_form_fields(
    view: FormView, env: jinja2.Environment | None = None, *, summary: bool = False
) -> Markup:
    """All the fields of the form, in an element with the id ``view.id``. The error summary belongs at
    the top of the page (GOV.UK), so the page renders it (``view.error_summary``, or
    :func:`render_error_summary`); ``summary=True`` puts it first in the fields instead."""
    return _call(env or shared_environment(), "form_fields", view, summary)


def render_error_summary(view: FormView, env: jinja2.Environment) -> Markup:
    """The error summary alone (empty when there is no error)."""
    return _call(env, "error_summary", view)


def render_field(field: FieldView, env: jinja2.Environment | None = None) -> Markup:
    """One field (any kind, a fieldset or a group with everything inside it)."""
    return _call(env or shared_environment(), "field", field)


def render_group(
    view: FormView | FieldView, env: jinja2.Environment | None = None, pointer: str | None = None
) -> Markup:
    """One repeatable group: ``view`` is the group's field, or the form view and ``pointer`` the
    group's JSON pointer (``/requested_items``). Raises ``KeyError`` if there is no such group."""
    group = view.find(pointer or "") if isinstance(view, FormView) else view
    if group is None or group.kind != "group":
        raise KeyError(pointer)
    return _call(env or shared_environment(), "group", group)
