"""The form builder's page and its operations (issue 13): the fields as a list, an editor for one
field, the form previewed in both languages (the real renderer) and each error beside its field.

Every operation reads the service's current files (its draft, else its latest version), changes the
form document with :mod:`server.admin.form_builder` and saves the draft — the same draft the JSON view
edits and publishing checks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
import msgspec
from markupsafe import Markup

from server.admin import builder_draft, drafts, form_builder
from server.admin.builder_draft import Draft
from server.admin.builder_edits import KINDS, NAME, FieldEdit, field_edit
from server.admin.draft_page import service_doc
from server.admin.form_builder import CONTAINERS, TRIGGER_KINDS, BuildRefused, FieldRow
from server.admin.form_editor_view import FieldEditor, options, posted_value, title_of
from server.admin.form_editor_view import editor as editor_view
from server.admin.form_examples import in_step
from server.directory.outcome import Outcome, again, not_found, refused
from server.i18n import t
from server.runtime import Runtime
from server.store.records import User

KIND_KEYS = {kind: f"builder_kind_{kind}" for kind in (*KINDS, "other")}
MAX_LOOKUP_CHOICES = 200

log = logging.getLogger(__name__)


class RowView(msgspec.Struct, frozen=True):
    path: str
    name: str
    container: str
    kind: str
    title: str
    required: bool
    condition: str
    errors: list[str]
    first: bool
    last: bool


class FormBuilderPage(msgspec.Struct, frozen=True):
    service_id: str
    ok: bool
    """The form file parses (else the JSON view is where to mend it)."""
    rows: list[RowView]
    containers: list[tuple[str, str]]
    kinds: list[tuple[str, str]]
    editor: FieldEditor | None
    previews: list[tuple[str, Markup]]
    form_errors: list[str]
    other_errors: list[str]
    refusal: str = ""
    title: dict[str, str] | None = None
    """The form's own title (``ar``, ``en``)."""
    form_id: str = ""
    """The form file edited when it is not the service's own form (an action form), else empty."""
    forms: list[tuple[str, str]] | None = None
    """The draft's form files (query value, label): the service's form first, then the action forms."""


def _condition_text(doc: dict[str, Any], row: FieldRow, lang: str) -> str:
    if row.condition is None:
        return ""
    trigger = form_builder.find(
        doc, f"{row.container}.{row.condition.field}" if row.container else row.condition.field
    )
    labels = dict(options(trigger, lang)) if trigger else {}
    values = "، ".join(labels.get(posted_value(v), posted_value(v)) for v in row.condition.values)
    name = title_of(trigger.schema, lang, row.condition.field) if trigger else row.condition.field
    return t("builder_shown_when", lang).format(field=name, values=values)


def _item_of(rows: Sequence[FieldRow]) -> Any:
    paths = {r.path for r in rows}

    def item(pointer: str) -> str:
        parts = builder_draft.pointer_parts(pointer)
        names = [parts[i + 1] for i, p in enumerate(parts[:-1]) if p == "properties"]
        if len(names) >= 2 and f"{names[0]}.{names[1]}" in paths:
            return f"{names[0]}.{names[1]}"
        return names[0] if names and names[0] in paths else ""

    return item


def build_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    draft: Draft,
    *,
    editing: str = "",
    adding: tuple[str, str] | None = None,
    posted: Mapping[str, Sequence[str]] | None = None,
    errors: Mapping[str, str] | None = None,
    refusal: str = "",
) -> FormBuilderPage:
    """The page; a form of a shape the builder cannot read is shown as one to mend in the JSON view."""
    try:
        return _build_page(
            runtime,
            env,
            lang,
            draft,
            editing=editing,
            adding=adding,
            posted=posted,
            errors=errors,
            refusal=refusal,
        )
    except builder_draft.SHAPE_ERRORS:
        log.info("the form of %s has a shape the builder cannot read", draft.service_id, exc_info=True)
        draft.form = None
        return _build_page(runtime, env, lang, draft, refusal=refusal)


