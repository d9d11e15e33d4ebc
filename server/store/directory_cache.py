"""Who holds a role — in a department, or anywhere — and whom a bearer token names, kept between
requests (issue 14).

Every submission asks who its notifications go to — the head of the department it is assigned to, or
every holder of a role (the general supervisor's copies) — and that was a round trip to the database's
reader each time (a twelfth of the event loop's time under load, measured in docs/performance.md). The answers change only when the directory does, so
each store keeps them while the *directory stamp* stands: a number kept by triggers on ``users`` and
``user_roles`` (SQLite migration 0014, PostgreSQL 0007) that moves on every change, whoever makes it.
The stamp is read at most every ``stamp.RECHECK`` seconds, and forgotten — with every answer — the
moment this store changes a user: a change made here is seen at once, one made by another process
(``--workers``, ``khidma`` commands, a second machine) within half a second, as for published
definitions (``stamp.py``). A bearer token is looked up by every API request: its holder is kept the same
way, and a token revoked by ``khidma token revoke`` (another process) is refused within half a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import msgspec

from server.store.records import User
from server.store.stamp import StampCache

Key = tuple[str | None, str | None, bool]
"""(department, role, active only); no department: every holder of the role."""


class TokenHolder(msgspec.Struct, frozen=True):
    """Whom a valid bearer token names (its hash the key): the user, the token's id and when it was
    last recorded as used. A token revoked, deleted or moved to another user moves the directory stamp
    (SQLite migration 0017, PostgreSQL 0009), as any change to the user does."""

    user: User
    token_id: int
    last_used_at: datetime | None


MOST = 4096
"""Answers kept at most (departments × roles asked about; a directory of any size stays far below)."""


class DirectoryCache:
    def __init__(self) -> None:
        self.stamp = StampCache()
        self._at: int | None = None
        self._answers: dict[Key, tuple[User, ...]] = {}
        self._tokens: dict[str, TokenHolder] = {}

    async def _standing(self, read_stamp: Callable[[], Awaitable[int]]) -> int:
        """The directory stamp (read again when the one remembered is too old); when it moved, nothing
        kept stands."""
        stamp = await self.stamp.read(read_stamp)
        if stamp != self._at:
            self._answers.clear()
            self._tokens.clear()
            self._at = stamp
        return stamp

    async def token(
        self,
        token_hash: str,
        read_stamp: Callable[[], Awaitable[int]],
        query: Callable[[], Awaitable[TokenHolder | None]],
    ) -> TokenHolder | None:
        """Whom the token of ``token_hash`` names: kept, or ``query``'s answer (kept when there is
        one: an unknown or revoked token is asked about again each time)."""
        stamp = await self._standing(read_stamp)
        kept = self._tokens.get(token_hash)
        if kept is not None:
            return kept
        found = await query()
        if found is not None and stamp == self._at:
            if len(self._tokens) >= MOST:
                self._tokens.clear()
            self._tokens[token_hash] = found
        return found

    def token_used(self, token_hash: str, at: datetime) -> None:
        """This store recorded the token as used at ``at``."""
        kept = self._tokens.get(token_hash)
        if kept is not None:
            self._tokens[token_hash] = msgspec.structs.replace(kept, last_used_at=at)

    async def answer(
        self,
        key: Key,
        read_stamp: Callable[[], Awaitable[int]],
        query: Callable[[], Awaitable[list[User]]],
    ) -> list[User]:
        """The users for ``key``: kept, or ``query``'s answer (then kept) — ``read_stamp`` reads the
        directory stamp from the database when the one remembered is too old."""
        stamp = await self._standing(read_stamp)
        kept = self._answers.get(key)
        if kept is not None:
            return list(kept)
        found = await query()
        if stamp == self._at:  # unless this store changed a user while the query ran
            if len(self._answers) >= MOST:
                self._answers.clear()
            self._answers[key] = tuple(found)
        return found

    def forget(self) -> None:
        """This store changed a user: read the stamp again, keep nothing read before."""
        self.stamp.forget()
        self._answers.clear()
        self._tokens.clear()
        self._at = None
