"""The app over HTTP: the health check and the catalogue API, in-process and as `khidma serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from server.app import DefinitionsInvalid, create_app
from server.settings import Settings
from tests.conftest import running_server
from tests.definition_trees import minimal_files, write_tree
from tests.web import settings_for


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


async def test_healthz(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    notifications = {"pending": 0, "sending": 0, "failed": 0, "dead": 0, "undeliverable": 0}
    assert response.json() == {"status": "ok", "services": 9, "notifications": notifications}


async def test_services_list_has_the_contract_fields(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/api/services")
    assert response.status_code == 200
    services = response.json()
    assert len(services) == 9
    for item in services:
        assert set(item) == {"id", "name", "department", "version", "login_required"}
        assert item["name"]["ar"] and item["name"]["en"]
    supplies = next(s for s in services if s["id"] == "supplies")
    assert supplies["department"] == "classrooms"
    assert supplies["login_required"] is True


async def test_service_detail_carries_form_and_workflow(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/api/services/clearance")
        missing = await client.get("/api/services/nothing")
    body = response.json()
    assert body["form"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "employee_id" in body["form"]["properties"]
    assert body["workflow"]["id"] == "clearance"
    assert any(a.get("guards") for a in body["workflow"]["actions"].values())
    assert missing.status_code == 404
    assert "Traceback" not in missing.text


@pytest.mark.single_backend("refused before any store is opened")
def test_invalid_definitions_refuse_to_start(tmp_path: Path) -> None:
    files = minimal_files()
    files["workflows/request.json"]["actions"]["route"]["to"] = "nowhere"
    tree = write_tree(tmp_path / "tree", files)
    with pytest.raises(DefinitionsInvalid, match=r"workflows/request.json#/actions/route/to"):
        create_app(settings_for(tmp_path, definitions=tree))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path / "k.db") as base:
        yield base


def test_khidma_serve_answers_over_loopback(served: str) -> None:
    assert httpx.get(f"{served}/healthz").json()["status"] == "ok"
    assert len(httpx.get(f"{served}/api/services").json()) == 9
    schema = httpx.get(f"{served}/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/services" in schema.json()["paths"]


async def test_first_start_publishes_the_shipped_definitions_once(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        first = (await client.get("/api/services")).json()
    async with AsyncTestClient(app=create_app(settings)) as client:
        again = (await client.get("/api/services")).json()
    assert [s["version"] for s in first] == [1] * 9
    assert first == again
    assert [s["id"] for s in first][:4] == ["inquiries", "supplies", "maintenance", "transmission"]
