"""What both builders share: the draft's form and workflow documents, saving a changed one back into
the draft (the JSON view shows the same files), and the draft's check with each loader error
placed beside the thing it concerns, in the page's language.

The loader's errors carry a code (``server/definitions/errors.py``, listed in docs/definitions.md);
the builders show ``builder_code_<code>`` from ``server/i18n/builder.py`` — never the English
message — and a code added later reads as the generic ``builder_code_other`` until it gets its words.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2
import msgspec

from server.admin import drafts
from server.admin.draft_page import CheckResult, check, current_files, service_doc
from server.definitions.errors import DefinitionError
from server.i18n import MESSAGES, t
from server.runtime import Runtime
from server.store.records import User

SHAPE_ERRORS = (TypeError, AttributeError, KeyError, ValueError, IndexError, RecursionError)
"""What reading a document of an unexpected shape raises (the JSON view saves any draft as typed: a
``properties`` that is a list, a state that is a string …); the builders then send the administrator to
the JSON view, never a 500."""


def code_message(code: str, lang: str) -> str:
    key = f"builder_code_{code}"
    return t(key if key in MESSAGES else "builder_code_other", lang)


def error_messages(errors: Mapping[str, str], lang: str) -> dict[str, str]:
    """input name → the message of its error key, in ``lang``."""
    return {name: t(key, lang) for name, key in errors.items()}


class Draft(msgspec.Struct):
    """A service's current files (its draft, else its latest version) and the paths of its form and
    workflow; ``form``/``workflow`` are the parsed documents, None when the file does not parse."""

    service_id: str
    files: dict[str, str]
    form_path: str
    workflow_path: str
    form: dict[str, Any] | None
    workflow: dict[str, Any] | None

    def forms(self) -> list[str]:
        """The ids of the draft's form files (the action forms one may pick)."""
        return sorted(
            p.removeprefix("form_schemas/").removesuffix(".json")
            for p in self.files
            if p.startswith("form_schemas/")
        )

    @property
    def form_id(self) -> str:
        return self.form_path.removeprefix("form_schemas/").removesuffix(".json")

    def form_document(self, form_id: str) -> dict[str, Any] | None:
        return _parse(self.files.get(f"form_schemas/{form_id}.json"))


def _parse(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


async def load(runtime: Runtime, service_id: str, form: str = "") -> Draft | None:
    """The service's draft; ``form`` names another form file of the draft (an action form) to edit
    instead of the service's own — None when the draft has no such file."""
    files = await current_files(runtime, service_id)
    if files is None:
        return None
    doc = service_doc(service_id, files)
    form_id, workflow_id = doc.get("form"), doc.get("workflow")
    if form:
        if f"form_schemas/{form}.json" not in files:
            return None
        form_id = form
    form_path = f"form_schemas/{form_id}.json" if isinstance(form_id, str) else ""
    workflow_path = f"workflows/{workflow_id}.json" if isinstance(workflow_id, str) else ""
    return Draft(
        service_id=service_id,
        files=files,
        form_path=form_path,
        workflow_path=workflow_path,
        form=_parse(files.get(form_path)),
        workflow=_parse(files.get(workflow_path)),
    )


def empty_form(ar: str, en: str) -> dict[str, Any]:
    """A new form file: a title and no field yet."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "x-title": {"ar": ar, "en": en},
        "properties": {},
    }


async def save(runtime: Runtime, draft: Draft, path: str, document: dict[str, Any], by: User) -> None:
    """The changed document into the draft, written as the JSON view shows it."""
    draft.files[path] = drafts.dumps(document)
    await runtime.store.save_draft(draft.service_id, draft.files, by=by.id, now=dt.datetime.now(dt.UTC))


class Placed(msgspec.Struct):
    """The draft's errors, localized: beside an item (its key), of the edited file, of anything else."""

    by_item: dict[str, list[str]] = msgspec.field(default_factory=dict)
    file: list[str] = msgspec.field(default_factory=list)
    other: list[str] = msgspec.field(default_factory=list)

    def of(self, key: str) -> list[str]:
        return self.by_item.get(key, [])


def place(
    result: CheckResult, path: str, item_of: Any, lang: str, others: Iterable[DefinitionError] = ()
) -> Placed:
    """Each error of ``path`` beside the item ``item_of(pointer)`` names (``""``: the file itself);
    every other error in ``other`` with the file it concerns."""
    placed = Placed()
    for error in result.by_file.get(path, []):
        message = code_message(error.code, lang)
        key = item_of(error.pointer)
        if key:
            placed.by_item.setdefault(key, []).append(message)
        else:
            placed.file.append(message)
    rest = [*result.general, *(e for p, es in result.by_file.items() if p != path for e in es), *others]
    for error in rest:
        placed.other.append(
            f"{error.file}: {code_message(error.code, lang)}"
            if error.file
            else code_message(error.code, lang)
        )
    return placed


def checked(runtime: Runtime, env: jinja2.Environment, draft: Draft) -> CheckResult:
    """The draft checked as the JSON view checks it (with its previews and diagrams)."""
    return check(runtime, env, draft.service_id, draft.files)


def pointer_parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
