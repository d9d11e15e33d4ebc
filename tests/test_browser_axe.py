"""Every page passes axe-core with no serious or critical issue, in Arabic and in English.

A real ``khidma serve --demo`` and Debian's Chromium (as in the other browser journeys). For each role — an
anonymous visitor, a requester, staff of several kinds, an administrator, an auditor — and each language,
the test logs in as the role's demo account, opens a fixed list of pages (``Role.seeds``), then follows the
same-origin links it finds: the header's links always, the others only under the role's own part of the
site (``Role.follow``), so a page added later is checked without editing this list. Addresses that differ
only by an id count as one kind of page, checked at most ``CAP`` times (the catalogue's services every
one). Each page gets axe-core — the npm package pinned by ``tests/axe/package-lock.json``, installed by
``make axe`` — injected and run; the test fails listing, for every page, the rules axe found serious or
critical and where.

Pages reached only by posting a form are checked on the way: a service's form sent empty (the error
summary), then filled from its schema's example and sent (any "check your answers" step, the "request
sent" page) — inquiries anonymously, supplies as the requester, who then has a ticket of their own — and
the log-in page after a wrong password. Three inquiries tickets made through the API (one open, one
awaiting the requester's clarification, one closed) give tracking pages in each of those states, the
clarification answer and the survey (each also sent empty), and staff ticket pages. Closed ``<details>`` (a ticket's action forms, the queue's
filters) are opened before axe runs, so what they hold is checked too.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from tests.browser import CHROMIUM, launch, log_in
from tests.conftest import running_server

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "khidma-demo"  # the demo accounts' published password (server/accounts/demo.py)
LANGS = ("ar", "en")
SKIP_PREFIXES = ("/lang/", "/logout", "/static/", "/api/", "/staff/attachments/", "/healthz")
KEPT_QUERY = ("view", "code", "new")
"""Query parameters that make another page (the task list's views, a ticket's tracking code); the others
(sorting, paging, filters, ``next``) only change the content of a page already checked."""
CAP = 2
"""How many pages of one kind (same address but for its ids) are checked per role and language..."""
CAPS = {"services/*": 20, "services/*/apply": 20}
"""...except these: every service of the catalogue."""

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make browser)"
)


def _public(path: str) -> bool:
    return not path.startswith(("/staff/", "/admin/", "/exports/"))


def _requester_pages(path: str) -> bool:
    """The requester's pages: everything but the catalogue's services and the log-in page (checked
    anonymously) and the staff's parts."""
    return not path.startswith(("/services/", "/login", "/staff/", "/admin/", "/exports/"))


@dataclass(frozen=True)
class Role:
    username: str | None
    seeds: tuple[str, ...]
    follow: Callable[[str], bool]
    budget: int
    """At most this many pages per language (the seeds first)."""


def _report_page(path: str) -> bool:
    """A report page (not its CSV or XLSX download)."""
    return path.startswith("/reports/") and not path.split("?")[0].endswith(("/csv", "/xlsx"))


ROLES: dict[str, Role] = {
    "anonymous": Role(
        None,
        (
            "/",
            "/track",
            "/track/0000-0000?code=wrong",
            "/login",
            "/no-such-page",
            "{track[open]}",
            "{track[asked]}",
            "{track[closed]}",
            "{survey[open]}",  # "not yet"
            "{survey[closed]}",  # the questions
        ),
        _public,
        45,
    ),
    "requester": Role(
        "requester",
        ("/", "/services/supplies/apply", "/staff/tasks"),  # the last one: the 403 page
        _requester_pages,
        15,
    ),
    "customer_service": Role(
        "customer_service",
        (
            "/staff/tasks",
            "/staff/tickets/{id[open]}",
            "/staff/tickets/{id[asked]}",
            "/staff/tickets/{id[closed]}",
            "/staff/replies/",
        ),
        lambda p: p.startswith("/staff/"),
        21,
    ),
    "head.classrooms": Role(
        "head.classrooms",
        ("/staff/tasks", "/reports/weekly_department", "/reports/supplies_unavailable"),
        lambda p: p.startswith("/staff/") or _report_page(p),
        14,
    ),
    "staff.classrooms": Role("staff.classrooms", ("/staff/tasks",), lambda p: p.startswith("/staff/"), 10),
    "director": Role(
        "director",
        ("/staff/tasks", "/reports/", "/reports/satisfaction_services", "/reports/overdue"),
        lambda p: p.startswith("/staff/") or _report_page(p),
        14,
    ),
    "administrator": Role(
        "administrator",
        (
            "/admin/services",
            "/admin/organisation/",
            "/admin/users",
            "/admin/replies",
            "/admin/lookups",
            "/admin/outbox/",
            "/admin/demo/sent",
        ),
        lambda p: p.startswith("/admin/"),
        42,
    ),
    "auditor": Role("auditor", ("/exports/",), lambda p: p.startswith("/exports/"), 6),
}


