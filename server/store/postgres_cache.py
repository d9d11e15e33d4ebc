"""The stamp the definition caches check (``interface_cache.CacheStore``), PostgreSQL side."""

from __future__ import annotations

from server.store.postgres_codec import PgBase
from server.store.stamp import StampCache


class PgCacheMixin(PgBase):
    _stamp: StampCache

    async def definitions_stamp(self) -> int:
        remembered = self._stamp.current()
        if remembered is not None:
            return remembered
        row = await self._one("SELECT coalesce(max(id), 0) AS n FROM definition_versions")
        assert row is not None
        return self._stamp.remember(int(row["n"]))
