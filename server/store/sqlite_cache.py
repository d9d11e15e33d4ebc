"""The stamp the definition caches check (``interface_cache.CacheStore``), SQLite side."""

from __future__ import annotations

import aiosqlite

from server.store.sqlite_codec import fetch_all


class SQLiteCacheMixin:
    _reader: aiosqlite.Connection

    async def definitions_stamp(self) -> int:
        rows = await fetch_all(self._reader, "SELECT coalesce(max(id), 0) FROM definition_versions")
        return int(rows[0][0])
