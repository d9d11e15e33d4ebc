"""Logging in and out, and who a request's credentials name: the rules behind ``server/web/auth.py``.

* :func:`log_in` — the throttle (failed attempts counted per username and per client address in a
  sliding window), the password check (off the event loop; an unknown user costs the same work, and
  gets the same answer as a wrong password), a hash made with older parameters rehashed, and a new
  session at each log-in (a session id planted before it is worth nothing);
* :func:`log_out` — the session ended;
* :func:`session_user`, :func:`token_user`, :func:`sso_user` — the user a session cookie, an API bearer
  token or a trusted single-sign-on header names (or None).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec

from server.accounts.passwords import hash_password, needs_rehash, verify_password
from server.accounts.tokens import new_session_token, token_hash
from server.directory.users import normalise_username
from server.runtime import Runtime
from server.settings import Settings
from server.store.records import User

__all__ = [
    "MAX_USERNAME",
    "LoggedIn",
    "LoginPolicy",
    "LoginRefused",
    "log_in",
    "log_out",
    "session_user",
    "sso_user",
    "token_user",
]

MAX_USERNAME = 150


def _now() -> datetime:
    return datetime.now(UTC)


class LoginPolicy(msgspec.Struct, frozen=True):
    """The log-in rules from the settings: the throttle and how long a session lives."""

    lifetime: timedelta
    idle: timedelta
    max_failures: int
    max_failures_per_address: int
    failure_window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            lifetime=timedelta(seconds=settings.session_max_seconds),
            idle=timedelta(seconds=settings.session_idle_seconds),
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            failure_window=timedelta(seconds=settings.login_failure_window_seconds),
        )


class LoggedIn(msgspec.Struct, frozen=True):
    user: User
    session_token: str
    """The new session's token, for the cookie (the store keeps only its hash)."""


class LoginRefused(msgspec.Struct, frozen=True):
    throttled_minutes: int | None = None
    """Too many failed attempts: try again after this many minutes. None: wrong credentials."""


async def log_in(
    runtime: Runtime,
    username: str,
    password: str,
    *,
    client_address: str,
    old_session: str | None = None,
) -> LoggedIn | LoginRefused:
    policy = LoginPolicy.from_settings(runtime.settings)
    store = runtime.store
    username = normalise_username(username)  # as stored: the same name typed in another Unicode form
    now = _now()
    user_key = f"user:{username.lower()}"
    address_key = f"address:{client_address}"
    since = now - policy.failure_window
    if (
        await store.count_failed_logins(user_key, since=since) >= policy.max_failures
        or await store.count_failed_logins(address_key, since=since) >= policy.max_failures_per_address
    ):
        return LoginRefused(throttled_minutes=max(1, round(policy.failure_window.total_seconds() / 60)))
    user = await store.get_user_by_username(username)
    known = user is not None and user.active
    # Verified off the event loop; an unknown user costs the same work (no enumeration by timing).
    ok = await asyncio.to_thread(verify_password, password, user.password_hash if user and known else None)
    if not ok or user is None:
        await store.record_failed_login([user_key, address_key], now=now, forget_before=since)
        return LoginRefused()
    await store.clear_failed_logins(user_key)
    if user.password_hash is not None and needs_rehash(user.password_hash):
        await store.set_password(
            user.id, await asyncio.to_thread(hash_password, password), end_sessions=False
        )
    if old_session:
        await store.delete_session(token_hash(old_session))
    token = new_session_token()
    await store.create_session(user.id, token_hash(token), now=now, expires_at=now + policy.lifetime)
    return LoggedIn(user=user, session_token=token)


async def log_out(runtime: Runtime, session: str | None) -> None:
    if session:
        await runtime.store.delete_session(token_hash(session))


async def session_user(runtime: Runtime, session: str) -> User | None:
    """The user of a live session (not past its idle or absolute end)."""
    idle = timedelta(seconds=runtime.settings.session_idle_seconds)
    return await runtime.store.get_session_user(token_hash(session), now=_now(), idle=idle)


async def token_user(runtime: Runtime, token: str) -> User | None:
    """The user of a valid (not revoked, not expired) API token."""
    return await runtime.store.get_token_user(token_hash(token), now=_now())


async def sso_user(runtime: Runtime, username: str) -> User | None:
    """The active user a trusted single-sign-on header names."""
    user = await runtime.store.get_user_by_username(normalise_username(username[:MAX_USERNAME]))
    return user if user is not None and user.active else None
