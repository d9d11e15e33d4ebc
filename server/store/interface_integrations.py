"""Inbound channels (issue 12), part of the ``Store`` of ``interface.py``: the integrations' API keys
and the inbound e-mail messages seen (for duplicates and threading)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from server.store.records import InboundOutcome, IntegrationKey


class IntegrationsStore(Protocol):
    """Integration keys and the inbound e-mail messages seen."""

    async def create_integration_key(
        self, name: str, channel: str, key_hash: str, *, now: datetime
    ) -> IntegrationKey:
        """Raises ``AlreadyExists`` when a key (live or revoked) already has this name."""
        ...

    async def integration_key_by_hash(self, key_hash: str, *, now: datetime) -> IntegrationKey | None:
        """The live key with this hash (its ``last_used_at`` brought up to date), else None."""
        ...

    async def revoke_integration_key(self, name: str, *, now: datetime) -> IntegrationKey:
        """Raises ``NotFound`` for an unknown name."""
        ...

    async def list_integration_keys(self) -> list[IntegrationKey]: ...

    async def inbound_message_seen(self, message_id: str) -> bool: ...

    async def record_inbound_message(
        self, message_id: str, ticket_id: int | None, outcome: InboundOutcome, *, now: datetime
    ) -> bool:
        """Records an inbound e-mail by its Message-ID; False (nothing written) when already recorded."""
        ...

    async def ticket_of_messages(self, message_ids: Sequence[str], outbound_ids: Sequence[str]) -> int | None:
        """The ticket an e-mail replies to: the ticket of an inbound message recorded under one of
        ``message_ids``, else of the outbound notification whose ``gateway_request_id`` is one of
        ``outbound_ids``; None when neither is known."""
        ...
