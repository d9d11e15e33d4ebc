"""What an administration action answers: done, the page again with its problems, or not found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")


@dataclass(frozen=True)
class Outcome(Generic[P]):
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
