"""What an administration action answers: done, the page again with its problems, or not found."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from server.i18n import t

P = TypeVar("P")


class Outcome(msgspec.Struct, Generic[P], frozen=True):
    """``found`` False: the thing acted on does not exist (404). Else ``page`` set: the page again —
    refused, with the problems beside the fields (422), or, ``refused`` False, shown again with nothing
    wrong (200: a form's "add a row" button, a check that found nothing); else done (``done`` says
    what, for the next page's address or notice)."""

    found: bool = True
    page: P | None = None
    done: str = ""
    refused: bool = True


def refused(page: P) -> Outcome[P]:
    return Outcome(page=page)


def not_found() -> Outcome[P]:
    return Outcome(found=False)


def again(page: P) -> Outcome[P]:
    """The page shown again, nothing refused."""
    return Outcome(page=page, refused=False)


DONE = {
    "added": "dir_user_added",
    "saved": "dir_saved",
    "password": "dir_password_reset_done",
    "deactivated": "dir_deactivated_done",
    "reactivated": "dir_reactivated_done",
    "reply": "dir_reply_added",
    "imported": "dir_imported",
}


def done_notice(done: str | None, lang: str) -> str:
    """The notice after an action (``?done=…``), or nothing for an unknown word."""
    return t(DONE[done], lang) if done in DONE else ""
