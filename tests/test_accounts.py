"""Accounts through the real app: passwords, log-in and log-out, sessions, the throttle, bearer tokens, SSO."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from server.accounts.tokens import SESSION_COOKIE, new_api_token, token_hash
from server.app import create_app
from server.settings import Settings
from server.store.interface import NotFound, Store
from server.store.records import User
from server.tickets.actors import actor_of as actor_for
from server.web.guards import safe_next
from tests.web import settings_for

PASSWORD = "correct horse battery"
Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


def store_of(client: Client) -> Store:
    store: Store = client.app.state.runtime.store
    return store


async def add_user(
    client: Client,
    username: str = "amal",
    *,
    password: str | None = PASSWORD,
    roles: tuple[str, ...] = ("department_head",),
    department: str | None = "classrooms",
    active: bool = True,
) -> User:
    return await store_of(client).add_user(
        username=username,
        name=f"{username.title()} Test",
        roles=roles,
        department=department,
        email=f"{username}@example.org",
        password_hash=hash_password(password) if password else None,
        active=active,
        now=datetime.now(UTC),
    )


async def csrf_token(client: Client) -> str:
    await client.get("/login")
    token = client.cookies.get("csrftoken")
    assert token
    return token


async def log_in(client: Client, username: str, password: str, next_path: str = "/") -> httpx.Response:
    data = {
        "username": username,
        "password": password,
        "next": next_path,
        "_csrf_token": await csrf_token(client),
    }
    return await client.post("/login", data=data, follow_redirects=False)


async def logged_in(client: Client) -> bool:
    """``GET /login`` redirects a logged-in user onwards and shows the form to anyone else."""
    response = await client.get("/login", follow_redirects=False)
    assert response.status_code in (200, 303)
    return response.status_code == 303


def set_session(client: httpx.AsyncClient, token: str) -> None:
    """Present ``token`` as the session cookie (replacing any)."""
    with contextlib.suppress(KeyError):
        client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")


def execute(settings: Settings, sql: str) -> list[Any]:
    """One statement on the app's database (the SQLite file, or the PostgreSQL schema), committed, from
    outside the app."""
    if settings.db_url:
        with psycopg.connect(settings.db_url, autocommit=True) as pg:
            cursor = pg.execute(sql)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    with contextlib.closing(sqlite3.connect(settings.db_path)) as conn, conn:
        return conn.execute(sql).fetchall()


def summary(response: httpx.Response) -> str:
    """The text of the page's error summary."""
    found = re.search(r'<div class="error-summary".*?</div>', response.text, re.S)
    assert found, response.text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


# --- passwords ------------------------------------------------------------------------------------


def test_password_hash_round_trip() -> None:
    encoded = hash_password(PASSWORD)
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    _, scheme, _version, _params, salt, key = encoded.split("$")
    assert scheme == "argon2id"
    assert len(base64.b64decode(salt + "==")) == 16 and len(base64.b64decode(key + "==")) == 32
    assert PASSWORD not in encoded
    assert verify_password(PASSWORD, encoded)
    assert not verify_password(PASSWORD + "!", encoded)
    assert not verify_password("", encoded)
    assert hash_password(PASSWORD) != encoded  # a new salt every time
    assert not needs_rehash(encoded)


