"""The definitions stamp as a store remembers it (issue 14): read from the database at most every
:data:`RECHECK` seconds, forgotten at once when this store publishes.

Every request that needs a published version asks for the stamp; reading it each time cost a reader
round trip per request (a sixth of a submission's CPU on SQLite). A publish by this process is seen
immediately (the store forgets the stamp when it writes a version); a publish by another process on
the same database (``--workers``, a second machine, ``khidma import``) within :data:`RECHECK` seconds.
A request served meanwhile uses the version before, exactly as if it had arrived a moment earlier:
tickets keep the version they were made on either way.
"""

from __future__ import annotations

import time

RECHECK = 0.5
"""Seconds a stamp read from the database is taken as current."""


class StampCache:
    """The last stamp read, and until when it stands (``time.monotonic``)."""

    def __init__(self, recheck: float = RECHECK) -> None:
        self.recheck = recheck
        self._value = 0
        self._until = 0.0

    def current(self) -> int | None:
        """The remembered stamp, or None when it must be read again."""
        return self._value if time.monotonic() < self._until else None

    def remember(self, value: int) -> int:
        self._value = value
        self._until = time.monotonic() + self.recheck
        return value

    def forget(self) -> None:
        """This store published: the next request reads the stamp again."""
        self._until = 0.0
