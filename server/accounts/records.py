"""What the store returns about accounts: users, API tokens and integration keys (never a secret).
``server.store.records`` re-exports ``User`` and ``IntegrationKey``; the web layer imports them from
here, not from the store.

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


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    username: str
    name: str
    email: str | None
    phone: str | None
    department: str | None
    roles: tuple[str, ...]
    password_hash: str | None
    active: bool
    created_at: datetime


class IntegrationKey(msgspec.Struct, frozen=True, kw_only=True):
    """An integration's API key as listed: its name, channel and dates; the key itself is never stored."""

    id: int
    name: str
    channel: str
    """The organisation's channel its tickets come in by (``tawasul``, ``itqan``, ``email``)."""
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
