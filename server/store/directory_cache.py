"""Who holds a role — in a department, or anywhere — kept between requests (issue 14).

Every submission asks who its notifications go to — the head of the department it is assigned to, or
every holder of a role (the general supervisor's copies) — and that was a round trip to the database's
reader each time (a twelfth of the event loop's time under load, measured in docs/performance.md). The answers change only when the directory does, so
each store keeps them while the *directory stamp* stands: a number kept by triggers on ``users`` and
``user_roles`` (SQLite migration 0014, PostgreSQL 0007) that moves on every change, whoever makes it.
The stamp is read at most every ``stamp.RECHECK`` seconds, and forgotten — with every answer — the
moment this store changes a user: a change made here is seen at once, one made by another process
(``--workers``, ``khidma`` commands, a second machine) within half a second, as for published
definitions (``stamp.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.store.records import User
from server.store.stamp import StampCache

Key = tuple[str | None, str | None, bool]
"""(department, role, active only); no department: every holder of the role."""

MOST = 4096
"""Answers kept at most (departments × roles asked about; a directory of any size stays far below)."""


class DirectoryCache:
    def __init__(self) -> None:
        self.stamp = StampCache()
        self._at: int | None = None
        self._answers: dict[Key, tuple[User, ...]] = {}

    async def answer(
        self,
        key: Key,
        read_stamp: Callable[[], Awaitable[int]],
        query: Callable[[], Awaitable[list[User]]],
    ) -> list[User]:
        """The users for ``key``: kept, or ``query``'s answer (then kept) — ``read_stamp`` reads the
        directory stamp from the database when the one remembered is too old."""
        stamp = self.stamp.current()
        if stamp is None:
            stamp = self.stamp.remember(await read_stamp())
        if stamp != self._at:  # the directory changed: nothing kept stands
            self._answers.clear()
            self._at = stamp
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
        self._at = None
