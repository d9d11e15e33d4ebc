"""The form and workflow builders (issue 13, ``/admin/services/{id}/build/…``): a service's form and
workflow edited without JSON, one operation at a time, each saved into the same draft as the JSON
view: 303 back to the builder when done, the builder again with 422 and each error beside its input
when refused. Administrators only (``admin_required``). The rules are in ``server/admin/``
(``form_builder*``, ``workflow_builder*``, ``builder_*``); these handlers parse, call one service and
answer.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Redirect, Template

from server.admin.form_builder_page import FormBuilderPage, change_form, form_page
from server.admin.workflow_builder_page import WorkflowBuilderPage, change_workflow, workflow_page
from server.web.admin_forms import AnyRequest, answer, found
from server.web.deps import CurrentUser, Lang, RuntimeDep, template_env
from server.web.forms import read_post
from server.web.guards import admin_required
from server.web.params import PathStr, QueryStr
from server.web.rendering import page_context, render

page_context("admin/builder/form.html")(FormBuilderPage)
page_context("admin/builder/workflow.html")(WorkflowBuilderPage)

FORM = "/admin/services/{done}"
WORKFLOW = "/admin/services/{done}/build/workflow"


class AdminBuilderPages(Controller):
    """The form and workflow builders (rules in ``server/admin/form_builder*.py``,
    ``server/admin/workflow_builder*.py``)."""

    path = "/admin/services/{service_id:str}/build"
    include_in_schema = False
    guards = [admin_required]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/form")
    async def form(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        service_id: PathStr,
        edit: QueryStr = "",
        kind: QueryStr = "",
        into: QueryStr = "",
        file: QueryStr = "",
    ) -> Template:
        """The fields; ``?edit=PATH`` opens a field's editor, ``?kind=KIND&into=GROUP`` a new one's;
        ``?file=FORM`` edits an action form of the draft instead of the service's own."""
        env = template_env(request)
        page = await form_page(
            runtime, env, page_lang, service_id, editing=edit, kind=kind, into=into, form=file
        )
        return render(request, "admin/builder/form.html", found(page))

    @post("/form/{operation:str}", status_code=200)
    async def change_form(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
        operation: PathStr,
    ) -> Template | Redirect:
        """``add``, ``edit``, ``remove``, ``up``, ``down``, ``move`` (a field), ``preview`` (nothing saved)."""
        values = (await read_post(request)).values
        env = template_env(request)
        outcome = await change_form(runtime, env, page_lang, service_id, operation, values, user)
        return answer(request, outcome, "admin/builder/form.html", FORM)

    @get("/workflow")
    async def workflow(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        service_id: PathStr,
        kind: QueryStr = "",
        id: QueryStr = "",
    ) -> Template:
        """States, actions and timers; ``?kind=state|action|timer`` (``&id=ID``) opens an editor."""
        env = template_env(request)
        page = await workflow_page(runtime, env, page_lang, service_id, kind=kind, original=id)
        return render(request, "admin/builder/workflow.html", found(page))

    @post("/workflow/{kind:str}/{operation:str}", status_code=200)
    async def change_workflow(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user: CurrentUser,
        service_id: PathStr,
        kind: PathStr,
        operation: PathStr,
    ) -> Template | Redirect:
        """``save`` or ``remove`` a state, action or timer (``original``: the one changed; empty: new)."""
        values = (await read_post(request)).values
        original = (values.get("original") or [""])[0]
        env = template_env(request)
        outcome = await change_workflow(
            runtime, env, page_lang, service_id, kind, operation, original, values, user
        )
        return answer(request, outcome, "admin/builder/workflow.html", WORKFLOW)
