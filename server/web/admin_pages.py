"""The service editor (issue 6): list, create, copy, disable services; edit a draft with validation as
you type and a live preview; publish; version history with diffs; move running tickets. And the
organisation file, checked against every service and published as a new version of every service.

The form and workflow builders are in ``admin_builder.py``.

Administrators only (``admin_required``: the ``administer`` capability): anyone else logged in gets
403, an anonymous visitor the log-in page. The rules and the pages' data are in ``server/admin/``
(``editor``, ``draft_page``, ``history``, ``organisation``); these handlers parse, call one service
and answer.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Redirect, Template

from server.admin import editor, history, organisation, past_versions
from server.admin.draft_page import EditPage
from server.web.admin_forms import AnyRequest, answer, found
from server.web.deps import CurrentUser, Lang, RuntimeDep, template_env
from server.web.forms import read_post
from server.web.guards import admin_required
from server.web.params import PathStr, QueryInt, QueryStr
from server.web.rendering import page_context, render

page_context("admin/services.html")(editor.ServicesPage)
page_context("admin/service_form.html")(editor.ServiceFormPage)
page_context("admin/edit.html", "admin/_check.html")(EditPage)
page_context("admin/versions.html")(past_versions.VersionsPage)
page_context("admin/migrate.html")(history.MigratePage)
page_context("admin/organisation.html")(organisation.OrganisationPage)


class AdminServicePages(Controller):
    path = "/admin/services"
    include_in_schema = False
    guards = [admin_required]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/")
    async def services(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, notice: QueryStr = ""
    ) -> Template:
        return render(
            request, "admin/services.html", await editor.services_page(runtime, page_lang, notice=notice)
        )

    @post("/new", status_code=200)
    async def create(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, user: CurrentUser
    ) -> Template | Redirect:
        outcome = await editor.create_service(runtime, page_lang, (await read_post(request)).values, user)
        return answer(request, outcome, "admin/services.html", "/admin/services/{done}/edit")

    @post("/{service_id:str}/copy", status_code=200)
    async def copy(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
    ) -> Template | Redirect:
        values = (await read_post(request)).values
        outcome = await editor.copy_service(runtime, page_lang, service_id, values, user)
        return answer(request, outcome, "admin/services.html", "/admin/services/{done}/edit")

    @post("/{service_id:str}/{switch:str}", status_code=200)
    async def switch(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
        switch: PathStr,
    ) -> Template | Redirect:
        """``/disable`` or ``/enable``: a new version with ``published`` false or true."""
        env = template_env(request)
        outcome = await editor.switch_service(runtime, env, page_lang, service_id, switch, user)
        return answer(request, outcome, "admin/edit.html", "/admin/services?notice={done}")

    @get("/{service_id:str}/edit")
    async def edit(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, service_id: PathStr
    ) -> Template:
        page = await editor.draft_page(runtime, template_env(request), page_lang, service_id)
        return render(request, "admin/edit.html", found(page))

    @get("/{service_id:str}/service")
    async def service_definition(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, service_id: PathStr
    ) -> Template:
        """The service definition as a form drawn by our renderer from the service meta-schema."""
        page = await editor.service_form_page(runtime, template_env(request), page_lang, service_id)
        return render(request, "admin/service_form.html", found(page))

    @post("/{service_id:str}/service", status_code=200)
    async def save_service_definition(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
    ) -> Template | Redirect:
        values = (await read_post(request)).values
        outcome = await editor.save_service_form(
            runtime, template_env(request), page_lang, service_id, values, user
        )
        return answer(request, outcome, "admin/service_form.html", "/admin/services/{done}/edit")

    @post("/{service_id:str}/check", status_code=200)
    async def check(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, service_id: PathStr
    ) -> Template:
        """HTMX: the errors of the draft as typed (beside each file, out of band) and the preview."""
        values = (await read_post(request)).values
        page = await editor.check_draft(runtime, template_env(request), page_lang, service_id, values)
        return render(request, "admin/_check.html", found(page))

    @post("/{service_id:str}/draft", status_code=200)
    async def save(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
    ) -> Template:
        values = (await read_post(request)).values
        page = await editor.save_draft(runtime, template_env(request), page_lang, service_id, values, user)
        return render(request, "admin/edit.html", found(page))

    @post("/{service_id:str}/publish", status_code=200)
    async def publish(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
    ) -> Template | Redirect:
        values = (await read_post(request)).values
        outcome = await editor.publish_draft(
            runtime, template_env(request), page_lang, service_id, values, user
        )
        return answer(request, outcome, "admin/edit.html", "/admin/services?notice={done}")

    @get("/{service_id:str}/versions")
    async def versions(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        service_id: PathStr,
        a: QueryInt = 0,
        b: QueryInt = 0,
    ) -> Template:
        page = await past_versions.versions_page(runtime, service_id, a, b, lang=page_lang)
        return render(request, "admin/versions.html", found(page))

    @get("/{service_id:str}/migrate")
    async def migration_report(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        service_id: PathStr,
        from_version: QueryInt = 0,
        to_version: QueryInt = 0,
    ) -> Template:
        query = request.query_params  # ?from=…&to=… (the names the versions page links with)
        asked = history.Migration(
            from_version=_number(query.get("from"), from_version),
            to_version=_number(query.get("to"), to_version),
            dry_run=False,
        )
        page = await history.migrate_page(runtime, service_id, asked, lang=page_lang)
        return render(request, "admin/migrate.html", found(page))

    @post("/{service_id:str}/migrate", status_code=200)
    async def migration_run(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
    ) -> Template:
        """A dry run (``dry_run=1``: each ticket's plan) or the move (``dry_run=0``)."""
        asked = history.Migration.posted((await read_post(request)).values)
        page = await history.migrate_page(runtime, service_id, asked, run_by=user, lang=page_lang)
        return render(request, "admin/migrate.html", found(page))


def _number(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) <= 9 else default


class AdminOrganisationPage(Controller):
    """The organisation file (roles, departments, channels, calendar…), checked against every service and
    published as a new version of every service."""

    path = "/admin/organisation"
    include_in_schema = False
    guards = [admin_required]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/")
    async def show(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, notice: QueryStr = ""
    ) -> Template:
        page = organisation.organisation_page(runtime, page_lang, published=bool(notice))
        return render(request, "admin/organisation.html", page)

    @post("/", status_code=200)
    async def submit(
        self, request: AnyRequest, runtime: RuntimeDep, user: CurrentUser
    ) -> Template | Redirect:
        outcome = await organisation.submit(runtime, (await read_post(request)).values, user)
        return answer(request, outcome, "admin/organisation.html", "/admin/organisation?notice={done}")
