"""The satisfaction survey of a closed ticket."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Redirect, Template

from server.requests import surveys
from server.web.answering import AnyRequest, respond
from server.web.deps import Lang, RuntimeDep
from server.web.forms import read_post
from server.web.params import PathStr, QueryOptStr
from server.web.rendering import page_context

page_context("survey.html")(surveys.SurveyPage)


class SurveyPages(Controller):
    path = "/survey"
    include_in_schema = False

    @get("/{number:str}")
    async def show(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        number: PathStr,
        code: QueryOptStr = None,
    ) -> Template | Redirect:
        return respond(request, await surveys.survey_page(runtime, number, code, page_lang), page_lang)

    @post("/{number:str}", status_code=200)
    async def answer(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, number: PathStr
    ) -> Template | Redirect:
        posted = await read_post(request)
        return respond(request, await surveys.answer(runtime, number, posted.values, page_lang), page_lang)
