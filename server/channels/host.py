"""What the inbound channels need of a running khidma: a Protocol, so that ``server.runtime`` (which
registers the mailbox poll) and the channels do not import each other."""

from __future__ import annotations

from typing import Protocol

from server.definitions.catalogue import CompiledService
from server.definitions.model import Organisation
from server.settings import Settings
from server.store.interface import Store
from server.store.records import DefinitionVersion
from server.tickets.service import TicketService


class ChannelHost(Protocol):
    """``server.runtime.Runtime`` is one."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def tickets(self) -> TicketService: ...

    @property
    def org(self) -> Organisation: ...

    async def published(self) -> list[tuple[DefinitionVersion, CompiledService]]: ...