def _build_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    draft: Draft,
    *,
    editing: str = "",
    adding: tuple[str, str] | None = None,
    posted: Mapping[str, Sequence[str]] | None = None,
    errors: Mapping[str, str] | None = None,
    refusal: str = "",
) -> FormBuilderPage:
    doc = draft.form
    kinds = [(k, t(KIND_KEYS[k], lang)) for k in KINDS]
    result = builder_draft.checked(runtime, env, draft)
    if doc is None:
        placed = builder_draft.place(result, draft.form_path, lambda _p: "", lang)
        return FormBuilderPage(draft.service_id, False, [], [], kinds, None, [], placed.file, placed.other)
    all_rows = form_builder.rows(doc)
    placed = builder_draft.place(result, draft.form_path, _item_of(all_rows), lang)
    views = []
    for row in all_rows:
        siblings = [r.path for r in all_rows if r.container == row.container]
        views.append(
            RowView(
                path=row.path,
                name=row.name,
                container=row.container,
                kind=t(KIND_KEYS.get(row.kind, "builder_kind_other"), lang),
                title=title_of(row.schema, lang, row.name),
                required=row.required,
                condition=_condition_text(doc, row, lang),
                errors=placed.of(row.path),
                first=siblings[0] == row.path,
                last=siblings[-1] == row.path,
            )
        )
    containers = [("", t("builder_the_form", lang))] + [
        (r.path, title_of(r.schema, lang, r.name))
        for r in all_rows
        if not r.container and r.kind in CONTAINERS
    ]
    editor = None
    found = form_builder.find(doc, editing) if editing else None
    if found is not None:
        kind = (posted or {}).get("kind", [""])[0] if posted else found.kind
        editor = editor_view(
            runtime,
            doc,
            all_rows,
            lang,
            path=editing,
            container="",
            kind=kind or "short_text",
            posted=posted,
            errors=errors or {},
        )
    elif adding is not None and adding[0] in KINDS:
        editor = editor_view(
            runtime,
            doc,
            all_rows,
            lang,
            path="",
            container=adding[1],
            kind=adding[0],
            posted=posted,
            errors=errors or {},
        )
    return FormBuilderPage(
        service_id=draft.service_id,
        ok=True,
        rows=views,
        containers=containers,
        kinds=kinds,
        editor=editor,
        previews=result.previews,
        form_errors=placed.file,
        other_errors=placed.other,
        refusal=refusal,
        title={lang: _text_of(doc.get("x-title"), lang) for lang in ("ar", "en")},
        form_id=_other_form(draft),
        forms=_form_files(draft, lang),
    )


def _other_form(draft: Draft) -> str:
    """The edited form's id when it is an action form (``?file=``), else empty."""
    own = service_doc(draft.service_id, draft.files).get("form")
    return "" if draft.form_id == own else draft.form_id


def _form_files(draft: Draft, lang: str) -> list[tuple[str, str]]:
    own = service_doc(draft.service_id, draft.files).get("form")
    return [("", t("builder_service_form", lang))] + [(f, f) for f in draft.forms() if f != own]


def _text_of(text: Any, lang: str) -> str:
    return str(text.get(lang, "")) if isinstance(text, Mapping) else ""


async def form_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    *,
    editing: str = "",
    kind: str = "",
    into: str = "",
    form: str = "",
) -> FormBuilderPage | None:
    draft = await builder_draft.load(runtime, service_id, form)
    if draft is None:
        return None
    return build_page(runtime, env, lang, draft, editing=editing, adding=(kind, into) if kind else None)


async def _lookup_choices(runtime: Runtime, table: str, lang: str) -> list[tuple[str, str, str]]:
    """A lookup table's rows as choices: its key, and its ``name_ar``/``name_en`` columns if it has them."""
    spec = runtime.org.lookups.get(table)
    if spec is None:
        return []
    rows = await runtime.store.list_lookup_table(table, limit=MAX_LOOKUP_CHOICES)
    out = []
    for row in rows:
        key = str(row.get(spec.key, ""))
        out.append((key, str(row.get("name_ar") or key), str(row.get("name_en") or key)))
    return out


def _trigger_kinds(doc: dict[str, Any]) -> dict[str, str]:
    return {r.name: r.kind for r in form_builder.rows(doc) if r.kind in TRIGGER_KINDS}


def _read_edit(values: Mapping[str, Sequence[str]], doc: dict[str, Any]) -> FieldEdit:
    picks = [v.partition("=") for v in values.get("condition") or [] if "=" in v]
    fields = {name for name, _, _ in picks}
    merged = dict(values)
    merged["condition_field"] = (
        [next(iter(fields))] if len(fields) == 1 else ([""] if not fields else ["\x00"])
    )
    merged["condition_values"] = [value for _, _, value in picks]
    return field_edit(merged, _trigger_kinds(doc))


def _first(values: Mapping[str, Sequence[str]], name: str) -> str:
    return (values.get(name) or [""])[0]


async def _with_lookup(
    runtime: Runtime, values: Mapping[str, Sequence[str]], lang: str
) -> Mapping[str, Sequence[str]]:
    """The posted editor with its choices copied from the lookup table it names, if any."""
    table = _first(values, "lookup")
    if not table:
        return values
    lookup = await _lookup_choices(runtime, table, lang)
    return {
        **values,
        "choice_value": [v for v, _, _ in lookup],
        "choice_ar": [a for _, a, _ in lookup],
        "choice_en": [e for _, _, e in lookup],
    }


