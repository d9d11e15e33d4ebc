"""Loading a definitions tree: files → JSON → meta-schemas → Structs → cross-references → catalogue.

Every error of every file is collected (file + JSON pointer + message); a tree with any error
yields no catalogue. Warnings (a label in one language only) are collected beside them and refuse
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from server.definitions import bounds, check_cache, dialect, forms, metaschema
from server.definitions.catalogue import Catalogue
from server.definitions.crossref import ORGANISATION_FILE, Tree, check_tree
from server.definitions.errors import DefinitionError, ErrorSink
from server.definitions.jsonfile import JSONFileError, parse
from server.definitions.model import Form, Organisation, Service, Text, Workflow
from server.definitions.reports import check_reports
from server.validation import apply_defaults, submission_problem, validate

DIRECTORIES = ("service_definitions", "form_schemas", "workflows")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_FILE_BYTES = 1_000_000


class LoadResult(msgspec.Struct):
    catalogue: Catalogue | None
    errors: list[DefinitionError] = msgspec.field(default_factory=list)
    warnings: list[DefinitionError] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.catalogue is not None and not self.errors


def _parse(relative: str, text: str, sink: ErrorSink) -> Any:
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_FILE_BYTES:
        sink.add(relative, "", f"the file is larger than {MAX_FILE_BYTES} bytes", "too_large")
        return None
    if check_cache.passed("json", encoded):  # this very text had no duplicate keys and was not too deep
        return json.loads(text)
    try:
        value, duplicates = parse(text)
    except JSONFileError as exc:
        sink.add(relative, "", exc.message, exc.code)
        return None
    for ptr, message in duplicates:
        sink.add(relative, ptr, message, "duplicate_id")
    if duplicates:
        return None
    check_cache.remember("json", encoded)
    return value


def read_sources(root: Path | str, sink: ErrorSink | None = None) -> dict[str, str]:
    """The text of every definition file under ``root``, by path relative to it."""
    root = Path(root)
    sink = sink if sink is not None else ErrorSink()
    sources: dict[str, str] = {}
    for directory in DIRECTORIES:
        folder = root / directory
        if not folder.is_dir():
            sink.add(directory, "", f"the tree has no {directory}/ directory", "missing_directory")
            continue
        for path in sorted(folder.glob("*.json")):
            relative = f"{directory}/{path.name}"
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    sink.add(relative, "", f"the file is larger than {MAX_FILE_BYTES} bytes", "too_large")
                    continue
                sources[relative] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                sink.add(relative, "", "the file is not UTF-8 text", "json_syntax")
            except OSError as exc:
                sink.add(relative, "", f"cannot read the file: {exc.strerror}", "unreadable")
    return sources


def _validate(kind: metaschema.Kind, relative: str, document: Any, sink: ErrorSink) -> bool:
    if check_cache.passed(kind, document):  # the same document passed these same checks before
        return True
    before, warned = len(sink.errors), len(sink.warnings)
    if kind == "form":
        for ptr, message in bounds.pattern_problems(document):
            sink.add(relative, ptr, message, "unsafe_pattern")
        for ptr, message in metaschema.json_schema_problems(document):
            draft = dialect.draft_of(document)
            sink.add(relative, ptr, f"not valid JSON Schema {draft}: {message}", "invalid_json_schema")
    for ptr, message in metaschema.problems(kind, document):
        sink.add(relative, ptr, message, "schema")
    if kind == "form" and len(sink.errors) == before:
        for ptr, message, code in bounds.expansion_problems(document):
            sink.add(relative, ptr, message, code)
    if kind == "form" and len(sink.errors) == before:
        for ptr, message in forms.label_problems(document):
            sink.add(relative, ptr, message, "missing_label")
        for ptr, message in forms.label_warnings(document):
            sink.warn(relative, ptr, message, "missing_translation")
        for ptr, message in forms.requester_problems(document):
            sink.add(relative, ptr, message, "unknown_field")
    if len(sink.errors) == before and len(sink.warnings) == warned:  # a warned document is checked again,
        check_cache.remember(kind, document)  # so its warnings are shown every time
    return len(sink.errors) == before


def _check_examples(form: Form, relative: str, sink: ErrorSink) -> None:
    """A form's ``examples`` (standard JSON Schema) must be valid submissions of the form."""
    for index, example in enumerate(form.schema.get("examples") or ()):
        data = apply_defaults(form, example) if isinstance(example, dict) else example
        for problem in validate(form, data):
            sink.add(
                relative,
                f"/examples/{index}{problem.path}",
                f"the example is not valid: {problem.message.en}",
                "bad_example",
            )


def _decode(kind: type[Any], relative: str, document: Any, sink: ErrorSink) -> Any:
    try:
        return msgspec.convert(document, kind)
    except msgspec.ValidationError as exc:  # a meta-schema and model.py disagree
        sink.add(relative, "", f"cannot be decoded: {exc}", "schema")
        return None


