"""The stamp the definition caches check (``interface_cache.CacheStore``), PostgreSQL side."""

from __future__ import annotations

from server.store.postgres_codec import PgBase
from server.store.stamp import StampCache


class PgCacheMixin(PgBase):
    _stamp: StampCache

    async def definitions_stamp(self) -> int:
        return await self._stamp.read(self._read_definitions_stamp)

    async def _read_definitions_stamp(self) -> int:
        row = await self._one("SELECT coalesce(max(id), 0) AS n FROM definition_versions")
        assert row is not None
        return int(row["n"])
