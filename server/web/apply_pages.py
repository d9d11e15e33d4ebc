"""Applying for a service: the form, "check your answers", and the HTMX fragments of the form.

Everything works without JavaScript (a group's add/remove buttons post the whole form); with HTMX a
group button re-renders that group alone, a field that conditions read re-renders the fields, and
every other field is validated as it is left.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Response, Template

from server.requests import submission
from server.requests.answers import CheckAnswersPage
from server.web.answering import AnyRequest, fragment, respond
from server.web.deps import Lang, RuntimeDep, Viewer
from server.web.forms import read_post
from server.web.params import PathStr
from server.web.rendering import page_context

page_context("apply.html")(submission.ApplyPage)
page_context("check_answers.html")(CheckAnswersPage)


class ApplyPages(Controller):
    path = "/services/{service_id:str}/apply"
    include_in_schema = False

    @get("/")
    async def form(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        viewer: Viewer,
        page_lang: Lang,
        service_id: PathStr,
        caller: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    ) -> Template | Redirect:
        page = await submission.apply_form(runtime, service_id, viewer, page_lang, caller=caller)
        return respond(request, page, page_lang)

    @post("/", status_code=200)
    async def submit(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        viewer: Viewer,
        page_lang: Lang,
        service_id: PathStr,
    ) -> Template | Redirect:
        posted = await read_post(request)
        result = await submission.submit(runtime, service_id, posted.values, posted.files, viewer, page_lang)
        return respond(request, result, page_lang)

    @post("/fields", status_code=200)
    async def fields(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, service_id: PathStr
    ) -> Response[str]:
        """HTMX: a group after its add/remove button, or the fields after a change conditions read."""
        posted = await read_post(request)
        return fragment(await submission.fields_fragment(runtime, service_id, posted.values, page_lang))

    @post("/validate", status_code=200)
    async def validate(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, service_id: PathStr
    ) -> Response[str]:
        """HTMX: one field re-rendered with its error (or none) as it is left."""
        posted = await read_post(request)
        trigger = request.headers.get("hx-trigger-name") or ""
        found = await submission.validate_fragment(runtime, service_id, posted.values, trigger, page_lang)
        return fragment(found)
