"""Which JSON Schema draft a form is written in, and the validators and reference rules of that draft.

A form names its draft with ``$schema``: JSON Schema 2020-12 (also when ``$schema`` is absent, as the
standard's tools assume) or draft-07 (``http://json-schema.org/draft-07/schema#``), the draft many
form tools still write. A draft-07 form is stored as written and everything reads it by its own
draft: the loader checks it against draft-07's meta-schema, submissions are validated by a draft-07
validator, references are resolved by draft-07's rules (``definitions``, ``$ref`` beside other
keywords ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # referencing and jsonschema are loaded when a check first needs them (a start whose
    # documents all passed before needs neither: server/definitions/check_cache.py)
    import jsonschema
    import referencing

Draft = Literal["2020-12", "draft-07"]
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
BASE_URI = "urn:khidma:form"
"""The base URI a form's references are resolved against when its root has no ``$id``."""


def draft_of(schema: Any) -> Draft:
    """The draft of a form: draft-07 when its ``$schema`` says so, else 2020-12."""
    dialect = schema.get("$schema") if isinstance(schema, Mapping) else None
    if isinstance(dialect, str) and "draft-07" in dialect:
        return "draft-07"
    return "2020-12"


def specification(schema: Any) -> referencing.Specification[Any]:
    """How ``referencing`` reads the form's ``$id``, anchors and subschemas."""
    import referencing.jsonschema

    if draft_of(schema) == "draft-07":
        return referencing.jsonschema.DRAFT7
    return referencing.jsonschema.DRAFT202012


def python_validator_class(schema: Any) -> type[jsonschema.Draft7Validator | jsonschema.Draft202012Validator]:
    """The ``jsonschema`` validator class of the form's draft."""
    import jsonschema  # loaded when a check first needs it (see metaschema.py)

    if draft_of(schema) == "draft-07":
        return jsonschema.Draft7Validator
    return jsonschema.Draft202012Validator


def registry(schema: Mapping[str, Any]) -> tuple[referencing.Registry[Any], str]:
    """A registry holding the form and the drafts' own meta-schemas (which a schema may refer to, and
    which every validator knows without fetching them), crawled for the form's embedded ``$id``s and
    anchors; and the URI of the form in it. Nothing else: nothing is ever fetched."""
    resource = specification(schema).create_resource(schema)
    uri = resource.id() or BASE_URI
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]

    return REGISTRY.with_resource(uri, resource).crawl(), uri
