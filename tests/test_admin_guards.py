"""Who opens the administration and the exports: the guards read the organisation's capabilities
(``administer``, ``export``), so no role id is written in the code.

Anonymous → the log-in page, which comes back to the page; staff without the capability → 403;
a role with it → the page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from server.admin.editor import new_service_roles
from server.runtime import load_shipped
from server.settings import Settings
from tests.test_requester_pages import login
from tests.web import client_for, csrf_of, html

ADMIN_PAGES = [
    "/admin/services",
    "/admin/services/supplies/edit",
    "/admin/services/supplies/service",
    "/admin/services/supplies/build/form",
    "/admin/services/supplies/build/workflow",
    "/admin/services/supplies/versions",
    "/admin/services/supplies/migrate?from=1&to=1",
    "/admin/organisation",
    "/admin/users",
    "/admin/replies",
    "/admin/lookups",
    "/admin/lookups/custody",
]
EXPORT_PAGES = ["/exports/", "/exports/definitions", "/exports/changes", "/exports/guide?lang=en"]


async def test_anonymous_visitors_are_sent_to_log_in_and_back(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        for url in ADMIN_PAGES + EXPORT_PAGES:
            answer = await client.get(url, follow_redirects=False)
            assert answer.status_code == 303, url
            location = answer.headers["location"]
            assert location.startswith("/login?next="), url
            assert unquote(location.removeprefix("/login?next=")).rstrip("/") == url.rstrip("/"), url
        api = await client.get("/api/export/definitions")
        assert api.status_code == 401 and api.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("roles", "department"),
    [(["department_head"], "classrooms"), (["customer_service"], "customer_service"), (["auditor"], None)],
)
async def test_staff_without_the_administer_capability_get_403(
    tmp_path: Path, roles: list[str], department: str | None
) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "someone", roles, department)
        for url in ADMIN_PAGES:
            assert (await client.get(url)).status_code == 403, url
        csrf = csrf_of((await client.get("/")).text)
        for url in ["/admin/services/new", "/admin/organisation/", "/admin/services/supplies/publish"]:
            sent = await client.post(
                url, data={"_csrf_token": csrf, "service_id": "x"}, follow_redirects=False
            )
            assert sent.status_code == 403, url


async def test_an_administrator_opens_every_administration_page(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"], "directorate")
        for url in ADMIN_PAGES:
            page = await client.get(url)
            assert page.status_code == 200, url
            assert html(page.text).css_first("h1") is not None, url


@pytest.mark.parametrize(("roles", "department"), [(["auditor"], None), (["administrator"], "directorate")])
async def test_a_role_with_the_export_capability_opens_the_exports(
    tmp_path: Path, roles: list[str], department: str | None
) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "someone", roles, department)
        for url in EXPORT_PAGES:
            assert (await client.get(url)).status_code == 200, url


@pytest.mark.parametrize(
    ("roles", "department"),
    [(["department_head"], "classrooms"), (["customer_service"], "customer_service"), (["requester"], None)],
)
async def test_other_users_get_403_on_the_exports(
    tmp_path: Path, roles: list[str], department: str | None
) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "someone", roles, department)
        for url in EXPORT_PAGES:
            assert (await client.get(url)).status_code == 403, url


def test_a_new_service_starts_in_the_intake_department_with_an_intake_role() -> None:
    org = load_shipped(Settings()).organisation
    department, handler, requester = new_service_roles(org)
    assert org.departments[department].intake
    assert "intake" in org.roles[handler].capabilities
    assert org.roles[requester].scope == "requester"
