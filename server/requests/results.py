"""What a requester service answers a controller: a page to show, a place to go, or a refusal."""

from __future__ import annotations

from typing import Any

import msgspec


class Shown(msgspec.Struct, frozen=True):
    """Show ``page`` (a page-data object) with this HTTP status."""

    page: Any
    status: int = 200


class GoTo(msgspec.Struct, frozen=True):
    """Redirect (303, after a post) to ``location``, a path on this site."""

    location: str


class Missing(msgspec.Struct, frozen=True):
    """No such thing here (404)."""


class NeedsLogin(msgspec.Struct, frozen=True):
    """The page needs a logged-in user (the log-in redirect)."""


MISSING = Missing()
NEEDS_LOGIN = NeedsLogin()

Result = Shown | GoTo | Missing | NeedsLogin
