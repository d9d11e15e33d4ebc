"""The application factory: ``create_app(settings)`` builds one Litestar app.

The definitions tree is checked when the app is built (an invalid tree refuses to start); the
store is opened by the lifespan, which publishes the shipped definitions on first start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import jinja2
import msgspec
from litestar import Litestar, Request, Response, get
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from server.i18n import t
from server.notify.problems import outbox_counts
from server.paths import PACKAGE, shipped_root
from server.reports.schedule import report_schedule  # scheduled report e-mails (issue 11)
from server.runtime import DefinitionsInvalid, Runtime, load_shipped
from server.settings import Settings
from server.web.admin_builder import AdminBuilderPages  # /admin/services/{id}/build/form|workflow
from server.web.admin_directory import AdminDirectoryPages  # /admin/users, /admin/replies, /admin/lookups
from server.web.admin_outbox import AdminOutboxPages  # /admin/outbox
from server.web.admin_pages import (  # /admin/services, /admin/organisation
    AdminOrganisationPage,
    AdminServicePages,
)
from server.web.api import ServicesAPI, TrackAPI
from server.web.apply_pages import ApplyPages
from server.web.auth import AuthAPI, AuthMiddleware, AuthPages  # accounts: log-in, sessions, tokens
from server.web.catalogue_pages import CataloguePages
from server.web.csrf import CSRF, csrf_config
from server.web.demo_pages import AdminDemoPages  # /admin/demo/sent
from server.web.deps import DEPENDENCIES, RuntimeDep, language, resolve_in_sequence
from server.web.exports_api import ExportPages, ExportsAPI  # auditor exports: /api/export/…, /exports/…
from server.web.guards import LoginRequired, is_api, login_redirect
from server.web.integrations_api import IntegrationsAPI  # integrations: Tawasul, Itqan, mail gateway
from server.web.language import set_language
from server.web.limits import InputRefused, LimitsMiddleware  # request budgets, rate limits
from server.web.rendering import page_context, render
from server.web.replies_pages import RepliesPages  # /staff/replies
from server.web.report_pages import ReportPages, ReportsAPI  # reports (issue 11)
from server.web.security_headers import security_headers  # CSP, framing, no-store
from server.web.staff_api import TicketsAPI  # staff ticket API: /api/tickets/{id}
from server.web.staff_tasks import StaffTaskPages, TasksAPI  # the staff task lists
from server.web.staff_ticket import StaffTicketPages  # the staff ticket page, actions, attachments
from server.web.survey_pages import SurveyPages
from server.web.track_pages import MyTicketsPages, TrackingPages
from server.web.whatsapp_api import WhatsAppWebhook  # /api/whatsapp/webhook (service 9)

__all__ = ["DefinitionsInvalid", "create_app"]


@page_context("error.html")
class ErrorPage(msgspec.Struct, frozen=True):
    title: str
    text: str


@get("/healthz")
async def healthz(runtime: RuntimeDep) -> dict[str, object]:
    """Up, with the services published and the notifications not delivered (``notifications``:
    pending, sending, failed — waiting for a retry —, dead — failed for good — and undeliverable).
    The services are counted from the cached latest versions (read again only after a publish): a load
    balancer's every poll read and parsed every bundle before, 6 ms of CPU each."""
    return {
        "status": "ok",
        "services": len(await runtime.tickets.latest_versions()),
        "notifications": dict(await outbox_counts(runtime.store)),
    }


def _error(request: Request[Any, Any, State], exc: Exception) -> Response[Any] | Template:
    """Never a stack trace to a user: a JSON body under /api, a bilingual page elsewhere."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if isinstance(exc, LoginRequired) and not is_api(request):
        # a page needs a log-in: the log-in page, which comes back here (HTMX follows HX-Redirect)
        redirect = login_redirect(request)
        if request.headers.get("hx-request") == "true":
            return Response(b"", status_code=204, headers={"HX-Redirect": redirect.url})
        return redirect
    if isinstance(exc, InputRefused):
        return _refused(request, exc)
    if status == 500:
        request.logger.exception("unhandled error on %s %s", request.method, request.url.path)
    if is_api(request) or request.url.path.startswith("/schema"):
        detail = (
            exc.detail if isinstance(exc, HTTPException) and status != 500 else "internal error / خطأ داخلي"
        )
        extra = getattr(exc, "extra", None)
        body: dict[str, Any] = {"status_code": status, "detail": detail}
        if isinstance(extra, dict):
            body.update(extra)
        headers = getattr(exc, "headers", None) if isinstance(exc, HTTPException) else None
        return Response(body, status_code=status, headers=headers or None)
    try:
        lang = language(request)
    except Exception:  # the error may come from before the runtime exists
        lang = "ar"
    if status == 404:
        page = ErrorPage(t("page_not_found", lang), t("page_not_found_text", lang))
    elif status == 403 and "csrf" in str(getattr(exc, "detail", "")).lower():
        page = ErrorPage(t("forbidden", lang), t("csrf_failed", lang))
    elif isinstance(exc, PermissionDeniedException | NotAuthorizedException):
        page = ErrorPage(t("forbidden", lang), t("forbidden_text", lang))
    else:
        page = ErrorPage(t("error_title", lang), t("error_text", lang))
    return render(request, "error.html", page, status_code=status, lang=lang)


def _refused(request: Request[Any, Any, State], exc: InputRefused) -> Response[Any] | Template:
    """A request refused before it was read: its reason in both languages (API) or the page's."""
    ar, en = (t(exc.key, lang).format(**exc.values) for lang in ("ar", "en"))
    if is_api(request) or request.url.path.startswith("/schema"):
        body = {"status_code": exc.status_code, "detail": f"{en} / {ar}", "reason": exc.key}
        body["messages"] = {"ar": ar, "en": en}
        return Response(body, status_code=exc.status_code, headers=exc.headers or None)
    try:
        lang = language(request)
    except Exception:  # the error may come from before the runtime exists
        lang = "ar"
    page = ErrorPage(t("input_refused", lang), ar if lang == "ar" else en)
    return render(request, "error.html", page, status_code=exc.status_code, lang=lang, headers=exc.headers)


