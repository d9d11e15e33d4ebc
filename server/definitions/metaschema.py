"""The meta-schemas shipped in ``metaschemas/``: one per definition kind, plus shared shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from server.definitions.dialect import Draft, draft_of
from server.definitions.errors import pointer_from_path

if TYPE_CHECKING:
    import jsonschema
    import referencing
    from jsonschema.exceptions import ValidationError

Kind = Literal["organisation", "service", "form", "workflow"]
KINDS: tuple[Kind, ...] = ("organisation", "service", "form", "workflow")
DIRECTORY = Path(__file__).parent / "metaschemas"


@cache
def documents() -> dict[str, dict[str, Any]]:
    """Every meta-schema document by file stem (``common``, ``service`` …)."""
    return {
        p.stem.removesuffix(".schema"): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(DIRECTORY.glob("*.schema.json"))
    }


@cache
def registry() -> referencing.Registry[Any]:
    import referencing
    from referencing.jsonschema import DRAFT202012

    resources = [(doc["$id"], DRAFT202012.create_resource(doc)) for doc in documents().values()]
    return referencing.Registry().with_resources(resources)


@cache
def validator(kind: Kind) -> jsonschema.Draft202012Validator:
    """The meta-schema validator of ``kind``. jsonschema is imported here, on the first check, not with
    the module: with it come the format libraries it finds installed (a third of a second of a
    server's start-up, where every document passed its checks before and the check cache says so)."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        documents()[kind],
        registry=registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def _specific(error: ValidationError) -> ValidationError:
    """For ``oneOf``/``anyOf`` failures, the most relevant error among the branches."""
    from jsonschema.exceptions import best_match

    if error.context:
        deeper = best_match(error.context)
        if deeper is not None:
            return _specific(deeper)
    return error


def problems(kind: Kind, document: Any) -> Iterator[tuple[str, str]]:
    """(pointer, message) for each way ``document`` breaks the meta-schema of ``kind``."""
    for error in validator(kind).iter_errors(document):
        specific = _specific(error)
        yield pointer_from_path(specific.absolute_path), specific.message


@cache
def _json_schema_validator(draft: Draft) -> jsonschema.Draft7Validator | jsonschema.Draft202012Validator:
    # The official meta-schema checks ``pattern`` with the ``regex`` format, i.e. Python's re.compile,
    # which overflows the stack on ``"(" * 500``; patterns are checked by server.definitions.bounds
    # on the engine that runs them instead.
    import jsonschema

    cls = jsonschema.Draft7Validator if draft == "draft-07" else jsonschema.Draft202012Validator
    checker = cls.FORMAT_CHECKER
    formats = [name for name in checker.checkers if name != "regex"]
    return cls(cls.META_SCHEMA, format_checker=jsonschema.FormatChecker(formats))


def json_schema_problems(document: Any) -> Iterator[tuple[str, str]]:
    """(pointer, message) for each way ``document`` breaks the official meta-schema of its draft,
    2020-12 or draft-07 (patterns aside: see :mod:`server.definitions.bounds`)."""
    meta = _json_schema_validator(draft_of(document))
    for error in meta.iter_errors(document):
        specific = _specific(error)
        yield pointer_from_path(specific.absolute_path), specific.message
