"""What the caches of definitions read from the store (issue 14): a stamp that moves on every publish."""

from __future__ import annotations

from typing import Protocol


class CacheStore(Protocol):
    async def definitions_stamp(self) -> int:
        """A number that changes whenever a definition version is published, by this process or any
        other on the same database (the highest version id: versions are immutable and never deleted).
        One index read, so a cache of the published versions can check it on every request."""
        ...