def _configure(debug: bool) -> Callable[[JinjaTemplateEngine], None]:
    def configure(engine: JinjaTemplateEngine) -> None:
        """A template that reads a name its context lacks fails (``StrictUndefined``) instead of
        rendering blank; ``tests/test_template_contexts.py`` renders every page template so. The page
        templates are the installation's own files, compiled once per process: Jinja does not look at
        each one's modification time again on every page (three ``stat`` calls a form page) unless
        ``debug`` is set."""
        engine.engine.undefined = jinja2.StrictUndefined
        engine.engine.auto_reload = debug

    return configure


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    catalogue = load_shipped(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime = await Runtime.open(settings, catalogue, background=(report_schedule,))
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.close()

    app = Litestar(
        route_handlers=[
            healthz,
            ServicesAPI,
            TrackAPI,
            CataloguePages,  # /, /services/{id}
            ApplyPages,  # /services/{id}/apply (+ /fields, /validate)
            TrackingPages,  # /track, /track/{number}
            MyTicketsPages,  # /my/tickets
            SurveyPages,
            set_language,
            AuthPages,  # /login, /logout
            AuthAPI,  # /api/me
            StaffTicketPages,  # /staff/tickets/{id}, /staff/ready-replies, /staff/attachments/{id}
            TicketsAPI,  # /api/tickets/{id}, /api/tickets/{id}/actions/{action}
            StaffTaskPages,  # /staff/tasks
            AdminServicePages,
            AdminOrganisationPage,  # /admin/services: drafts, publish, versions, migrations
            AdminBuilderPages,  # /admin/services/{id}/build/form, /build/workflow: the builders
            TasksAPI,  # /api/tasks
            ReportPages,  # /reports
            ReportsAPI,  # /api/reports
            IntegrationsAPI,  # /api/integrations/tawasul/tickets, itqan/reports, mail
            AdminDirectoryPages,  # users, ready replies, lookup tables (administrators)
            AdminOutboxPages,  # /admin/outbox: undelivered notifications, sending again
            AdminDemoPages,  # /admin/demo/sent: what the demo's loopback gateway stand-ins received
            RepliesPages,  # /staff/replies: the customer-service replies log (page, CSV, XLSX)
            WhatsAppWebhook,  # /api/whatsapp/webhook: the Cloud API's handshake and signed events
            ExportsAPI,  # /api/export/definitions, workflows/…, guide, audit, changes, services/{id}/versions…
            ExportPages,  # the same, in the browser for a logged-in auditor
            create_static_files_router(
                path="/static",
                directories=[PACKAGE / "static"],
                cache_control=CacheControlHeader(max_age=86400, public=True),
            ),
        ],
        lifespan=[lifespan],
        # the current user in scope['khidma_user']; then the request budgets and rate limits; then the
        # CSRF check, innermost, where Litestar puts its own (server/web/csrf.py)
        middleware=[
            AuthMiddleware(settings),
            LimitsMiddleware(settings),
            DefineMiddleware(CSRF, config=csrf_config(settings)),
        ],
        before_send=[security_headers],
        state=State({"settings": settings}),
        template_config=TemplateConfig(
            directory=shipped_root() / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_configure(settings.debug),
        ),
        dependencies=DEPENDENCIES,
        exception_handlers={Exception: _error},
        openapi_config=OpenAPIConfig(
            title="khidma",
            version="0.1.0",
            path="/schema",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API token from `khidma token create` (docs/api.md)",
                    )
                }
            ),
        ),
        request_max_body_size=settings.max_upload_bytes,
        multipart_form_part_limit=settings.max_form_fields,
        debug=settings.debug,
    )
    return resolve_in_sequence(app)
