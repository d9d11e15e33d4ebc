"""The audit chain (``server/audit/chain.py``), part of the ``Store`` of ``interface.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from server.audit.chain import Break as ChainBreak


class AuditStore(Protocol):
    """The audit chain of sealed events: verifying it and sealing older events."""

    async def verify_event_chains(self) -> tuple[int, int, list[ChainBreak]]:
        """Check every ticket's chain of sealed events under the store's key: (tickets, events,
        the first broken link of each broken chain)."""
        ...

    async def rechain_events(self, *, reason: str, now: datetime) -> tuple[int, int]:
        """Seal the events not sealed yet (from before the chain), recording the run with ``reason``;
        (tickets, events) sealed. A sealed event is never resealed."""
        ...

    async def audit_chain_log(self) -> list[dict[str, Any]]:
        """Every recorded sealing run (id, at, action, reason, tickets, events), oldest first."""
        ...
