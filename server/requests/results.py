"""What a requester service answers a controller: a page to show, a place to go, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shown:
    """Show ``page`` (a page-data object) with this HTTP status."""

    page: Any
    status: int = 200


@dataclass(frozen=True)
class GoTo:
    """Redirect (303, after a post) to ``location``, a path on this site."""

    location: str


@dataclass(frozen=True)
class Missing:
    """No such thing here (404)."""


@dataclass(frozen=True)
class NeedsLogin:
    """The page needs a logged-in user (the log-in redirect)."""


MISSING = Missing()
NEEDS_LOGIN = NeedsLogin()

Result = Shown | GoTo | Missing | NeedsLogin
