"""Directory data, part of the ``Store`` of ``interface.py``: users, admin lookup tables and ready
replies (the knowledge bank), read by the service layer and kept by the administration pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from server.store.records import ReadyReply, User


class DirectoryStore(Protocol):
    """Users, lookup tables and ready replies, and their administration."""

    # --- lookup tables ------------------------------------------------------------------
    async def replace_lookup_table(
        self, table: str, key_column: str, rows: Sequence[Mapping[str, Any]]
    ) -> None: ...

    async def lookup_rows(self, table: str, key: str) -> list[dict[str, Any]]: ...

    async def lookup_rows_many(self, table: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """One query for many keys; every asked key is in the result (``[]`` when absent)."""
        ...

    # --- users --------------------------------------------------------------------------
    async def add_user(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[str],
        now: datetime,
        id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        department: str | None = None,
        password_hash: str | None = None,
        active: bool = True,
    ) -> User: ...

    async def get_user(self, user_id: str) -> User | None: ...

    async def get_users(self, user_ids: Sequence[str]) -> dict[str, User]:
        """One query for many users, by id; an unknown id is left out."""
        ...

    async def get_user_by_username(self, username: str) -> User | None: ...

    async def users_in_department(
        self, department: str, role: str | None = None, *, active_only: bool = True
    ) -> list[User]: ...

    # --- ready replies ------------------------------------------------------------------
    async def add_ready_reply(
        self,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str] = (),
        active: bool = True,
    ) -> ReadyReply: ...

    async def search_ready_replies(self, query: str, *, limit: int = 20) -> list[ReadyReply]: ...

    # --- administration (users, lookup tables, ready replies) --------------------------
    async def update_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None,
        phone: str | None,
        department: str | None,
        roles: Sequence[str],
    ) -> User:
        """Replace the user's contact details, department and roles. Raises ``NotFound``."""
        ...

    async def set_user_active(self, user_id: str, active: bool) -> User:
        """(De)activate the user; deactivating also ends every session. Raises ``NotFound``."""
        ...

    async def list_lookup_table(
        self, table: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The table's rows in the order they were stored (all of them when ``limit`` is None)."""
        ...

    async def count_lookup_rows(self, table: str) -> int: ...

    async def get_ready_reply(self, reply_id: int) -> ReadyReply | None: ...

    async def update_ready_reply(
        self,
        reply_id: int,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str],
        active: bool,
    ) -> ReadyReply:
        """Raises ``NotFound``."""
        ...

    async def list_ready_replies(
        self, query: str = "", *, include_inactive: bool = True, offset: int = 0, limit: int = 50
    ) -> list[ReadyReply]:
        """Replies whose titles, bodies or tags contain ``query`` (every reply when it is empty),
        active first."""
        ...
