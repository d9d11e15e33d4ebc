"""Helpers other controllers still import from here (the requester's pages themselves moved to
``catalogue_pages``, ``apply_pages``, ``track_pages``, ``survey_pages`` and ``language``, their rules
to ``server/requests``). Prefer ``server.web.forms.read_post`` and
``server.requests.submission.store_form_uploads``; remove this module once nothing imports it."""

from __future__ import annotations

from typing import Any

import jinja2
from litestar import Request
from litestar.datastructures import State, UploadFile
from litestar.plugins.jinja import JinjaTemplateEngine

from server.definitions.model import Form
from server.requests.submission import store_form_uploads
from server.validation import FieldError
from server.web.forms import read_post

AnyRequest = Request[Any, Any, State]


def _jinja(request: AnyRequest) -> jinja2.Environment:
    engine = request.app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    return engine.engine


async def _post_items(request: AnyRequest) -> tuple[dict[str, list[str]], dict[str, list[UploadFile]]]:
    posted = await read_post(request)
    return posted.values, posted.files


async def _store_uploads(
    runtime: Any,
    form: Form,
    uploads: dict[str, list[UploadFile]],
    data: dict[str, Any],
    ticket_id: int | None = None,
) -> tuple[list[FieldError], dict[str, str]]:
    return await store_form_uploads(runtime, form, uploads, data, ticket_id)
