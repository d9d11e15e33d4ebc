"""A throwaway PostgreSQL cluster for the tests (a pytest plugin, registered in tests/conftest.py).

``pg_cluster`` (session): Debian's PostgreSQL 15 (``make postgres``, part of ``make test``) started on
a free loopback port in a temporary directory — trust authentication on loopback, fsync off (the
cluster is thrown away) — with one database for the tests.
``pg_url`` (per test): a ``postgresql://`` URL whose ``search_path`` is a fresh, empty schema of its
own — the store migrates it when it opens.

Every test that builds an app or names its database — it reaches ``tests.web.client_for``,
``settings_for``, ``db_for`` (the ``--db`` of a command it runs) or ``server.app.create_app``, from its
body, a helper function of the tests or a fixture — runs twice, on SQLite (``[sqlite]``) and on
PostgreSQL (``[postgresql]``): ``pytest_generate_tests`` below gives it the ``app_backend`` fixture, which
points ``tests.web`` at a fresh schema. Nothing in the test changes. A test that is about SQLite itself
(it opens the file, replays a SQLite migration…) or opens no store opts out with
``@pytest.mark.single_backend("why")``. ``backend_guard`` (autouse) makes the rule hold: a test's
PostgreSQL run opens no app on SQLite and does use its schema, and a test that opens an app without
running on both backends fails, naming the marker. A fresh schema migrated on open costs ~0.06 s here;
``CREATE DATABASE … TEMPLATE`` took 0.07–0.14 s for an empty template, so the schema stays.

Without the binaries the PostgreSQL tests FAIL (CI must run them); ``KHIDMA_SKIP_PG=1`` skips them
instead, for a quick local run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType
from typing import Any

import psycopg
import pytest

from tests.ports import free_port

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
    port = free_port()
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


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def store_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database of a store or service test that opens its store itself (``open_any``): the SQLite
    file ``tmp_path/khidma.db`` (``[sqlite]``), or a fresh schema of the throwaway cluster
    (``[postgresql]``, ``pg_url``). A test that takes it runs on both backends."""
    if request.param == "sqlite":
        return str(tmp_path / "khidma.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def app_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The backend ``pytest_generate_tests`` gave this test (``sqlite``, the default, or
    ``postgresql``: then the apps ``tests.web`` makes use a fresh schema, ``pg_url``)."""
    from tests import web

    if getattr(request, "param", "sqlite") == "sqlite":
        yield "sqlite"
        return
    web.DB_URL = request.getfixturevalue("pg_url")
    try:
        yield "postgresql"
    finally:
        web.DB_URL = None


# --- every test that builds an app runs on both backends ------------------------------------------

APP_BUILDERS = frozenset({"client_for", "settings_for", "db_for", "create_app"})
"""The names through which a test builds an app or names its database (``tests/web.py``,
``server/app.py``)."""


def _schema_used() -> bool:
    """Whether the test's PostgreSQL schema was opened (migrated) — by the test's process or by a
    command it ran."""
    from tests import web

    assert web.DB_URL is not None
    with psycopg.connect(web.DB_URL, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    return bool(row and row[0])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "single_backend(reason): the test is about SQLite itself; it builds its app(s) on SQLite only"
        " (not on both backends: tests/pg.py)",
    )


def _codes(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _codes(const)


def builds_an_app(func: Callable[..., Any], seen: set[Any] | None = None) -> bool:
    """Whether ``func`` names an app builder, itself or through the test helpers it calls (functions
    of the ``tests`` package it names, followed however deep)."""
    seen = set() if seen is None else seen
    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    if code is None or func in seen:
        return False
    seen.add(func)
    names = {name for c in _codes(code) for name in c.co_names}
    if names & APP_BUILDERS:
        return True
    scope = getattr(func, "__globals__", {})
    for name in names:
        helper = scope.get(name)
        if inspect.isclass(helper) and helper.__module__.startswith("tests"):
            if any(builds_an_app(m, seen) for m in vars(helper).values() if inspect.isfunction(m)):
                return True
        elif (
            inspect.isfunction(helper)
            and helper.__module__.startswith("tests")
            and builds_an_app(helper, seen)
        ):
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("single_backend"):
        return
    fixtures = [
        fixture.func
        for name in metafunc.fixturenames
        for fixture in metafunc._arg2fixturedefs.get(name, ())
        if fixture.func.__module__.startswith("tests")
    ]
    if any(builds_an_app(f) for f in [metafunc.function, *fixtures]):
        # ``app_backend`` is in every test's closure (``backend_guard`` uses it), set up before the test's
        # own fixtures: it is set before any of them builds an app.
        metafunc.parametrize("app_backend", BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def backend_guard(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, app_backend: str
) -> Iterator[None]:
    """Every app a test opens (``Runtime.open``) is on the backend the test runs on: in the
    ``[postgresql]`` run none on SQLite, and the test's schema used (by the test or a command it ran);
    in a test that does not run on both backends none at all, unless it is marked ``single_backend``."""
    from server.runtime import Runtime

    opened: list[str] = []
    original = Runtime.open.__func__  # type: ignore[attr-defined]

    async def spying(cls: type[Runtime], settings: Any, *args: Any, **kwargs: Any) -> Runtime:
        opened.append("postgresql" if settings.db_url else "sqlite")
        runtime: Runtime = await original(cls, settings, *args, **kwargs)
        return runtime

    monkeypatch.setattr(Runtime, "open", classmethod(spying))
    yield
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params if callspec is not None else {}
    chosen = params.get("app_backend")
    if chosen == "postgresql" and ("sqlite" in opened or not _schema_used()):
        pytest.fail(
            f"ran on PostgreSQL but opened its apps on {opened or 'nothing'}: build them with"
            " tests.web.client_for or tests.web.settings_for (commands: tests.web.db_for)"
        )
    if chosen is None and opened and not request.node.get_closest_marker("single_backend"):
        pytest.fail(
            "opened an app without running on both backends: build it through tests.web (client_for,"
            " settings_for), or mark the test @pytest.mark.single_backend('why')"
        )