@dataclass(frozen=True)
class Site:
    base: str
    tickets: dict[str, dict[str, Any]]
    """Inquiries tickets created through the API (``id``, ``number``, ``tracking_code``…): ``open`` (with
    the department), ``asked`` (awaiting the requester's clarification), ``closed`` (its survey open)."""

    def fill(self, path: str) -> str:
        """``{track.asked}``, ``{survey.closed}``, ``{id.open}``… in a seed → that ticket's address."""
        track = {k: f"/track/{t['number']}?code={t['tracking_code']}" for k, t in self.tickets.items()}
        survey = {k: f"/survey/{t['number']}?code={t['tracking_code']}" for k, t in self.tickets.items()}
        ids = {k: t["id"] for k, t in self.tickets.items()}
        return path.format(track=track, survey=survey, id=ids)


def _example(service: str) -> dict[str, Any]:
    schema = json.loads((ROOT / "form_schemas" / f"{service}.json").read_text(encoding="utf-8"))
    example: dict[str, Any] = schema["examples"][0]
    return example


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = tmp_path_factory.mktemp("axe") / "axe.db"
    with running_server(db, "--demo") as base:
        token = subprocess.run(
            [sys.executable, "-m", "server", "token", "create", "customer_service", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        staff = {"Authorization": f"Bearer {token}"}
        tickets: dict[str, dict[str, Any]] = {}
        for name, action, data in [
            ("open", None, {}),
            ("asked", "request_clarification", _example("clarification")),
            ("closed", "reply_and_close", _example("reply")),
        ]:
            created = httpx.post(
                f"{base}/api/services/inquiries/tickets", json=_example("inquiries"), timeout=30
            )
            assert created.status_code == 201, created.text
            tickets[name] = created.json()
            if action:
                acted = httpx.post(
                    f"{base}/api/tickets/{tickets[name]['id']}/actions/{action}",
                    json={"data": data, "expected_version": tickets[name]["version"]},
                    headers=staff,
                    timeout=30,
                )
                assert acted.status_code == 200, acted.text
        yield Site(base, tickets)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p)
        try:
            yield chromium
        finally:
            chromium.close()


# --- crawling --------------------------------------------------------------------------------------------


def normalise(url: str, base: str) -> str | None:
    """The path and kept query of a same-origin page worth checking; None for anything else."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != base:
        return None
    path = parts.path or "/"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if path.startswith(SKIP_PREFIXES) or "." in last:  # downloads: export.csv, definitions.json…
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query) if k in KEPT_QUERY]
    return path + (f"?{urlencode(query)}" if query else "")


def kind(address: str) -> str:
    """The kind of page: its address with the ids replaced by ``*`` (``/admin/users/7`` → ``admin/users/*``);
    a task-list view stays apart (``staff/tasks?view=mine``)."""
    path, _, query = address.partition("?")
    segments = [s for s in path.split("/") if s]
    fixed = 2 if segments and segments[0] in ("admin", "staff") else 1
    shape = [
        "*" if s.isdigit() or (i >= fixed and not (i == len(segments) - 1 and i > fixed)) else s
        for i, s in enumerate(segments)
    ]
    view = dict(parse_qsl(query)).get("view")
    return "/".join(shape) + (f"?view={view}" if view else "")


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@dataclass
class Audit:
    """The pages checked and the problems found, for one role in one language."""

    role: str
    lang: str
    base: str
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check(self, page: Any, label: str, status: int | None = None) -> None:
        """Run axe on what ``page`` shows now; ``label`` names it in the report."""
        self.checked.append(label)
        if status is not None and status >= 500:
            self.problems.append(f"{label} [{self.lang}]: HTTP {status}")
            return
        # what closed <details> hold (a ticket's action forms, the queue's filters) is checked too
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        settle(page)
        page.add_script_tag(path=str(AXE))
        for v in page.evaluate(AXE_RUN):
            where = "; ".join(v["targets"]) + (f" (+{v['count'] - 3} more)" if v["count"] > 3 else "")
            self.problems.append(f"{label} [{self.lang}]: {v['id']} ({v['impact']}) — {v['help']} — {where}")

    def visit(self, page: Any, address: str) -> tuple[str, list[str]]:
        """Open ``address`` and check it if it is an HTML page (not a download shown by the browser).
        Returns the address it ended at (after redirects) and the normalised same-origin links of the page
        and of its header (header links first, marked with a leading ``!``)."""
        response = page.goto(self.base + address, wait_until="load")
        final = normalise(page.url, self.base) or address
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            return final, []
        settle(page)
        self.check(page, address if final == address else f"{address} → {final}", response.status)
        links: list[str] = page.evaluate(
            """() => [...document.querySelectorAll("header a[href]")].map(a => "!" + a.href)
                .concat([...document.querySelectorAll("a[href]")].map(a => a.href))"""
        )
        out = []
        for link in links:
            header = link.startswith("!")
            found = normalise(link.removeprefix("!"), self.base)
            if found is not None:
                out.append(("!" if header else "") + found)
        return final, out


def settle(page: Any) -> None:
    """Let the HTMX requests fired on load finish (htmx marks their elements ``htmx-request``); a page
    still busy after 5 s is checked as it is."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("() => !document.querySelector('.htmx-request')", timeout=5000)


def crawl(audit: Audit, page: Any, role: Role, site: Site) -> None:
    queue = [site.fill(s) for s in role.seeds]
    seeds = len(queue)
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    while queue and len(audit.checked) < role.budget:
        address = queue.pop(0)
        seeded, seeds = seeds > 0, seeds - 1
        header = address.startswith("!")
        address = address.removeprefix("!")
        if address in seen:
            continue
        if not seeded:
            k = kind(address)
            if kinds[k] >= CAPS.get(k, CAP) or not (header or role.follow(address)):
                continue
        seen.add(address)
        kinds[kind(address)] += 1
        final, links = audit.visit(page, address)
        if final not in seen:  # redirected (to the log-in page…): that page counts as checked too
            seen.add(final)
            kinds[kind(final)] += 1
        queue.extend(links)


# --- pages reached by posting a form --------------------------------------------------------------------


def form_names(value: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    """A form value as the page's field names: ``{"items": [{"item": "x"}]}`` → ``items[0][item]``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from form_names(item, f"{name}[{key}]" if name else key)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield from form_names(value[0], f"{name}[0]")  # the first row of a repeatable group
    else:
        yield name, value


def fill_example(page: Any, example: dict[str, Any]) -> list[str]:
    """Fill a form's fields from its schema's example (text, radios, check boxes, selects, text areas; the
    first row of a repeatable group), letting the fields that a choice reveals appear. Returns the names of
    the fields it did not find."""
    missing = []
    for name, value in form_names(example):
        control = page.locator(f'main form [name="{name}"]').first
        if not control.count():
            missing.append(name)
            continue
        tag = control.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if tag in ("input:radio", "input:checkbox"):
            for one in value if isinstance(value, list) else [value]:
                page.locator(f'main form [name="{name}"][value="{one}"]').check()
            settle(page)
        elif tag.startswith("select"):
            control.select_option(str(value))
            settle(page)
        else:
            control.fill(str(value))
    return missing


def submit(page: Any, form: str = "main form") -> None:
    """Press the (last) visible submit button of ``form`` that is not a repeatable group's add/remove."""
    page.locator(f"{form} button[type=submit]:not([name=_group]):visible").last.click()
    page.wait_for_load_state("load")
    settle(page)


def send(audit: Audit, page: Any, service: str) -> None:
    """Check a service's form as sent empty (the error summary), then fill it from its schema's example
    and send it, checking every page on the way (a "check your answers" step) and the "request sent"
    page."""
    path = f"/services/{service}/apply"
    page.goto(audit.base + path)
    settle(page)
    submit(page)
    audit.check(page, f"{path} (sent empty)")
    page.goto(audit.base + path)
    settle(page)
    missing = fill_example(page, _example(service))
    for step in range(3):
        submit(page)
        if "/track/" in page.url:
            audit.check(page, f"{path} → /track/… (request sent)")
            return
        audit.check(page, f"{path} (step {step + 2}: {urlsplit(page.url).path})")
    audit.problems.append(
        f"{path}: the form filled from its schema's example was not sent ({page.url}); "
        f"fields not found: {', '.join(missing) or 'none'}"
    )


def posted_pages(audit: Audit, page: Any, role: str, site: Site) -> None:
    if role == "anonymous":
        send(audit, page, "inquiries")
        for label, address, form in [
            (
                "the clarification answered empty",
                site.fill("{track[asked]}"),
                "main form[action*='/actions/']",
            ),
            ("the survey sent empty", site.fill("{survey[closed]}"), "main form"),
        ]:
            page.goto(audit.base + address)
            settle(page)
            submit(page, form)
            audit.check(page, f"{address.split('?')[0]} ({label})")
        page.goto(audit.base + "/login")
        page.fill("#username", "nobody")
        page.fill("#password", "wrong password")
        submit(page)
        audit.check(page, "/login (wrong password)")
    elif role == "requester":  # also gives the requester a ticket of their own for the pages crawled next
        send(audit, page, "supplies")


# --- the test -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", list(ROLES))
def test_no_serious_accessibility_issue(site: Site, browser: Any, role: str, lang: str) -> None:
    assert AXE.exists(), f"{AXE.relative_to(ROOT)} is missing: run `make axe` (npm ci --prefix tests/axe)"
    context = browser.new_context(
        locale="ar-SA" if lang == "ar" else "en-GB",
        viewport={"width": 1100, "height": 900},
        bypass_csp=True,  # axe is injected as an inline script
    )
    context.add_cookies([{"name": "lang", "value": lang, "url": site.base}])
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        spec = ROLES[role]
        if spec.username:
            log_in(page, site.base, spec.username, PASSWORD)
        audit = Audit(role, lang, site.base)
        posted_pages(audit, page, role, site)
        crawl(audit, page, spec, site)
    finally:
        context.close()
    assert audit.checked
    assert not audit.problems, (
        f"{len(audit.problems)} serious or critical accessibility issue(s) as {role} in {lang} "
        f"({len(audit.checked)} pages checked):\n"
        + "\n".join(audit.problems)
        + "\npages checked: "
        + ", ".join(audit.checked)
    )


def test_axe_reports_what_it_should(browser: Any) -> None:
    """The check itself works: axe, injected as above, reports an unlabelled field and an image without
    text as critical."""
    assert AXE.exists(), f"{AXE.relative_to(ROOT)} is missing: run `make axe` (npm ci --prefix tests/axe)"
    page = browser.new_page(bypass_csp=True)
    try:
        page.set_content(
            '<html lang="en"><title>t</title><main><h1>t</h1><img src="x.png"><input></main></html>'
        )
        audit = Audit("nobody", "en", "")
        audit.check(page, "sample")
    finally:
        page.close()
    assert [p.split(": ", 1)[1].split(" ")[0] for p in audit.problems] == ["image-alt", "label"]
