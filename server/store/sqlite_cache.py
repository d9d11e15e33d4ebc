"""The stamp the definition caches check (``interface_cache.CacheStore``), SQLite side."""

from __future__ import annotations

import aiosqlite

from server.store.sqlite_codec import fetch_all
from server.store.stamp import StampCache


class SQLiteCacheMixin:
    _reader: aiosqlite.Connection
    _stamp: StampCache

    async def definitions_stamp(self) -> int:
        return await self._stamp.read(self._read_definitions_stamp)

    async def _read_definitions_stamp(self) -> int:
        rows = await fetch_all(self._reader, "SELECT coalesce(max(id), 0) FROM definition_versions")
        return int(rows[0][0])
