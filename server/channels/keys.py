"""Integration API keys: one per integration (Tawasul, Itqan, the mail gateway), made by the CLI,
stored only as a SHA-256 hash, revocable. A key belongs to one of the organisation's channels, and the
integration routes accept only a key of their own channel.

A key has 256 random bits, so a plain SHA-256 is enough to store (see ``server/accounts/tokens.py``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping

from server.accounts.tokens import token_hash
from server.definitions.model import Organisation
from server.store.interface import Store
from server.store.records import IntegrationKey

KEY_PREFIX = "khidma_int_"
"""Marks an integration key, so secret scanners and people recognise one pasted where it should not be."""


class KeyRefused(ValueError):
    """The key cannot be made as asked (an unknown channel, a channel requesters open themselves)."""


def integration_channels(org: Organisation) -> list[str]:
    """The channels an integration key may be made for: every channel requesters do not open themselves."""
    return [c for c, channel in org.channels.items() if channel.intake != "requester"]


async def create_key(
    store: Store, org: Organisation, name: str, channel: str, *, now: dt.datetime
) -> tuple[IntegrationKey, str]:
    """A new key: its record and the key itself (shown once, never stored)."""
    allowed = integration_channels(org)
    if channel not in allowed:
        raise KeyRefused(f"unknown channel {channel!r}; one of: {', '.join(allowed)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = await store.create_integration_key(name, channel, token_hash(key), now=now)
    return record, key


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries: ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``."""
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return headers.get("x-api-key", "").strip() or None


async def authenticate(
    store: Store, headers: Mapping[str, str], channel: str, *, now: dt.datetime
) -> IntegrationKey | None:
    """The live key of ``channel`` the request carries, else None (no key, unknown, revoked, or a key
    of another channel)."""
    key = presented_key(headers)
    if key is None or not key.startswith(KEY_PREFIX):
        return None
    record = await store.integration_key_by_hash(token_hash(key), now=now)
    if record is None or record.channel != channel:
        return None
    return record
