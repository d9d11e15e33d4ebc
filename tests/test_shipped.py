"""The shipped tree: the nine services of the seed guide load without error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from server.definitions.loader import LoadResult, load_tree
from server.paths import shipped_root

SERVICES = [
    "inquiries",
    "supplies",
    "maintenance",
    "transmission",
    "phone",
    "email",
    "clearance",
    "tawasul",
    "whatsapp",
]


@pytest.fixture(scope="module")
def result() -> LoadResult:
    return load_tree(shipped_root())


def test_shipped_tree_has_no_errors(result: LoadResult) -> None:
    assert [str(e) for e in result.errors] == []
    assert result.catalogue is not None
    assert sorted(result.catalogue.services) == sorted(SERVICES)


@pytest.mark.parametrize(
    "path", sorted((shipped_root() / "form_schemas").glob("*.json")), ids=lambda p: p.stem
)
def test_every_shipped_form_is_plain_json_schema_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_khidma_check_prints_one_line_per_service() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "server", "check"], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == len(SERVICES) + 1
    for service_id in SERVICES:
        assert sum(line.split()[1] == service_id for line in lines[:-1]) == 1
    assert lines[-1] == f"{len(SERVICES)} services, no errors"


def test_khidma_check_fails_on_a_broken_tree(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "server", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1
    assert (
        "service_definitions/organisation.json#: the tree has no organisation file [missing_file]"
        in out.stderr
    )
