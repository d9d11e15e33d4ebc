"""Open the store a ``--db`` names: a PostgreSQL URL (``postgresql://…``) opens the PostgreSQL store
(``server/store/postgres.py``), anything else is the path of a SQLite file (``server/store/sqlite.py``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from server.store.interface import Store


def is_postgres_url(db: str | Path) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def db_settings(db: str, attachments: str | None = None) -> dict[str, Any]:
    """The ``Settings`` fields a ``--db`` value sets: ``db_url`` for PostgreSQL, else ``db_path``; and
    ``attachments_dir`` when ``--attachments`` names the directory of uploaded files."""
    fields: dict[str, Any] = {"db_url": db} if is_postgres_url(db) else {"db_path": Path(db)}
    if attachments:
        fields["attachments_dir"] = Path(attachments)
    return fields


ATTACHMENTS_HELP = (
    "the directory of uploaded files (default: beside the SQLite file, <db>-attachments; on PostgreSQL"
    " ./khidma-attachments — several machines must share one)"
)


async def open_any(
    db: str | Path,
    attachments_dir: Path | None = None,
    *,
    now: datetime | None = None,
    audit_key: bytes | None = None,
) -> Store:
    """The store at ``db``, migrated and ready (see ``open_postgres`` and ``open_store``)."""
    if is_postgres_url(db):
        from server.store.postgres import open_postgres

        return await open_postgres(str(db), attachments_dir, now=now, audit_key=audit_key)
    from server.store.sqlite import open_store

    return await open_store(Path(db), attachments_dir, now=now, audit_key=audit_key)
