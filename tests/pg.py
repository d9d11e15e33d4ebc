"""A throwaway PostgreSQL cluster for the tests (a pytest plugin, registered in tests/conftest.py).

``pg_cluster`` (session): Debian's PostgreSQL 15 (``make postgres``, part of ``make test``) started on
a free loopback port in a temporary directory — trust authentication on loopback, fsync off (the
cluster is thrown away) — with one database for the tests.
``pg_url`` (per test): a ``postgresql://`` URL whose ``search_path`` is a fresh, empty schema of its
own — the store migrates it when it opens (~0.1 s; a ``CREATE DATABASE`` would take a second here).

Without the binaries the PostgreSQL tests FAIL (CI must run them); ``KHIDMA_SKIP_PG=1`` skips them
instead, for a quick local run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

PG_BIN = Path(os.environ.get("KHIDMA_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "khidma_tests"


@dataclasses.dataclass(frozen=True)
class PgCluster:
    host: str
    port: int
    user: str
    data: Path

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(dbname), autocommit=True)


def pg_skipped() -> bool:
    return os.environ.get("KHIDMA_SKIP_PG") == "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_owner(command: list[str]) -> list[str]:
    """Root may not run the server: as root, run it as Debian's ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if pg_skipped():
        pytest.skip("PostgreSQL tests skipped (KHIDMA_SKIP_PG=1)")
    if not (PG_BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL 15 is not installed ({PG_BIN}/initdb): `make postgres` (or `make test`) installs it"
        )
    base = Path(tempfile.mkdtemp(prefix="khidma-pg-"))
    if os.getuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data, log = base / "data", base / "server.log"
    port = _free_port()
    subprocess.run(
        _as_owner(
            [
                str(PG_BIN / "initdb"),
                *("-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"),
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200"
    )
    # -l: the server's output goes to a file; a captured pipe would keep pg_ctl from ever returning.
    pg_ctl = str(PG_BIN / "pg_ctl")
    started = subprocess.run(
        _as_owner([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"]),
        capture_output=True,
        text=True,
    )
    cluster = PgCluster(host="127.0.0.1", port=port, user="postgres", data=data)
    try:
        if started.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {started.stdout}{started.stderr}\n{server_log}")
        with cluster.connect() as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")
        yield cluster
    finally:
        subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


_numbers = itertools.count(1)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, empty schema of its own for one test (the store creates its tables there)."""
    schema = f"test_{os.getpid()}_{next(_numbers)}"
    with pg_cluster.connect(DATABASE) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield pg_cluster.url(DATABASE) + f"?options=-csearch_path%3D{schema}"
    with contextlib.suppress(psycopg.Error), pg_cluster.connect(DATABASE) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def both_backends(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once on SQLite and once on PostgreSQL: the apps ``tests.web.client_for`` makes
    during the PostgreSQL run use a fresh schema (``pg_url``). Yields the backend's name."""
    from tests import web

    if request.param == "sqlite":
        yield "sqlite"
        return
    web.DB_URL = request.getfixturevalue("pg_url")
    try:
        yield "postgresql"
    finally:
        web.DB_URL = None
