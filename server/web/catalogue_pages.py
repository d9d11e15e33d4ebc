"""The service guide: the catalogue and each service's page."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Redirect, Template

from server.requests import catalogue
from server.web.answering import AnyRequest, respond
from server.web.deps import Lang, RuntimeDep, Viewer
from server.web.params import PathStr
from server.web.rendering import page_context

page_context("catalogue.html")(catalogue.CataloguePage)
page_context("service.html")(catalogue.ServicePage)


class CataloguePages(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def catalogue(
        self, request: AnyRequest, runtime: RuntimeDep, viewer: Viewer, page_lang: Lang
    ) -> Template | Redirect:
        return respond(request, await catalogue.catalogue_page(runtime, viewer, page_lang), page_lang)

    @get("/services/{service_id:str}")
    async def service(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        viewer: Viewer,
        page_lang: Lang,
        service_id: PathStr,
    ) -> Template | Redirect:
        return respond(
            request, await catalogue.service_page(runtime, service_id, viewer, page_lang), page_lang
        )
