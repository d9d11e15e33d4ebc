"""Templates are checked against the code: every interface text they use exists in both languages.
(That every ``page.X`` a template reads is a field of its typed context is checked for every
registered template by ``tests/test_template_contexts.py``, which renders each one strictly.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.i18n import MESSAGES

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_message_has_both_languages() -> None:
    for key, text in MESSAGES.items():
        assert text.ar.strip() and text.en.strip(), key
        assert text.ar != text.en or key == "switch_language", key


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_every_text_a_template_uses_exists(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for key in re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", source):
        assert key in MESSAGES, f"{path.name} uses t({key!r}), which server/i18n.py does not define"
