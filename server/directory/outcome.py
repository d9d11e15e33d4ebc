"""What an administration action answers: done, the page again with its problems, or not found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")


@dataclass(frozen=True)
class Outcome(Generic[P]):
    """``found`` False: the thing acted on does not exist (404). Else ``page`` set: refused, the page
    again with the problems beside the fields (422); else done (``done`` says what, for the notice)."""

    found: bool = True
    page: P | None = None
    done: str = ""


def refused(page: P) -> Outcome[P]:
    return Outcome(page=page)


def not_found() -> Outcome[P]:
    return Outcome(found=False)
