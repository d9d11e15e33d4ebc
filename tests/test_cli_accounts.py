"""The account commands as a user runs them (``python -m server …``), then used through the real app."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts.demo import DEMO_PASSWORD, demo_accounts, demo_banner, ensure_demo_accounts
from server.app import create_app
from server.runtime import load_shipped
from server.settings import Settings
from server.store.open import open_any
from tests import web
from tests.conftest import free_port
from tests.web import db_for, settings_for

PASSWORD = "a long enough password"


def database_bytes(tmp_path: Path) -> str:
    """Everything the database holds, as text: the SQLite file, or a dump of the PostgreSQL schema."""
    if web.DB_URL is None:
        return (tmp_path / "khidma.db").read_bytes().decode("latin-1")
    with psycopg.connect(web.DB_URL) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ]
        return "\n".join(str(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"').fetchall())


def khidma(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


async def log_in(client: AsyncTestClient[Litestar], username: str, password: str) -> httpx.Response:
    await client.get("/login")
    data = {
        "username": username,
        "password": password,
        "next": "/",
        "_csrf_token": client.cookies["csrftoken"],
    }
    return await client.post("/login", data=data, follow_redirects=False)


def test_user_add_then_log_in(tmp_path: Path) -> None:
    db = db_for(tmp_path)
    added = khidma(
        "user", "add", "huda", "--role", "department_head", "--role", "department_staff",
        "--department", "classrooms", "--name", "Huda", "--email", "huda@example.org",
        "--password-stdin", "--db", db,
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "huda" in added.stdout and PASSWORD not in added.stdout + added.stderr

    async def check() -> None:
        async with AsyncTestClient(app=create_app(settings_for(tmp_path))) as client:
            user = await client.app.state.runtime.store.get_user_by_username("huda")
            assert user.roles == ("department_head", "department_staff")
            assert (user.department, user.name, user.email) == ("classrooms", "Huda", "huda@example.org")
            assert user.password_hash.startswith("$argon2id$")
            assert (await log_in(client, "huda", "wrong password")).status_code == 400
            assert (await log_in(client, "huda", PASSWORD)).status_code == 303

    asyncio.run(check())

    listed = khidma("user", "list", "--db", db)
    assert listed.returncode == 0 and listed.stdout.startswith(
        "huda\tdepartment_head,department_staff\tclassrooms"
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "wizard"], PASSWORD, "unknown role(s) wizard"),
        (["--role", "department_staff"], PASSWORD, "give --department"),
        (["--role", "auditor", "--department", "atlantis"], PASSWORD, "unknown department 'atlantis'"),
        (["--role", "auditor"], "short\n", "at least 8 characters"),
    ],
)
def test_user_add_refuses_what_the_organisation_does_not_have(
    tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    result = khidma(
        "user", "add", "x", *args, "--password-stdin", "--db", str(tmp_path / "k.db"), stdin=stdin
    )
    assert result.returncode == 1
    assert message in result.stderr


def test_user_add_refuses_a_taken_username(tmp_path: Path) -> None:
    db = db_for(tmp_path)
    assert khidma("user", "add", "sara", "--role", "auditor", "--db", db).returncode == 0
    again = khidma("user", "add", "SARA", "--role", "auditor", "--db", db)
    assert again.returncode == 1 and "taken" in again.stderr


def test_token_create_prints_a_token_that_works_until_revoked(tmp_path: Path) -> None:
    db = db_for(tmp_path)
    assert khidma("user", "add", "bot", "--role", "customer_service", "--db", db).returncode == 0
    created = khidma("token", "create", "bot", "--name", "integration", "--db", db)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("khidma_") and "\n" not in token
    assert "revoke" in created.stderr
    assert token not in database_bytes(tmp_path)  # only its hash is kept
    listed = khidma("token", "list", "bot", "--db", db)
    assert listed.stdout.startswith("1\tintegration\t") and "active" in listed.stdout

    async def status() -> int:
        async with AsyncTestClient(app=create_app(settings_for(tmp_path))) as client:
            response = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 200:
                assert response.json()["username"] == "bot"
            return response.status_code

    assert asyncio.run(status()) == 200
    revoked = khidma("token", "revoke", "1", "--db", db)
    assert revoked.returncode == 0
    assert asyncio.run(status()) == 401
    assert khidma("token", "revoke", "42", "--db", db).returncode == 1
    assert khidma("token", "create", "nobody", "--db", db).returncode == 1


def test_user_password_sets_a_new_password(tmp_path: Path) -> None:
    db = db_for(tmp_path)
    assert khidma("user", "add", "nada", "--role", "auditor", "--db", db).returncode == 0
    changed = khidma("user", "password", "nada", "--password-stdin", "--db", db, stdin=PASSWORD + "\r\n")
    assert changed.returncode == 0, changed.stderr

    async def check() -> int:
        async with AsyncTestClient(app=create_app(settings_for(tmp_path))) as client:
            return (await log_in(client, "nada", PASSWORD)).status_code

    assert asyncio.run(check()) == 303


# --- demo accounts --------------------------------------------------------------------------------


async def test_demo_accounts_cover_every_role_and_are_idempotent(tmp_path: Path, store_db: str) -> None:
    organisation = load_shipped(Settings()).organisation
    planned = {a.username: a for a in demo_accounts(organisation)}
    assert {a.role for a in planned.values()} == set(organisation.roles)
    assert planned["customer_service"].department == "customer_service"
    assert planned["director"].department == "directorate"
    assert planned["staff.classrooms"].role == "department_staff"
    assert {
        f"head.{d}" for d, dept in organisation.departments.items() if dept.head_role == "department_head"
    } <= set(planned)
    assert planned["requester"].department is None
    assert all(a.email.endswith("@example.org") for a in planned.values())

    store = await open_any(store_db, tmp_path / "files")
    try:
        now = datetime.now(UTC)
        first = await ensure_demo_accounts(store, organisation, now=now)
        count = len(await store.list_users())
        assert count == len(first) == len(planned)
        await ensure_demo_accounts(store, organisation, now=now)
        assert len(await store.list_users()) == count
        head = await store.get_user_by_username("head.classrooms")
        assert head is not None and head.roles == ("department_head",) and head.department == "classrooms"
    finally:
        await store.close()
    banner = demo_banner(first)
    assert "WARNING" in banner and DEMO_PASSWORD in banner and "head.classrooms" in banner


def test_serve_demo_prints_the_log_ins_and_they_work(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--db",
            db_for(tmp_path),
            "--attachments",
            str(tmp_path / "files"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        printed = []
        for line in proc.stdout:
            printed.append(line)
            if line.startswith("khidma serving"):
                break
        output = "".join(printed)
        assert "WARNING" in output and DEMO_PASSWORD in output
        for username in ("requester", "customer_service", "director", "head.classrooms", "staff.classrooms"):
            assert username in output
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=base) as client:
            while True:
                try:
                    client.get("/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        pytest.fail("khidma serve did not answer within 30 s")
                    time.sleep(0.1)
            client.get("/login")
            response = client.post(
                "/login",
                data={
                    "username": "director",
                    "password": DEMO_PASSWORD,
                    "_csrf_token": client.cookies["csrftoken"],
                },
            )
            assert response.status_code == 303
            assert "khidma_session" in client.cookies
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
