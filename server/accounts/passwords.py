"""Password hashing with Argon2id (``argon2-cffi``, the reference implementation's bindings).

A new hash is a PHC string, ``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``: the parameters travel with it,
so raising them later leaves old hashes verifiable, and ``needs_rehash`` tells when to re-hash at the
next log-in. The parameters are OWASP's Password Storage Cheat Sheet minimum for Argon2id (19 MiB of
memory, 2 iterations, 1 lane) — about 20 ms a hash here, so many log-ins at once stay affordable.

Hashes made before (``scrypt$n$r$p$salt_b64$hash_b64``, ``hashlib.scrypt``) still verify; ``needs_rehash``
says yes for every one of them, so ``server.accounts.login.log_in`` replaces each with an Argon2id hash
the first time its owner logs in. Verification compares in constant time (both schemes). Neither a
password nor a hash is ever logged or put in an exception message.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

SCHEME = "argon2id"
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
SALT_BYTES = 16
KEY_BYTES = 32
MINIMUM_LENGTH = 8


@functools.cache
def _hasher() -> PasswordHasher:
    """Imported at the first hash or verification, not with the server: argon2-cffi and its bindings
    are ~12 ms of every start (docs/performance.md), and most requests never touch a password."""
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=TIME_COST,
        memory_cost=MEMORY_KIB,
        parallelism=PARALLELISM,
        hash_len=KEY_BYTES,
        salt_len=SALT_BYTES,
        type=Type.ID,
    )


# The largest parameters a stored hash may ask for (a planted hash must not make a log-in cost seconds).
_MAX_ARGON2_MEMORY_KIB = 4 * MEMORY_KIB
_MAX_ARGON2_TIME = 4 * TIME_COST

# Hashes from before Argon2id: scrypt, verified (then replaced at log-in), never made any more.
LEGACY_SCHEME = "scrypt"
_SCRYPT_MAX_MEMORY = 4 * 128 * 8 * 2**14 + 1024 * 1024


class WeakPassword(ValueError):
    """The password is too short (or empty)."""


def check_strength(password: str) -> None:
    if len(password) < MINIMUM_LENGTH:
        raise WeakPassword(f"a password has at least {MINIMUM_LENGTH} characters")


def hash_password(password: str) -> str:
    """A new salted Argon2id hash of ``password`` (no strength check here: see ``check_strength``)."""
    return _hasher().hash(password)


def _argon2_parameters(encoded: str) -> tuple[int, int, int] | None:
    """(memory KiB, time, lanes) of an Argon2id PHC string, or None when it is not a sane one."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "" or parts[1] != SCHEME or parts[2] != "v=19":
        return None
    try:
        values = dict(item.split("=", 1) for item in parts[3].split(","))
        memory, time, lanes = int(values["m"]), int(values["t"]), int(values["p"])
    except (ValueError, KeyError):
        return None
    if not (8 <= memory <= _MAX_ARGON2_MEMORY_KIB and 1 <= time <= _MAX_ARGON2_TIME and 1 <= lanes <= 4):
        return None
    return memory, time, lanes


def _parse_scrypt(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != LEGACY_SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not salt or not key or 128 * r * n > _SCRYPT_MAX_MEMORY:
        return None
    return n, r, p, salt, key


def _verify_scrypt(password: str, parsed: tuple[int, int, int, bytes, bytes]) -> bool:
    n, r, p, salt, key = parsed
    derived = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(key), maxmem=_SCRYPT_MAX_MEMORY
    )
    return hmac.compare_digest(derived, key)


def _verify_argon2(password: str, encoded: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_password(password: str, encoded: str | None) -> bool:
    """True when ``password`` matches ``encoded`` (Argon2id, or a legacy scrypt hash); False for a
    mismatch, or a missing or malformed hash (an account without a password cannot log in with one)."""
    if encoded is not None and _argon2_parameters(encoded) is not None:
        return _verify_argon2(password, encoded)
    legacy = None if encoded is None else _parse_scrypt(encoded)
    if legacy is not None:
        return _verify_scrypt(password, legacy)
    dummy_verify(password)  # the same work either way: timing does not tell the two apart
    return False


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def dummy_verify(password: str) -> None:
    """Spend the time of a verification, for an unknown username (no account enumeration by timing)."""
    _verify_argon2(password, _dummy_hash())


def needs_rehash(encoded: str) -> bool:
    """True for anything but an Argon2id hash with today's parameters (a legacy scrypt hash, an
    Argon2id one with other parameters, something unreadable)."""
    if _argon2_parameters(encoded) is None:
        return True
    from argon2.exceptions import InvalidHashError

    try:
        return _hasher().check_needs_rehash(encoded)
    except InvalidHashError:
        return True
