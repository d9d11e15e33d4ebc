"""What the store returns about accounts beyond ``User``: API tokens (never their secret).

Plain msgspec, importing nothing from ``server.store`` (which imports this module).
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer token of the API, as listed: its label and dates; the token itself is never stored."""

    id: int
    name: str
    user_id: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
