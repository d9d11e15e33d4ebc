"""The security headers (``server/web/security_headers.py``) on pages, API answers, errors and static files;
htmx configured for the CSP; the guide's own policy and single charset."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import AsyncTestClient

from server.app import create_app
from server.web.csrf import CSRF, cookie_header, csrf_config
from server.web.security_headers import CSP
from tests.web import client_for, csrf_of, html, settings_for


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_the_policy_is_strict() -> None:
    found = directives(CSP)
    assert found["script-src"] == "script-src 'self'"
    assert "unsafe" not in CSP
    assert found["frame-ancestors"] == "frame-ancestors 'none'"
    assert found["form-action"] == "form-action 'self'"
    assert found["base-uri"] == "base-uri 'none'"
    assert found["default-src"] == "default-src 'self'"


async def test_every_dynamic_answer_carries_the_headers(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        for path, status in (
            ("/", 200),
            ("/services/inquiries/apply", 200),
            ("/track", 200),
            ("/no/such/page", 404),
            ("/staff/tasks", 303),
            ("/api/services", 200),
            ("/api/me", 401),
            ("/healthz", 200),
        ):
            response = await client.get(path, follow_redirects=False)
            assert response.status_code == status, path
            headers = response.headers
            assert headers["content-security-policy"] == CSP, path
            assert headers["x-frame-options"] == "DENY", path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"] == "same-origin", path
            assert headers["cache-control"] == "no-store", path


async def test_static_files_keep_their_caching(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        response = await client.get("/static/app.css")
        assert response.status_code == 200
        assert "max-age=86400" in response.headers["cache-control"]
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_htmx_is_configured_for_the_policy(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        page = await client.get("/services/inquiries/apply")
    meta = html(page.text).css_first('meta[name="htmx-config"]')
    assert meta is not None
    assert '"includeIndicatorStyles":false' in str(meta.attributes["content"])
    assert not html(page.text).css("script:not([src]), style")  # nothing inline for the CSP to refuse
    css = (Path(__file__).parent.parent / "server" / "static" / "app.css").read_text(encoding="utf-8")
    assert ".htmx-request .htmx-indicator" in css


async def test_the_guide_is_html_with_one_charset_and_its_own_policy(tmp_path: Path) -> None:
    from tests.test_hostile_http import staff_token

    async with client_for(tmp_path) as client:
        token = await staff_token(client, "auditor")
        response = await client.get("/api/export/guide", headers={"authorization": f"Bearer {token}"})
        schema = (await client.get("/schema/openapi.json")).json()
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "style-src 'unsafe-inline'" in response.headers["content-security-policy"]
    assert "script" not in response.headers["content-security-policy"]
    guide = schema["paths"]["/api/export/guide"]["get"]
    assert list(guide["responses"]["200"]["content"]) == ["text/html"]
    assert guide["security"] == [{"bearer": []}]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_the_csrf_cookie_is_the_one_litestar_writes(tmp_path: Path) -> None:
    """``server/web/csrf.py`` writes the CSRF cookie from a template: the same header, byte for byte, as
    Litestar's ``Cookie`` makes for the same token, given to a visitor without one and only to them; the
    check itself is Litestar's (a post without the token is refused, with it goes through)."""
    settings = settings_for(tmp_path, secure_cookies=True)
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:  # Secure: https
        first = await client.get("/services/inquiries/apply")
        [header] = first.headers.get_list("set-cookie")
        token = client.cookies["csrftoken"]
        assert header == cookie_header(csrf_config(settings), token)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=lax" in header
        assert csrf_of(first.text) == token
        again = await client.get("/services/inquiries/apply")  # the cookie sent: none set again
        assert "csrftoken" not in " ".join(again.headers.get_list("set-cookie"))
        refused = await client.post("/logout", data={}, follow_redirects=False)
        assert refused.status_code == 403
        passed = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
        assert passed.status_code == 303
    # a token outside [0-9A-Za-z] (never Litestar's) is written by Litestar's own code
    middleware = CSRF(app, csrf_config(settings))
    message: dict[str, object] = {"type": "http.response.start", "status": 200, "headers": []}
    middleware._set_cookie_if_needed(message, 'a"b')  # type: ignore[arg-type]
    assert message["headers"] == [(b"set-cookie", cookie_header(csrf_config(settings), 'a"b').encode())]
