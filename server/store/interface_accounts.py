"""Accounts, part of the ``Store`` of ``interface.py``: passwords, log-in sessions, API tokens and the
log-in throttle (``server.accounts``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from server.accounts.records import ApiToken
from server.store.records import User


class AccountsStore(Protocol):
    """Passwords, log-in sessions, API tokens and the log-in throttle."""

    # Secrets never reach the store: sessions and tokens arrive as the SHA-256 (hex) of the token
    # the client holds, passwords as their scrypt hash (``server.accounts``).

    async def set_password(
        self, user_id: str, password_hash: str | None, *, end_sessions: bool = True
    ) -> None:
        """Set (or, with None, remove) the user's password hash; by default also ends every session
        of the user. Raises ``NotFound``."""
        ...

    async def users_with_role(self, role: str, *, active_only: bool = True) -> list[User]:
        """Users holding ``role``, in every department (and none)."""
        ...

    async def list_users(self, *, active_only: bool = False) -> list[User]:
        """Every user, by username."""
        ...

    async def create_session(
        self, user_id: str, id_hash: str, *, now: datetime, expires_at: datetime
    ) -> None:
        """A new session ending at ``expires_at`` at the latest; also forgets the expired ones.
        Raises ``NotFound`` for an unknown user."""
        ...

    async def get_session_user(self, id_hash: str, *, now: datetime, idle: timedelta) -> User | None:
        """The session's user, if the session exists, is before its absolute end and was seen less
        than ``idle`` ago, and the user is active; ``last_seen_at`` becomes ``now`` (at most once a
        minute). An expired session is deleted."""
        ...

    async def delete_session(self, id_hash: str) -> None:
        """Idempotent."""
        ...

    async def delete_user_sessions(self, user_id: str) -> int:
        """Ends every session of the user; returns how many."""
        ...

    async def create_api_token(self, user_id: str, name: str, token_hash: str, *, now: datetime) -> ApiToken:
        """Raises ``NotFound`` for an unknown user."""
        ...

    async def get_token_user(self, token_hash: str, *, now: datetime) -> User | None:
        """The token's user, if the token exists, is not revoked and the user is active;
        ``last_used_at`` becomes ``now`` (at most once a minute)."""
        ...

    async def revoke_token(self, token_id: int, *, now: datetime) -> ApiToken:
        """Idempotent (the first revocation date stays). Raises ``NotFound``."""
        ...

    async def list_tokens(self, user_id: str) -> list[ApiToken]:
        """The user's tokens, revoked ones included, oldest first."""
        ...

    async def record_failed_login(
        self, keys: Sequence[str], *, now: datetime, forget_before: datetime | None = None
    ) -> None:
        """One failed attempt under each key; attempts older than ``forget_before`` are dropped."""
        ...

    async def count_failed_logins(self, key: str, *, since: datetime) -> int: ...

    async def clear_failed_logins(self, key: str) -> None: ...

    async def take_rate_token(self, key: str, *, limit: int, now: datetime, since: datetime) -> bool:
        """Count one hit under ``key`` unless it already has ``limit`` hits since ``since`` (then False
        and nothing is counted); hits before ``since`` are forgotten. One transaction, so every
        process sharing the file sees the same counts."""
        ...
