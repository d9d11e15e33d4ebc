"""The administration in both languages: every hint and notice from the catalogues, none in English on
an Arabic page."""

from __future__ import annotations

from pathlib import Path

from tests.test_requester_pages import login
from tests.web import client_for, html, texts


def latin(text: str) -> bool:
    return any("a" <= c.lower() <= "z" for c in text)


async def test_the_arabic_service_form_shows_arabic_hints(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"], "directorate")
        for lang in ("ar", "en"):
            page = await client.get("/admin/services/supplies/service", headers={"accept-language": lang})
            hints = [node.text(strip=True) for node in html(page.text).css("main .help, main .kh-hint")]
            assert hints, lang
            english = [h for h in hints if lang == "ar" and latin(h)]
            assert not english, english
            assert not any("An identifier" in h or "A bilingual text" in h for h in hints)


async def test_the_services_notices_are_in_the_pages_language(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"], "directorate")
        ar = await client.get("/admin/services?notice=disabled+v3", headers={"accept-language": "ar"})
        en = await client.get("/admin/services?notice=v4", headers={"accept-language": "en"})
        odd = await client.get("/admin/services?notice=<b>hello</b>", headers={"accept-language": "en"})
    [notice] = texts(ar.text, "#admin-notice")
    assert "عُطّلت" in notice and "3" in notice and not latin(notice)
    assert texts(en.text, "#admin-notice") == ["Version 4 was published"]
    assert texts(odd.text, "#admin-notice") == []
