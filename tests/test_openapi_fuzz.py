"""The OpenAPI document tells the truth: schemathesis generates requests from it (valid and invalid
parameters and bodies) against a real ``khidma serve``, with a staff-and-export bearer token, and checks
every answer — no 5xx, every status code and media type declared, every body of the declared shape —
once on a SQLite file and once on a fresh schema of the tests' PostgreSQL cluster (``tests/pg.py``).

Bounded: a few dozen examples per operation (a few hundred in all), well under two minutes a backend."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from server.cli import main
from tests.conftest import running_server
from tests.pg import BACKENDS, DATABASE, PgCluster

EXAMPLES = 25


@pytest.fixture(scope="module", params=BACKENDS)
def served_with_token(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A real ``khidma serve`` (a process of its own, for the whole module) and a bearer token."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            db = str(tmp_path_factory.mktemp("fuzz") / "k.db")
        else:
            cluster: PgCluster = request.getfixturevalue("pg_cluster")
            schema = f"fuzz_{os.getpid()}"
            with cluster.connect(DATABASE) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            stack.callback(_drop, cluster, schema)
            db = cluster.url(DATABASE) + f"?options=-csearch_path%3D{schema}"
        roles = ["--role", "customer_service", "--role", "administrator"]
        assert main(["user", "add", "fuzzer", *roles, "--db", db]) == 0
        token = subprocess.run(
            [sys.executable, "-m", "server", "token", "create", "fuzzer", "--db", db],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        with running_server(db, "--no-rate-limits") as base:
            yield base, token


def _drop(cluster: PgCluster, schema: str) -> None:
    with cluster.connect(DATABASE) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_every_answer_is_declared_and_none_is_a_5xx(served_with_token: tuple[str, str]) -> None:
    base, token = served_with_token
    schemathesis.experimental.OPEN_API_3_1.enable()  # Litestar writes OpenAPI 3.1
    api = schemathesis.from_uri(f"{base}/schema/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 14
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: schemathesis.models.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        try:
            run()
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
