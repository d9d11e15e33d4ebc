"""Compiled templates cached by content hash (server/definitions/template_cache.py): a template read
back from the cache renders and refers exactly as one compiled afresh; a refused template is never
cached; a damaged cache file is a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.definitions import template_cache
from server.definitions.sandbox import Namespace
from server.definitions.texts import TemplateProblem, compile_template

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
    monkeypatch.setenv("KHIDMA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(template_cache, "_memory", {})
    return tmp_path / "templates"


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
