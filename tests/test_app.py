"""The app over HTTP: the health check and the catalogue API, in-process and as `khidma serve`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from server.app import DefinitionsInvalid, create_app
from server.settings import Settings
from tests.conftest import running_server
from tests.definition_trees import minimal_files, write_tree
from tests.ports import free_port
from tests.web import db_for, settings_for


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
    with running_server(db_for(tmp_path)) as base:
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


def test_a_serving_process_freezes_its_heap_after_start_up_and_shortens_the_switch_interval(
    tmp_path: Path,
) -> None:
    """``server/process.py``, in a process of its own (a frozen heap would outlive this test); the young
    generation's threshold is raised with the freeze."""
    code = (
        "import gc, sys\n"
        "from litestar.testing import TestClient\n"
        "from server.app import create_app\n"
        "from server.process import SWITCH_INTERVAL, YOUNG_THRESHOLD, tune_for_serving\n"
        "from server.settings import Settings\n"
        f"app = tune_for_serving(create_app(Settings(db_path={str(tmp_path / 'k.db')!r})))\n"
        "assert sys.getswitchinterval() == SWITCH_INTERVAL\n"
        "assert gc.get_freeze_count() == 0\n"
        "young = gc.get_threshold()[0]\n"
        "with TestClient(app) as client:\n"
        "    assert client.get('/healthz').status_code == 200\n"
        "    assert young != YOUNG_THRESHOLD and gc.get_threshold()[0] == YOUNG_THRESHOLD\n"
        "    print(gc.get_freeze_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the compiled definitions, modules and templates: ~99,000 objects once httpx, puremagic and fontTools
    # were no longer imported at start-up (docs/performance.md, eighth round); far more than nothing
    assert int(done.stdout.split()[-1]) > 50_000


def test_the_khidma_command_starts_up_without_the_collector_and_turns_it_on_with_the_freeze(
    tmp_path: Path,
) -> None:
    """``server.entry.command`` (the console script and ``python -m server``): no collection from the
    first import to the lifespan's freeze, the collector on after it; any other command turns it on
    again at once."""
    code = (
        "import gc, os, signal, sys\n"
        "started = []\n"
        "gc.callbacks.append(lambda phase, info: started.append(info) if phase == 'start' else None)\n"
        "import server.entry as entry, server.process as process\n"
        "assert gc.isenabled()\n"
        "freeze = process._freeze_heap\n"
        "def frozen():\n"
        "    print('before the freeze', len(started), gc.isenabled(), flush=True)\n"
        "    freeze()\n"
        "    print('after the freeze', gc.isenabled(), gc.get_freeze_count() > 50_000, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "process._freeze_heap = frozen\n"
        "sys.argv = ['khidma', *sys.argv[1:]]\n"
        "started.clear()  # this script's own imports\n"
        "code = entry.command()\n"
        "print('enabled after the command', gc.isenabled(), code, flush=True)\n"
    )
    db = str(tmp_path / "k.db")
    serve = ["serve", "--db", db, "--port", str(free_port()), "--no-worker", "--no-rate-limits"]
    done = subprocess.run([sys.executable, "-c", code, *serve], capture_output=True, text=True, timeout=120)
    assert "before the freeze 0 False" in done.stdout, (done.stdout, done.stderr)
    assert "after the freeze True True" in done.stdout, (done.stdout, done.stderr)
    check = subprocess.run([sys.executable, "-c", code, "check"], capture_output=True, text=True, timeout=120)
    assert "enabled after the command True 0" in check.stdout, (check.stdout, check.stderr)


@pytest.mark.single_backend("builds the app only to read its routes: no store is opened")
def test_every_handler_resolves_its_dependencies_one_after_another(tmp_path: Path) -> None:
    """``server.web.deps.resolve_in_sequence``: no batch of two or more (an anyio task group per request)
    is left — and the Litestar internals it reads are still where it reads them."""
    app = create_app(Settings(db_path=tmp_path / "k.db"))
    models = [model for route in app.routes for _, model in getattr(route, "route_handler_map", {}).values()]
    assert models, "Litestar's HTTPRoute.route_handler_map moved: see resolve_in_sequence"
    batches = [batch for model in models for batch in model.dependency_batches]
    assert any(len(model.dependency_batches) >= 3 for model in models)  # runtime, viewer, a language…
    assert batches and all(len(batch) == 1 for batch in batches)
