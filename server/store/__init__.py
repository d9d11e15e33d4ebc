"""Durable storage: the ``Store`` interface, its records, and the embedded SQLite backend."""

from server.store.interface import AlreadyExists, NotFound, SchemaTooNew, Store, StoreError, VersionConflict
from server.store.sqlite import SQLiteStore, open_store

__all__ = [
    "AlreadyExists",
    "NotFound",
    "SQLiteStore",
    "SchemaTooNew",
    "Store",
    "StoreError",
    "VersionConflict",
    "open_store",
]
