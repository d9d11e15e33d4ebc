"""The OpenAPI document tells the truth: schemathesis generates requests from it (valid and invalid
parameters and bodies) against a real ``khidma serve``, with a staff-and-export bearer token, and checks
every answer — no 5xx, every status code and media type declared, every body of the declared shape.

Bounded: a few dozen examples per operation (a few hundred in all), well under two minutes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from server.cli import main
from tests.conftest import running_server

EXAMPLES = 25


@pytest.fixture(scope="module")
def served_with_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db = tmp_path_factory.mktemp("fuzz") / "k.db"
    roles = ["--role", "customer_service", "--role", "administrator"]
    assert main(["user", "add", "fuzzer", *roles, "--db", str(db)]) == 0
    token = subprocess.run(
        [sys.executable, "-m", "server", "token", "create", "fuzzer", "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with running_server(Path(db), "--no-rate-limits") as base:
        yield base, token


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
