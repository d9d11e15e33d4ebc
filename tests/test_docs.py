"""Docs are checked against the code: every keyword of every meta-schema, and every CLI command,
has an entry in the docs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.cli import build_parser
from server.definitions import metaschema

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS_DOC = (ROOT / "docs" / "definitions.md").read_text(encoding="utf-8")
# JSON Schema's own keywords used inside our meta-schemas are not definition keywords.
_STRUCTURAL = {"properties", "additionalProperties", "patternProperties"}


def keywords(node: Any) -> Iterator[str]:
    """Every property name a meta-schema declares, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value.keys()
            if key == "propertyNames" and isinstance(value, dict):
                yield from value.get("enum", ())
                yield from value.get("then", {}).get("enum", ())
            yield from keywords(value)
    elif isinstance(node, list):
        for item in node:
            yield from keywords(item)


ALL_KEYWORDS = sorted(
    {(kind, word) for kind, doc in metaschema.documents().items() for word in keywords(doc)}
    - {("form", "$schema")}
)


def documented(word: str) -> bool:
    return re.search(r"`" + re.escape(word) + r"`", DEFINITIONS_DOC) is not None


@pytest.mark.parametrize(("kind", "word"), ALL_KEYWORDS, ids=[f"{k}:{w}" for k, w in ALL_KEYWORDS])
def test_every_metaschema_keyword_is_documented(kind: str, word: str) -> None:
    if word in _STRUCTURAL:
        pytest.skip("JSON Schema structure, not a definition keyword")
    assert documented(word), f"docs/definitions.md has no entry for `{word}` (from {kind}.schema.json)"


def test_keyword_collection_sees_the_x_keywords() -> None:
    words = {w for _, w in ALL_KEYWORDS}
    assert {"x-title", "x-widget", "x-department-member", "head_role", "after_working_hours"} <= words


def test_every_cli_command_is_documented() -> None:
    operation = (ROOT / "docs" / "operation.md").read_text(encoding="utf-8")
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name in subparsers.choices:  # type: ignore[union-attr]
        assert f"khidma {name}" in operation, f"docs/operation.md does not describe `khidma {name}`"


def test_every_error_code_is_documented() -> None:
    from tests.test_loader import CASES

    for _, _, _, code in CASES:
        assert documented(code), f"docs/definitions.md does not list the error code `{code}`"


DOC_FILES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_every_path_the_docs_name_exists(doc: Path) -> None:
    """Docs describe folders and modules that exist (a moved module moves its docs with it), and the
    tests they cite (``tests/x.py::test_y``, as docs/security.md does) exist."""
    text = doc.read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"`((?:server|templates|tests|bench|docs|service_definitions|form_schemas|workflows)/[^`*{}<> ]+)`",
            text,
        )
    )
    placeholders = re.compile(r"/[A-Z]+\.|_shipped")  # `workflows/ID.json`; the wheel's copy of the tree
    missing = []
    for name in sorted(named):
        path, _, test = name.partition("::")
        if placeholders.search(path):
            continue
        if not (ROOT / path.rstrip("/")).exists():
            missing.append(name)
        elif test and f"def {test.split('[')[0]}(" not in (ROOT / path).read_text(encoding="utf-8"):
            missing.append(name)  # a test the docs cite as the proof of something must exist
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def test_every_web_module_is_in_the_architecture() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for module in sorted((ROOT / "server" / "web").glob("*.py")):
        if module.name != "__init__.py":
            assert f"`{module.name}`" in architecture, (
                f"docs/architecture.md does not name server/web/{module.name}"
            )
