"""A service's draft as the editor shows it: its files in a sensible order, each with its errors, the
errors of the whole draft, the form previewed in both languages and the workflow drawn.

The check runs on every keystroke (HTMX) and on every page, so a draft that does not even parse is
still shown: what can be checked is, the rest is left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import jinja2
import msgspec
from markupsafe import Markup

from server.admin import drafts
from server.definitions.crossref import ORGANISATION_FILE, service_file
from server.definitions.errors import DefinitionError
from server.definitions.forms import form_title
from server.definitions.model import Form, Text, Workflow
from server.exports.svg import workflow_svg
from server.forms.html import render_form_fields
from server.forms.view import build_form
from server.i18n import t
from server.runtime import Runtime

FILE_FIELD = "file:"
"""The prefix of a posted file's field name (``file:workflows/x.json``)."""


class FileBox(msgspec.Struct, frozen=True):
    path: str
    slug: str
    label: str
    text: str
    errors: list[DefinitionError]


class CheckResult(msgspec.Struct, frozen=True):
    general: list[DefinitionError]
    by_file: dict[str, list[DefinitionError]]
    slugs: dict[str, str]
    previews: list[tuple[str, Markup]]
    """(language, rendered fields) when the form can be shown."""
    diagrams: list[tuple[str, Markup]] = msgspec.field(default_factory=list)
    """(language, SVG) of the draft's workflow, when it decodes: the live diagram of states and actions."""
    warnings: list[DefinitionError] = msgspec.field(default_factory=list)
    """What the draft's readers would miss (a label in one language only); publishing goes ahead."""

    @property
    def ok(self) -> bool:
        return not self.general and not any(self.by_file.values())


class EditPage(msgspec.Struct, frozen=True):
    service_id: str
    files: list[FileBox]
    check: CheckResult
    note: str = ""
    notice: str = ""
    refused: bool = False


def organisation_text(runtime: Runtime) -> str:
    """The organisation file the runtime runs on (the latest published, else the shipped one)."""
    return runtime.organisation_text or runtime.catalogue.sources[ORGANISATION_FILE]


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


async def current_files(runtime: Runtime, service_id: str) -> dict[str, str] | None:
    """The draft's files, else the latest version's, else None (no such service)."""
    draft = await runtime.store.get_draft(service_id)
    if draft is not None:
        return dict(draft.files)
    latest = await runtime.store.latest_definition(service_id)
    return None if latest is None else drafts.draft_files(latest.bundle)


def posted_files(known: Mapping[str, str], values: Mapping[str, list[str]]) -> dict[str, str]:
    """The draft's files with the posted texts (only paths the draft already has)."""
    files = dict(known)
    for key, texts in values.items():
        path = key.removeprefix(FILE_FIELD)
        if key.startswith(FILE_FIELD) and path in known and texts:
            files[path] = texts[0].replace("\r\n", "\n")
    return files


def service_doc(service_id: str, files: Mapping[str, str]) -> dict[str, Any]:
    try:
        document = json.loads(files.get(service_file(service_id), "{}"))
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def _label(path: str, service_id: str, main_form: str | None, workflow: str | None, lang: str) -> str:
    if path == service_file(service_id):
        return t("admin_file_service", lang) + f" — {path}"
    if main_form and path == f"form_schemas/{main_form}.json":
        return t("admin_file_form", lang) + f" — {path}"
    if workflow and path == f"workflows/{workflow}.json":
        return t("admin_file_workflow", lang) + f" — {path}"
    return t("admin_file_action_form", lang) + f" — {path}"


def _preview(env: jinja2.Environment, path: str, text: str) -> list[tuple[str, Markup]]:
    """The form rendered in both languages, when its file loads on its own."""
    try:
        document = json.loads(text)
        form_id = path.removeprefix("form_schemas/").removesuffix(".json")
        title = form_title(document, Text(ar=form_id, en=form_id))
        form = Form(id=form_id, title=title, schema=document)
        return [
            (lang, render_form_fields(build_form(form, data=None, lang=lang, name_prefix="preview"), env))
            for lang in ("ar", "en")
        ]
    except Exception:  # a broken draft: no preview, its errors are shown
        return []


def _diagrams(text: str) -> list[tuple[str, Markup]]:
    """The workflow drawn in both languages (its SVG escapes every label), when the file decodes."""
    try:
        workflow = msgspec.convert(json.loads(text), Workflow)
    except (ValueError, msgspec.ValidationError):
        return []
    return [(lang, Markup(workflow_svg(workflow, lang))) for lang in ("ar", "en")]  # noqa: S704


def check(runtime: Runtime, env: jinja2.Environment, service_id: str, files: dict[str, str]) -> CheckResult:
    checked = drafts.check_all(service_id, files, organisation_text(runtime))
    errors = checked.errors
    by_file: dict[str, list[DefinitionError]] = {path: [] for path in files}
    general = []
    for error in errors:
        if error.file in by_file:
            by_file[error.file].append(error)
        else:
            general.append(error)
    doc = service_doc(service_id, files)
    form_id, workflow_id = doc.get("form"), doc.get("workflow")
    form_path = f"form_schemas/{form_id}.json" if isinstance(form_id, str) else ""
    previews = (
        _preview(env, form_path, files[form_path]) if form_path in files and not by_file[form_path] else []
    )
    workflow_path = f"workflows/{workflow_id}.json" if isinstance(workflow_id, str) else ""
    diagrams = (
        _diagrams(files[workflow_path]) if workflow_path in files and not by_file[workflow_path] else []
    )
    return CheckResult(
        general=general,
        by_file=by_file,
        slugs={p: slug(p) for p in files},
        previews=previews,
        diagrams=diagrams,
        warnings=checked.warnings,
    )


def edit_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    files: dict[str, str],
    *,
    note: str = "",
    notice: str = "",
    refused: bool = False,
) -> EditPage:
    result = check(runtime, env, service_id, files)
    doc = service_doc(service_id, files)
    form_id = doc.get("form") if isinstance(doc.get("form"), str) else None
    workflow_id = doc.get("workflow") if isinstance(doc.get("workflow"), str) else None
    order = sorted(
        files,
        key=lambda p: (
            p != service_file(service_id),
            p != f"form_schemas/{form_id}.json",
            p != f"workflows/{workflow_id}.json",
            p,
        ),
    )
    boxes = [
        FileBox(
            path=path,
            slug=slug(path),
            label=_label(path, service_id, form_id, workflow_id, lang),
            text=files[path],
            errors=result.by_file.get(path, []),
        )
        for path in order
    ]
    return EditPage(
        service_id=service_id, files=boxes, check=result, note=note, notice=notice, refused=refused
    )
