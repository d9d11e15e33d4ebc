"""The JSON shapes of the integration intake API (``/api/integrations/…``), as its OpenAPI describes
them, and how each becomes the form data of its service."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

Short = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class TawasulTicket(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket of the Ministry of Education's Tawasul service, as Tawasul sends it."""

    ticket_number: Short
    """Tawasul's own ticket number: posting it again answers with the same ticket."""
    ticket_type: Literal["complaint", "inquiry", "suggestion", "technical_report"]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=20000)]
    full_name: str | None = None
    mobile: str | None = None
    email: str | None = None
    affiliation: Literal["inside", "outside"] | None = None

    def form_data(self) -> dict[str, Any]:
        data = {
            "tawasul_number": self.ticket_number,
            "ticket_type": self.ticket_type,
            "text": self.text,
            "full_name": self.full_name,
            "mobile": self.mobile,
            "email": self.email,
            "affiliation": self.affiliation,
        }
        return {k: v for k, v in data.items() if v is not None}


class ItqanReport(msgspec.Struct, frozen=True, kw_only=True):
    """A maintenance report of the Itqan system; it lands in verification before the Maintenance Center."""

    report_number: Short
    """Itqan's own report number: posting it again answers with the same ticket."""
    college: str
    building: str
    room: str
    device_type: Literal[
        "projector",
        "smart_board",
        "display_screen",
        "computer",
        "audio_system",
        "document_camera",
        "furniture",
        "other",
    ]
    problem_description: str
    urgency: Literal["normal", "urgent", "critical"]
    contact_name: str
    contact_mobile: str
    serial_number: str | None = None

    def form_data(self) -> dict[str, Any]:
        data = msgspec.structs.asdict(self)
        data.pop("report_number")
        return {k: v for k, v in data.items() if v is not None}


class IntakeAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The ticket an integration's post made (201) or had already made (200)."""

    number: str
    """khidma's ticket number."""
    external_number: str
    state: str
    created: bool


class MailAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """What became of a posted message: ``created`` (a new ticket), ``threaded`` (added to a ticket),
    ``ignored`` (an auto-reply or bounce), ``duplicate`` (a Message-ID already received)."""

    outcome: str
    message_id: str
    ticket_number: str | None = None
    reason: str = ""
