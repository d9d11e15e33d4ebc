"""Start-up caches by content hash. Compiled templates (server/definitions/template_cache.py): a
template read back from the cache renders and refers exactly as one compiled afresh; a refused template
is never cached; a damaged cache file is a miss. Checked documents (server/definitions/check_cache.py):
a tree loads the same from the cache; a document with problems reports them every time, and a changed
document is checked again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.definitions import check_cache, template_cache
from server.definitions.loader import load_tree
from server.definitions.sandbox import Namespace
from server.definitions.texts import TemplateProblem, compile_template
from tests.definition_trees import minimal_files, write_tree

SOURCE = (
    "{{ ticket.number }}: {% for x in data.items %}{{ x }},{% endfor %} {{ survey_url }} {{ vars.level }}"
)
CONTEXT = {
    "ticket": {"number": "2026-000001"},
    "data": Namespace({"items": ["a", "b"]}),
    "vars": Namespace({"level": 2}),
    "survey_url": "https://x/s",
}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KHIDMA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(template_cache, "_memory", {})
    monkeypatch.setattr(check_cache, "_passed", set())
    return tmp_path / "cache" / "templates"


def test_a_cached_template_is_the_same_template(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh, fresh_refs = compile_template(SOURCE)
    assert len(list(cache_dir.rglob("*"))) == 2  # one folder, one file
    monkeypatch.setattr(template_cache, "_memory", {})  # a new process: from disk
    cached, cached_refs = compile_template(SOURCE)
    assert cached is not fresh
    assert cached_refs == fresh_refs
    assert cached_refs.survey and cached_refs.data == frozenset({"items"})
    assert cached.render(CONTEXT) == fresh.render(CONTEXT) == "2026-000001: a,b, https://x/s 2"


def test_a_refused_template_is_not_cached(cache_dir: Path) -> None:
    with pytest.raises(TemplateProblem):
        compile_template("{{ ticket.__class__ }}")
    assert not cache_dir.exists() or not any(cache_dir.rglob("*[!/]"))
    with pytest.raises(TemplateProblem):
        compile_template("{{ ticket.__class__ }}")


def test_a_damaged_cache_file_is_a_miss(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compile_template(SOURCE)
    (file,) = [p for p in cache_dir.rglob("*") if p.is_file()]
    file.write_bytes(b"not marshal")
    monkeypatch.setattr(template_cache, "_memory", {})
    template, _ = compile_template(SOURCE)
    assert template.render(CONTEXT).startswith("2026-000001")


def _errors(root: Path) -> list[tuple[str, str]]:
    return [(e.file, e.code) for e in load_tree(root).errors]


def test_checked_documents_are_remembered_and_problems_are_not(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "tree", minimal_files())
    fresh = load_tree(root)
    assert fresh.catalogue is not None and not fresh.errors
    checked = cache_dir.parent / "checked"
    # one per document, one per file's text (its syntax), one for the service's template uses
    assert len(list(checked.iterdir())) == 5 + 5 + 1
    monkeypatch.setattr(check_cache, "_passed", set())  # a new process: from disk
    again = load_tree(root)
    assert again.catalogue is not None and not again.errors
    assert again.catalogue.services.keys() == fresh.catalogue.services.keys()

    files = minimal_files()
    files["form_schemas/request.json"]["properties"]["employee_id"]["maxLength"] = "long"  # not a number
    broken = write_tree(tmp_path / "broken", files)
    first = _errors(broken)
    assert first and _errors(broken) == first  # reported every time, never remembered
    assert len(list(checked.iterdir())) == 5 + 5 + 1 + 1  # only the changed file's text: its syntax is fine


def test_a_file_with_a_duplicate_key_is_reported_every_time(cache_dir: Path, tmp_path: Path) -> None:
    """A file's text is remembered only when it parsed cleanly; one with a key twice is parsed the slow
    way, and reported, at every load."""
    files = minimal_files()
    form = json.dumps(files["form_schemas/request.json"], ensure_ascii=False)
    files["form_schemas/request.json"] = form.replace('{"$schema"', '{"type": "object", "$schema"', 1)
    root = write_tree(tmp_path / "tree", files)
    first = _errors(root)
    assert ("form_schemas/request.json", "duplicate_id") in first
    assert _errors(root) == first


def test_template_uses_are_checked_again_when_a_form_they_read_changes(
    cache_dir: Path, tmp_path: Path
) -> None:
    """A service whose templates rendered cleanly is remembered with its form, workflow, organisation and
    action forms: renaming the action-form field a template reads (``action.reply``) is found."""
    good = load_tree(write_tree(tmp_path / "good", minimal_files()))
    assert good.catalogue is not None and not good.errors
    files = minimal_files()
    reply = files["form_schemas/reply.json"]
    reply["properties"]["answer"] = reply["properties"].pop("reply")
    reply["required"] = ["answer", "outcome"]
    changed = load_tree(write_tree(tmp_path / "changed", files))
    assert any(e.code == "unknown_field" and "action.reply" in e.message for e in changed.errors)
