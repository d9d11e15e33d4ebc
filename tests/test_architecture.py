"""The shape of the code, checked: the web layer is thin adapters over services.

The import contracts themselves are in ``pyproject.toml`` (``[tool.importlinter]``, run by
``make lint``); here: no module-level import cycles (``TYPE_CHECKING`` imports included), no
controller reaching the store through the runtime, and no module of the web layer or of the
services it calls grown past the size one reader can hold.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp
import pytest

SERVER = Path(__file__).resolve().parent.parent / "server"
MAX_LINES = 400
SIZE_CHECKED = ("web", "tickets", "directory", "requests", "admin")


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("server", exclude_type_checking_imports=False)
    modules = sorted(graph.modules)
    index = {m: i for i, m in enumerate(modules)}
    # Tarjan's strongly connected components, iteratively
    counter = 0
    low: dict[str, int] = {}
    order: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in modules:
        if root in order:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    continue
                if child not in order:
                    order[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], order[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == order[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    # a package's __init__ importing its own modules is not a cycle of modules
    real = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert not real, f"import cycles: {real}"


@pytest.mark.parametrize("path", sorted((SERVER / "web").glob("*.py")), ids=lambda p: p.name)
def test_no_controller_reaches_the_store(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    found = re.findall(r"(?:runtime|self)\.store\b|\bstore\s*=\s*\w+\.store\b", source)
    assert not found, f"{path.name} uses the store directly ({found[:3]}); call a service instead"


@pytest.mark.parametrize("path", sorted((SERVER / "web").glob("*.py")), ids=lambda p: p.name)
def test_no_controller_reads_the_runtimes_insides(path: Path) -> None:
    """The organisation, the ticket service and the catalogue are read by services (``server.standing``
    for the chrome and guards, ``server.reports.view``, ``server.admin.exports``…), not by controllers."""
    source = path.read_text(encoding="utf-8")
    found = re.findall(r"\bruntime\.(?:org|tickets|catalogue|organisation)\b|\)\.org\b", source)
    assert not found, f"{path.name} reads the runtime's insides ({found[:3]}); call a service instead"


def _sized() -> list[Path]:
    found = []
    for area in SIZE_CHECKED:
        where = SERVER / area
        if where.is_dir():
            found += sorted(where.glob("*.py"))
    return found


@pytest.mark.parametrize("path", _sized(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.parent.name}/{path.name} has {lines} lines (at most {MAX_LINES})"


TEMPLATES = SERVER.parent / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\bhx-on", re.IGNORECASE)


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_carries_inline_script(path: Path) -> None:
    """Scripts come from static files, so a strict Content-Security-Policy can forbid inline ones."""
    found = INLINE.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name}: {found}"


CUSTOMER_ROLES = re.compile(
    r"""["'](administrator|auditor|customer_service|director|tawasul_coordinator)["']"""
)


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(SERVER.rglob("*.py")) if "demo" not in p.parts and p.name != "demo.py"],
    ids=lambda p: str(p.relative_to(SERVER)),
)
def test_no_role_id_of_one_customer_in_the_code(path: Path) -> None:
    """Which roles administer, export or take in requests is the organisation's to say (capabilities)."""
    found = CUSTOMER_ROLES.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(SERVER)} names {sorted(set(found))}"


def test_the_web_layers_import_contract_forbids_the_whole_store() -> None:
    """pyproject's import-linter contract forbids the web layer the store package — every module of it,
    records included (the web's record types come from the services' modules and ``server.accounts``) —
    and no web module names it."""
    config = tomllib.loads((SERVER.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(
        c for c in config["tool"]["importlinter"]["contracts"] if c["source_modules"] == ["server.web"]
    )
    assert contract["forbidden_modules"] == ["server.store"]
    for path in (SERVER / "web").rglob("*.py"):
        assert "server.store" not in path.read_text(encoding="utf-8"), path.relative_to(SERVER)


DATACLASSES_KEPT = {
    ("web/api.py", "Alternatives"): "extends Litestar's Operation, itself a dataclass",
    ("runtime.py", "Runtime"): "one per process: the store, the caches and the services it opened",
    ("notify/dispatcher.py", "BackgroundWorker"): "one per process, with its asyncio stop event",
    ("reports/schedule.py", "ReportScheduler"): "one per process",
    ("store/postgres_group.py", "Creation"): "holds the asyncio future its caller waits on",
    ("definitions/expressions.py", "Expression"): "its compiled closure is left out of ==, hash and repr"
    " (field(compare=False, repr=False)), which a Struct cannot say",
}


def test_records_are_structs_not_dataclasses() -> None:
    """A dataclass costs every start about a millisecond to define (Python 3.11 execs each of its
    generated methods); the server's records are msgspec Structs (docs/architecture.md, "Records are
    msgspec Structs"). Only the ones named above stay dataclasses."""
    found = set()
    for path in sorted(SERVER.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if line.lstrip().startswith(("@dataclass", "@dataclasses.dataclass")):
                following = next(x for x in lines[number + 1 :] if not x.lstrip().startswith("@"))
                name = re.match(r"\s*class (\w+)", following)
                assert name, f"{path}: {following}"
                found.add((str(path.relative_to(SERVER)), name.group(1)))
    assert found == set(DATACLASSES_KEPT), f"dataclasses in server/: {sorted(found - set(DATACLASSES_KEPT))}"