def _files(sources: Mapping[str, str], directory: str, sink: ErrorSink) -> list[tuple[str, str]]:
    """(id, relative path) of the JSON files of one directory of the tree."""
    found = []
    for relative in sorted(sources):
        folder, _, name = relative.partition("/")
        if folder != directory or "/" in name or not name.endswith(".json"):
            continue
        stem = name.removesuffix(".json")
        if not _ID.match(stem):
            sink.add(
                relative, "", "a file name must be an id: lower-case letters, digits and _", "bad_file_name"
            )
            continue
        found.append((stem, relative))
    return found


def load_tree(root: Path | str) -> LoadResult:
    """Load and check the definitions tree under ``root``."""
    sink = ErrorSink()
    sources = read_sources(root, sink)
    return load_sources(sources, sink, whole=True)


def load_sources(
    sources: Mapping[str, str], sink: ErrorSink | None = None, *, whole: bool = False
) -> LoadResult:
    """Load and check definitions given as file texts by relative path (a tree, a bundle, an upload).
    ``whole``: the sources are a whole tree, so the organisation's reports are checked against every
    service (a bundle holds one service)."""
    sink = sink if sink is not None else ErrorSink()
    for relative in sources:
        if relative.partition("/")[0] not in DIRECTORIES:
            sink.add(
                relative, "", f"not part of a definitions tree ({', '.join(DIRECTORIES)})", "bad_file_name"
            )

    organisation: Organisation | None = None
    if ORGANISATION_FILE in sources:
        doc = _parse(ORGANISATION_FILE, sources[ORGANISATION_FILE], sink)
        if doc is not None and _validate("organisation", ORGANISATION_FILE, doc, sink):
            organisation = _decode(Organisation, ORGANISATION_FILE, doc, sink)
    else:
        sink.add(ORGANISATION_FILE, "", "the tree has no organisation file", "missing_file")

    services: dict[str, Service] = {}
    for file_id, relative in _files(sources, "service_definitions", sink):
        if relative == ORGANISATION_FILE:
            continue
        doc = _parse(relative, sources[relative], sink)
        if doc is not None and _validate("service", relative, doc, sink):
            decoded = _decode(Service, relative, doc, sink)
            if decoded is not None:
                services[file_id] = decoded

    form_defs: dict[str, Form] = {}
    broken_forms: set[str] = set()
    for file_id, relative in _files(sources, "form_schemas", sink):
        doc = _parse(relative, sources[relative], sink)
        if doc is not None and _validate("form", relative, doc, sink):
            title = forms.form_title(doc, Text(ar=file_id, en=file_id))
            form = Form(id=file_id, title=title, schema=doc)
            problem = submission_problem(form)
            if problem is None:
                _check_examples(form, relative, sink)
            else:
                sink.add(relative, "", f"the form cannot check submissions: {problem}", "uncompilable_form")
            form_defs[file_id] = form
        else:
            broken_forms.add(file_id)

    workflows: dict[str, Workflow] = {}
    broken_workflows: set[str] = set()
    for file_id, relative in _files(sources, "workflows", sink):
        doc = _parse(relative, sources[relative], sink)
        decoded = None
        if doc is not None and _validate("workflow", relative, doc, sink):
            decoded = _decode(Workflow, relative, doc, sink)
        if decoded is None:
            broken_workflows.add(file_id)
        else:
            workflows[file_id] = decoded

    tree = Tree(
        organisation=organisation,
        services=services,
        forms=form_defs,
        workflows=workflows,
        broken_forms=frozenset(broken_forms),
        broken_workflows=frozenset(broken_workflows),
    )
    compiled = check_tree(tree, sink)
    if organisation is not None:
        check_reports(organisation, compiled, sink, whole=whole)
    if sink.errors or organisation is None:
        return LoadResult(catalogue=None, errors=sink.errors, warnings=sink.warnings)
    catalogue = Catalogue(
        organisation=organisation,
        services=dict(sorted(compiled.items(), key=lambda item: (item[1].service.order, item[0]))),
        forms=form_defs,
        workflows=workflows,
        sources=dict(sources),
    )
    return LoadResult(catalogue=catalogue, errors=[], warnings=sink.warnings)


def summary(catalogue: Catalogue) -> list[str]:
    """One line per service: id, version-independent facts a reader checks at a glance."""
    lines = []
    for service_id, compiled in catalogue.services.items():
        wf = compiled.workflow
        closed = sum(1 for s in wf.states.values() if s.category == "closed")
        lines.append(
            f"ok  {service_id:<14} {compiled.service.name.en} — department {compiled.service.department}, "
            f"form {compiled.form.id} ({len(forms.fields(compiled.form.schema))} fields), workflow {wf.id} "
            f"({len(wf.states)} states, {closed} closed, {len(wf.actions)} actions, {len(wf.guards)} guards, "
            f"{len(wf.notifications)} notifications)"
        )
    return lines
