"""The stamp the definition caches check (``interface_cache.CacheStore``), SQLite side."""

from __future__ import annotations

import aiosqlite

from server.store.sqlite_codec import fetch_all
from server.store.stamp import StampCache


class SQLiteCacheMixin:
    _reader: aiosqlite.Connection
    _stamp: StampCache

    async def definitions_stamp(self) -> int:
        remembered = self._stamp.current()
        if remembered is not None:
            return remembered
        rows = await fetch_all(self._reader, "SELECT coalesce(max(id), 0) FROM definition_versions")
        return self._stamp.remember(int(rows[0][0]))
