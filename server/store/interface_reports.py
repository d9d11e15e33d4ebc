"""Survey responses and the reports' read-only queries (``server/reports``), part of the ``Store`` of
``interface.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from server.store.records import ReportBasis, ReportRating, ReportTicket, SurveyResponse


class ReportsStore(Protocol):
    """Survey responses, and the read-only queries the reports count over."""

    # --- survey responses ---------------------------------------------------------------
    async def add_survey_response(
        self, *, ticket_id: int, survey_id: str, answers: Mapping[str, int], comment: str, now: datetime
    ) -> SurveyResponse:
        """Record a ticket's rating; a second one raises ``AlreadyExists``."""
        ...

    async def get_survey_response(self, ticket_id: int) -> SurveyResponse | None: ...

    # --- reports (read-only; server/reports) ----------------------------------------------
    async def report_tickets(
        self,
        *,
        services: Sequence[str],
        basis: ReportBasis,
        start: datetime,
        end: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        """The tickets of ``services`` a report counts over ``[start, end)``: ``status`` — every ticket
        created before ``end``, with its state at ``end`` (the caller drops those closed before
        ``start``); ``current`` — the same for a period not yet ended (the state now, those closed
        before ``start`` left out); ``created`` / ``closed`` — those created / closed in the period. ``variables`` and
        ``fields`` name the values to read into :attr:`ReportTicket.values`."""
        ...

    async def report_overdue(
        self,
        *,
        services: Sequence[str],
        now: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        """The tickets of ``services`` not closed whose earliest pending timer is due at or before ``now``."""
        ...

    async def report_ratings(
        self, *, services: Sequence[str], start: datetime, end: datetime
    ) -> list[ReportRating]:
        """The survey responses given in ``[start, end)`` on tickets of ``services``."""
        ...