def _apply(
    doc: dict[str, Any], operation: str, path: str, values: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """The operation on the form, its examples kept in step (:mod:`server.admin.form_examples`)."""
    if operation == "add":
        return in_step(form_builder.add_field(doc, _first(values, "container"), _read_edit(values, doc)))
    if operation == "edit":
        where = path.rpartition(".")[0]
        name = _first(values, "name")
        changed = form_builder.update_field(doc, path, _read_edit(values, doc))
        return in_step(changed, path, f"{where}.{name}" if where else name)
    if operation == "remove":
        return in_step(form_builder.remove_field(doc, path), path, None)
    if operation in ("up", "down"):
        return form_builder.move_field(doc, path, -1 if operation == "up" else 1)
    if operation == "title":
        return form_builder.set_title(doc, _first(values, "form_title_ar"), _first(values, "form_title_en"))
    return in_step(form_builder.move_into(doc, path, _first(values, "target")), path, None)


OPERATIONS = ("add", "edit", "remove", "up", "down", "move", "title", "preview", "new_form")


def _done(draft: Draft, form_id: str = "") -> str:
    """Where the builder goes next (``/admin/services/{done}``): the form just edited."""
    form_id = form_id or _other_form(draft)
    return f"{draft.service_id}/build/form" + (f"?file={form_id}" if form_id else "")


async def _new_form(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    draft: Draft,
    values: Mapping[str, Sequence[str]],
    by: User,
) -> Outcome[FormBuilderPage]:
    """A new form file in the draft (an action form), opened in the builder."""
    form_id = _first(values, "new_form_id")
    path = f"form_schemas/{form_id}.json"
    key = ""
    if not NAME.match(form_id):
        key = "builder_err_name"
    elif path in draft.files:
        key = "builder_err_name_taken"
    elif len(draft.files) >= drafts.MAX_DRAFT_FILES:
        key = "builder_code_too_many_files"
    elif not (_first(values, "new_form_ar") and _first(values, "new_form_en")):
        key = "builder_err_label_missing"
    if key:
        return refused(build_page(runtime, env, lang, draft, refusal=t(key, lang)))
    document = builder_draft.empty_form(_first(values, "new_form_ar"), _first(values, "new_form_en"))
    await builder_draft.save(runtime, draft, path, document, by)
    return Outcome(done=_done(draft, form_id))


async def change_form(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    operation: str,
    values: Mapping[str, Sequence[str]],
    by: User,
) -> Outcome[FormBuilderPage]:
    """One operation on the form (``add``, ``edit``, ``remove``, ``up``, ``down``, ``move``; the field
    named by ``path``), saved into the draft (``done``: the service id), or the page again with each
    error beside its input. ``preview``: the page with the editor's field applied, nothing saved."""
    draft = await builder_draft.load(runtime, service_id, _first(values, "file"))
    if draft is None or draft.form is None or operation not in OPERATIONS:
        return not_found()
    if operation == "new_form":
        return await _new_form(runtime, env, lang, draft, values, by)
    path = _first(values, "path")
    editing = operation in ("add", "edit", "preview")
    if editing:
        values = await _with_lookup(runtime, values, lang)
    adding = None if path else (_first(values, "kind"), _first(values, "container"))
    if operation == "preview":
        try:
            draft.form = _apply(draft.form, "edit" if path else "add", path, values)
            draft.files[draft.form_path] = drafts.dumps(draft.form)
            if path and form_builder.find(draft.form, path) is None:  # renamed: edit it by its new name
                where, _, _ = path.rpartition(".")
                path = f"{where}.{_first(values, 'name')}" if where else _first(values, "name")
        except (BuildRefused, *builder_draft.SHAPE_ERRORS):
            pass  # the preview shows the form as saved until the field can be applied
        return again(build_page(runtime, env, lang, draft, editing=path, adding=adding, posted=values))
    try:
        doc = _apply(draft.form, operation, path, values)
    except builder_draft.SHAPE_ERRORS:
        return refused(build_page(runtime, env, lang, draft, refusal=t("builder_fix_json_first", lang)))
    except BuildRefused as refusal:
        if not editing:  # a list operation: the message above the list
            key = next(iter(refusal.errors.values()))
            return refused(build_page(runtime, env, lang, draft, refusal=t(key, lang)))
        page = build_page(
            runtime, env, lang, draft, editing=path, adding=adding, posted=values, errors=refusal.errors
        )
        return refused(page)
    await builder_draft.save(runtime, draft, draft.form_path, doc, by)
    return Outcome(done=_done(draft))