@pytest.mark.parametrize(
    "broken",
    [
        None,
        "",
        "scrypt$16384$8$1$",
        "bcrypt$x",
        "scrypt$3$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$!!$AAAA",
        "$argon2id$v=19$m=19456,t=2,p=1$AAAA",
        "$argon2id$v=19$m=99999999,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_a_missing_or_malformed_hash_never_verifies(broken: str | None) -> None:
    assert not verify_password(PASSWORD, broken)
    dummy_verify(PASSWORD)  # and the stand-in for an unknown user runs


def test_weaker_parameters_are_verified_and_flagged_for_rehash() -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    old = f"scrypt$1024$8$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password(PASSWORD, old)
    assert needs_rehash(old)


# --- helpers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/services/supplies/apply", "/services/supplies/apply"),
        ("/track?number=2026-000001&code=x", "/track?number=2026-000001&code=x"),
        ("//evil.example", "/"),
        ("///evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.example", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next_allows_only_local_paths(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_actor_for_carries_id_name_roles_department() -> None:
    user = User(
        id="u1",
        username="amal",
        name="Amal",
        email=None,
        phone=None,
        department="classrooms",
        roles=("department_head", "department_staff"),
        password_hash=None,
        active=True,
        created_at=datetime.now(UTC),
    )
    actor = actor_for(user)
    assert (actor.id, actor.name, actor.department) == ("u1", "Amal", "classrooms")
    assert actor.roles == frozenset({"department_head", "department_staff"})


# --- log-in and log-out ---------------------------------------------------------------------------


async def test_login_page_is_bilingual_and_carries_csrf_and_next(client: Client) -> None:
    arabic = await client.get("/login?next=/services/supplies/apply")
    assert arabic.status_code == 200
    assert 'lang="ar"' in arabic.text and "تسجيل الدخول" in arabic.text
    assert 'name="_csrf_token"' in arabic.text
    assert 'name="next" value="/services/supplies/apply"' in arabic.text
    client.cookies.set("lang", "en")
    english = await client.get("/login?next=//evil.example")
    assert "Username" in english.text and "Password" in english.text
    assert 'name="next" value="/"' in english.text


async def test_log_in_sets_the_session_cookie_and_goes_to_next(client: Client, settings: Settings) -> None:
    user = await add_user(client)
    assert not await logged_in(client)
    response = await log_in(client, "amal", PASSWORD, "/services/supplies/apply")
    assert response.status_code == 303
    assert response.headers["location"] == "/services/supplies/apply"
    set_cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie.replace("SameSite=Lax", "SameSite=lax")
    assert "Secure" not in set_cookie  # secure_cookies is off by default
    assert await logged_in(client)
    page = await client.get("/")
    assert user.name in page.text
    # The database holds only the SHA-256 of the cookie's token.
    token = client.cookies[SESSION_COOKIE]
    assert execute(settings, "SELECT id_hash, user_id FROM sessions") == [
        (hashlib.sha256(token.encode()).hexdigest(), user.id)
    ]


async def test_usernames_are_case_insensitive(client: Client) -> None:
    await add_user(client)
    assert (await log_in(client, "AMAL", PASSWORD)).status_code == 303


async def test_secure_cookies_setting_marks_the_cookie_secure(tmp_path: Path) -> None:
    async with AsyncTestClient(
        app=create_app(settings_for(tmp_path, secure_cookies=True)),
        base_url="https://testserver.local",  # a Secure cookie (the CSRF one too) is sent over HTTPS only
    ) as client:
        await add_user(client)
        form = await client.get("/login")
        response = await log_in(client, "amal", PASSWORD)
    set_cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "Secure" in set_cookie
    csrf_cookie = next(c for c in form.headers.get_list("set-cookie") if c.startswith("csrftoken="))
    assert "Secure" in csrf_cookie


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "/\\evil.example"])
async def test_an_outside_next_is_refused(client: Client, target: str) -> None:
    await add_user(client)
    response = await log_in(client, "amal", PASSWORD, target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_log_in_without_the_csrf_token_is_forbidden(client: Client) -> None:
    await add_user(client)
    await client.get("/login")
    response = await client.post(
        "/login", data={"username": "amal", "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    forged = await client.post(
        "/login",
        data={"username": "amal", "password": PASSWORD, "_csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert not await logged_in(client)


async def test_missing_fields_are_named_in_the_error_summary(client: Client) -> None:
    response = await client.post(
        "/login", data={"username": "", "password": "", "_csrf_token": await csrf_token(client)}
    )
    assert response.status_code == 400
    assert 'href="#username"' in response.text and 'href="#password"' in response.text
    assert 'aria-invalid="true"' in response.text


async def test_unknown_user_and_wrong_password_get_the_same_answer(client: Client) -> None:
    await add_user(client)
    await add_user(client, "sleeper", active=False)
    await add_user(client, "nopass", password=None)
    wrong = await log_in(client, "amal", "not the password")
    unknown = await log_in(client, "nobody", "not the password")
    inactive = await log_in(client, "sleeper", PASSWORD)
    no_password = await log_in(client, "nopass", "")
    assert wrong.status_code == unknown.status_code == inactive.status_code == 400
    assert summary(wrong) == summary(unknown) == summary(inactive)
    assert no_password.status_code == 400  # an empty password is a missing field
    assert 'value="amal"' in wrong.text  # the username is kept, the password never echoed
    assert "not the password" not in wrong.text
    assert not await logged_in(client)


async def test_five_failures_throttle_the_username(client: Client) -> None:
    await add_user(client)
    for _ in range(5):
        assert (await log_in(client, "amal", "wrong password")).status_code == 400
    refused = await log_in(client, "amal", PASSWORD)  # even the right password, now
    assert refused.status_code == 429
    assert "15" in summary(refused)
    assert SESSION_COOKIE not in client.cookies
    # An unknown username is throttled the same way (the throttle tells nothing about accounts).
    for _ in range(5):
        await log_in(client, "nobody", "wrong password")
    assert summary(await log_in(client, "nobody", "wrong password")) == summary(refused)
    # Other usernames are not affected (the per-address limit is higher).
    await add_user(client, "basma")
    assert (await log_in(client, "basma", PASSWORD)).status_code == 303


async def test_the_throttle_window_passes(client: Client) -> None:
    await add_user(client)
    store = store_of(client)
    long_ago = datetime.now(UTC) - timedelta(minutes=16)
    await store.record_failed_login(["user:amal"] * 5, now=long_ago)
    assert (await log_in(client, "amal", PASSWORD)).status_code == 303
    assert await store.count_failed_logins("user:amal", since=long_ago) == 0  # cleared by the success


async def test_the_per_address_limit(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, login_max_failures_per_address=3)
    async with AsyncTestClient(app=create_app(settings)) as client:
        await add_user(client)
        for name in ("a1", "a2", "a3"):
            await log_in(client, name, "wrong password")
        assert (await log_in(client, "amal", PASSWORD)).status_code == 429


async def test_log_out_ends_the_session_on_the_server(client: Client, settings: Settings) -> None:
    await add_user(client)
    await log_in(client, "amal", PASSWORD)
    old = client.cookies[SESSION_COOKIE]
    response = await client.post(
        "/logout", data={"_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert not await logged_in(client)
    set_session(client, old)  # replaying the old cookie does not bring the session back
    assert not await logged_in(client)
    assert execute(settings, "SELECT count(*) FROM sessions") == [(0,)]


async def test_log_out_needs_the_csrf_token(client: Client) -> None:
    await add_user(client)
    await log_in(client, "amal", PASSWORD)
    assert (await client.post("/logout", follow_redirects=False)).status_code == 403
    assert await logged_in(client)


async def test_each_log_in_starts_a_new_session(client: Client) -> None:
    await add_user(client)
    await log_in(client, "amal", PASSWORD)
    first = client.cookies[SESSION_COOKIE]
    response = await client.post(
        "/login",
        data={"username": "amal", "password": PASSWORD, "_csrf_token": client.cookies["csrftoken"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    second = client.cookies[SESSION_COOKIE]
    assert second != first
    set_session(client, first)
    assert not await logged_in(client)  # the session the log-in replaced is gone


async def test_a_forged_cookie_is_anonymous(client: Client) -> None:
    set_session(client, "made-up")
    assert not await logged_in(client)


# --- session expiry -------------------------------------------------------------------------------


async def start_session(client: Client, user: User, *, created: datetime, lifetime: timedelta) -> str:
    token = "t-" + new_api_token()
    await store_of(client).create_session(
        user.id, token_hash(token), now=created, expires_at=created + lifetime
    )
    return token


async def test_sessions_expire_after_their_lifetime_and_when_idle(client: Client, settings: Settings) -> None:
    user = await add_user(client)
    now = datetime.now(UTC)
    fresh = await start_session(client, user, created=now, lifetime=timedelta(hours=12))
    ended = await start_session(
        client, user, created=now - timedelta(hours=1), lifetime=timedelta(minutes=30)
    )
    idle = await start_session(client, user, created=now - timedelta(hours=3), lifetime=timedelta(hours=12))
    set_session(client, fresh)
    assert await logged_in(client)
    set_session(client, ended)
    assert not await logged_in(client)
    set_session(client, idle)  # idle for 3 h, more than the 2 h default
    assert not await logged_in(client)
    assert execute(settings, "SELECT count(*) FROM sessions") == [(1,)]  # the expired ones are deleted


async def test_the_store_honours_expiry_and_touches_last_seen(client: Client) -> None:
    user = await add_user(client)
    store = store_of(client)
    start = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    await store.create_session(user.id, "h1", now=start, expires_at=start + timedelta(hours=12))
    idle = timedelta(hours=2)
    assert await store.get_session_user("h1", now=start + timedelta(hours=1, minutes=50), idle=idle) == user
    # seen at 9:50, so still valid at 11:40 (idle since 9:50, not since 8:00)
    assert await store.get_session_user("h1", now=start + timedelta(hours=3, minutes=40), idle=idle) == user
    assert await store.get_session_user("h1", now=start + timedelta(hours=12), idle=idle) is None
    assert await store.get_session_user("h1", now=start, idle=idle) is None  # deleted when found expired
    assert await store.get_session_user("missing", now=start, idle=idle) is None
    with pytest.raises(NotFound):
        await store.create_session("no-such-user", "h2", now=start, expires_at=start + idle)


async def test_a_deactivated_user_loses_their_session(client: Client, settings: Settings) -> None:
    await add_user(client)
    await log_in(client, "amal", PASSWORD)
    execute(settings, "UPDATE users SET active = false")
    assert not await logged_in(client)


async def test_a_new_password_ends_the_sessions(client: Client) -> None:
    user = await add_user(client)
    await log_in(client, "amal", PASSWORD)
    await store_of(client).set_password(user.id, hash_password("a new password"))
    assert not await logged_in(client)
    assert (await log_in(client, "amal", "a new password")).status_code == 303


# --- bearer tokens --------------------------------------------------------------------------------


async def test_a_bearer_token_identifies_the_api_caller(client: Client) -> None:
    user = await add_user(client)
    store = store_of(client)
    token = new_api_token()
    created = await store.create_api_token(user.id, "ci", token_hash(token), now=datetime.now(UTC))
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "username": "amal",
        "name": user.name,
        "email": "amal@example.org",
        "department": "classrooms",
        "roles": ["department_head"],
    }
    listed = await store.list_tokens(user.id)
    assert [t.id for t in listed] == [created.id] and listed[0].last_used_at is not None

    anonymous = await client.get("/api/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/json")
    assert (await client.get("/api/me", headers={"Authorization": "Bearer khidma_wrong"})).status_code == 401
    assert (await client.get("/api/me", headers={"Authorization": f"Basic {token}"})).status_code == 401

    revoked = await store.revoke_token(created.id, now=datetime.now(UTC))
    assert revoked.revoked_at is not None
    assert (await store.revoke_token(created.id, now=datetime.now(UTC))).revoked_at == revoked.revoked_at
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    with pytest.raises(NotFound):
        await store.revoke_token(9999, now=datetime.now(UTC))


async def test_the_api_ignores_the_session_cookie(client: Client) -> None:
    await add_user(client)
    await log_in(client, "amal", PASSWORD)
    assert (await client.get("/api/me")).status_code == 401  # /api is CSRF-exempt: bearer only


async def test_a_token_of_a_deactivated_user_stops_working(client: Client, settings: Settings) -> None:
    user = await add_user(client)
    token = new_api_token()
    await store_of(client).create_api_token(user.id, "ci", token_hash(token), now=datetime.now(UTC))
    execute(settings, "UPDATE users SET active = false")
    assert token not in str(execute(settings, "SELECT * FROM api_tokens"))
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


# --- trusted-header single sign-on ----------------------------------------------------------------


def sso_settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path, sso_header="X-Remote-User", sso_trusted_proxies=("10.0.0.0/8", "192.0.2.7"))


def from_address(app: Litestar, address: str) -> httpx.AsyncClient:
    """A client whose requests come from ``address`` (the app's lifespan must be running)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def sso_logged_in(client: httpx.AsyncClient, headers: dict[str, Any]) -> bool:
    response = await client.get("/login", headers=headers, follow_redirects=False)
    return response.status_code == 303


async def test_the_sso_header_is_honoured_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    app = create_app(sso_settings(tmp_path))
    async with AsyncTestClient(app=app) as client:
        await add_user(client, password=None)
        await add_user(client, "sleeper", active=False)
        header = {"X-Remote-User": "amal"}
        async with from_address(app, "10.20.30.40") as proxy, from_address(app, "192.0.2.7") as other_proxy:
            assert await sso_logged_in(proxy, header)
            assert await sso_logged_in(other_proxy, header)
            page = await proxy.get("/", headers=header)
            assert "Amal Test" in page.text
            assert not await sso_logged_in(proxy, {"X-Remote-User": "nobody"})
            assert not await sso_logged_in(proxy, {"X-Remote-User": "sleeper"})
            assert not await sso_logged_in(proxy, {})
            # Never on the API (CSRF-exempt): there the bearer token is the only credential.
            assert (await proxy.get("/api/me", headers=header)).status_code == 401
        async with from_address(app, "192.0.2.8") as stranger, from_address(app, "2001:db8::1") as v6:
            assert not await sso_logged_in(stranger, header)
            assert not await sso_logged_in(v6, header)
        assert not await sso_logged_in(client, header)  # the test client's own address


async def test_sso_is_off_by_default(client: Client) -> None:
    await add_user(client)
    assert not await logged_in(client)
    response = await client.get("/login", headers={"X-Remote-User": "amal"}, follow_redirects=False)
    assert response.status_code == 200


@pytest.mark.single_backend("refused before any store is opened")
def test_a_malformed_trusted_proxy_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not-an-address"):
        create_app(
            settings_for(tmp_path, sso_header="X-Remote-User", sso_trusted_proxies=("not-an-address",))
        )


async def test_the_throttle_counts_the_forwarded_address_behind_a_trusted_proxy(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        sso_header="X-Remote-User",
        sso_trusted_proxies=("10.0.0.1",),
        login_max_failures_per_address=2,
    )
    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        await add_user(client)
        async with from_address(app, "10.0.0.1") as proxy:

            async def attempt(username: str, password: str, forwarded: str) -> int:
                await proxy.get("/login")
                data = {"username": username, "password": password, "_csrf_token": proxy.cookies["csrftoken"]}
                response = await proxy.post("/login", data=data, headers={"X-Forwarded-For": forwarded})
                return response.status_code

            assert await attempt("x1", "wrong password", "198.51.100.1") == 400
            assert await attempt("x2", "wrong password", "198.51.100.1") == 400
            assert await attempt("amal", PASSWORD, "198.51.100.1") == 429
            assert await attempt("amal", PASSWORD, "198.51.100.2") == 303  # someone else behind the proxy


# --- the directory queries the staff pages use ----------------------------------------------------


async def test_users_with_role_and_list_users(client: Client) -> None:
    await add_user(client, "head1")
    await add_user(client, "head2", department="maintenance_center")
    await add_user(client, "gone", active=False)
    await add_user(client, "cs", roles=("customer_service",), department="customer_service")
    store = store_of(client)
    assert [u.username for u in await store.users_with_role("department_head")] == ["head1", "head2"]
    assert [u.username for u in await store.users_with_role("department_head", active_only=False)] == [
        "gone",
        "head1",
        "head2",
    ]
    assert [u.username for u in await store.list_users()] == ["cs", "gone", "head1", "head2"]
    assert [u.username for u in await store.list_users(active_only=True)] == ["cs", "head1", "head2"]
    with pytest.raises(NotFound):
        await store.set_password("nobody", None)
