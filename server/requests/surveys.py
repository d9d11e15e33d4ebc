"""The satisfaction survey of a closed ticket: one response per ticket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import msgspec

from server.definitions.catalogue import CompiledService
from server.i18n import t
from server.requests.results import MISSING, Missing, Shown
from server.requests.track_view import code_matches
from server.runtime import Runtime
from server.store.interface import AlreadyExists
from server.store.records import Ticket


class SurveyQuestionView(msgspec.Struct, frozen=True):
    id: str
    label: str
    scale: int
    error: str


class SurveyPage(msgspec.Struct, frozen=True):
    number: str
    code: str
    title: str
    service: str
    questions: list[SurveyQuestionView]
    comment: bool
    state: str
    """``open`` (the form), ``not_yet`` (ticket not closed), ``done`` (already rated), ``thanks``."""

    @property
    def has_errors(self) -> bool:
        return any(q.error for q in self.questions)


async def _load(runtime: Runtime, number: str, code: str | None) -> tuple[Ticket, CompiledService] | None:
    ticket = await runtime.store.get_ticket_by_number(number)
    if ticket is None or not code_matches(ticket, code):
        return None
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    if compiled.service.survey is None:
        return None
    return ticket, compiled


def _page(
    ticket: Ticket, compiled: CompiledService, lang: str, state: str, errors: Mapping[str, str] | None = None
) -> SurveyPage:
    survey = compiled.organisation.surveys[compiled.service.survey or ""]
    return SurveyPage(
        number=ticket.number,
        code=ticket.tracking_code,
        title=survey.title.get(lang),
        service=compiled.service.name.get(lang),
        questions=[
            SurveyQuestionView(
                id=q.id, label=q.label.get(lang), scale=q.scale, error=(errors or {}).get(q.id, "")
            )
            for q in survey.questions
        ],
        comment=survey.comment,
        state=state,
    )


async def survey_page(runtime: Runtime, number: str, code: str | None, lang: str) -> Shown | Missing:
    loaded = await _load(runtime, number, code)
    if loaded is None:
        return MISSING
    ticket, compiled = loaded
    done = await runtime.store.get_survey_response(ticket.id)
    state = "done" if done else ("open" if ticket.category == "closed" else "not_yet")
    return Shown(_page(ticket, compiled, lang, state))


async def answer(
    runtime: Runtime, number: str, values: Mapping[str, list[str]], lang: str
) -> Shown | Missing:
    code = (values.get("_code") or [""])[0]
    loaded = await _load(runtime, number, code)
    if loaded is None:
        return MISSING
    ticket, compiled = loaded
    if ticket.category != "closed":
        return Shown(_page(ticket, compiled, lang, "not_yet"))
    survey = compiled.organisation.surveys[compiled.service.survey or ""]
    answers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for question in survey.questions:
        raw = (values.get(question.id) or [""])[0]
        if raw.isdigit() and 1 <= int(raw) <= question.scale:
            answers[question.id] = int(raw)
        else:
            errors[question.id] = t("choose_a_rating", lang)
    if errors:
        return Shown(_page(ticket, compiled, lang, "open", errors), 422)
    comment = (values.get("comment") or [""])[0].strip()[:2000] if survey.comment else ""
    try:
        await runtime.store.add_survey_response(
            ticket_id=ticket.id,
            survey_id=compiled.service.survey or "",
            answers=answers,
            comment=comment,
            now=dt.datetime.now(dt.UTC),
        )
    except AlreadyExists:
        return Shown(_page(ticket, compiled, lang, "done"))
    return Shown(_page(ticket, compiled, lang, "thanks"))
