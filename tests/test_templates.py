"""Templates are checked against the code: every interface text they use exists in both languages,
and every ``page.X`` they read is a field of their typed page context."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from server.i18n import MESSAGES
from server.web import pages
from server.web.tracking import TrackView

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CONTEXTS = {
    "catalogue.html": pages.CataloguePage,
    "service.html": pages.ServicePage,
    "apply.html": pages.ApplyPage,
    "track.html": pages.TrackPage,
    "track_lookup.html": pages.TrackLookupPage,
    "survey.html": pages.SurveyPage,
}


def test_every_message_has_both_languages() -> None:
    for key, text in MESSAGES.items():
        assert text.ar.strip() and text.en.strip(), key
        assert text.ar != text.en or key == "switch_language", key


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_every_text_a_template_uses_exists(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for key in re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", source):
        assert key in MESSAGES, f"{path.name} uses t({key!r}), which server/i18n.py does not define"


@pytest.mark.parametrize(("template", "context"), sorted(CONTEXTS.items()), ids=sorted(CONTEXTS))
def test_pages_read_only_fields_of_their_context(template: str, context: type) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    fields = {f.name for f in dataclasses.fields(context)}
    for name in set(re.findall(r"\bpage\.([a-z_]+)", source)):
        assert name in fields, f"{template} reads page.{name}, which {context.__name__} does not have"
    if context is pages.TrackPage:
        view_fields = set(TrackView.__struct_fields__)
        for name in set(re.findall(r"\bv\.([a-z_]+)", source)):
            assert name in view_fields, f"track.html reads v.{name}, which TrackView does not have"
