"""Password hashing with scrypt (``hashlib.scrypt``, memory-hard, in the standard library).

A hash is one self-describing string, ``scrypt$n$r$p$salt_b64$hash_b64`` (standard base64 with
padding): the cost parameters travel with it, so raising them later leaves old hashes verifiable
(``needs_rehash`` tells when to re-hash at the next log-in). Verification compares in constant time.
Neither a password nor a hash is ever logged or put in an exception message.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N = 2**14
R = 8
P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# 128 * r * n bytes of working memory (16 MiB at the defaults); allow parameters up to 4x that.
_MAX_MEMORY = 4 * 128 * R * N + 1024 * 1024
MINIMUM_LENGTH = 8


class WeakPassword(ValueError):
    """The password is too short (or empty)."""


def check_strength(password: str) -> None:
    if len(password) < MINIMUM_LENGTH:
        raise WeakPassword(f"a password has at least {MINIMUM_LENGTH} characters")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=_MAX_MEMORY
    )


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password`` (no strength check here: see ``check_strength``)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, N, R, P, KEY_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(key)}"


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not salt or not key or 128 * r * n > _MAX_MEMORY:
        return None
    return n, r, p, salt, key


def verify_password(password: str, encoded: str | None) -> bool:
    """True when ``password`` matches ``encoded``; False for a mismatch, or a missing or malformed
    hash (an account without a password cannot log in with one)."""
    parsed = None if encoded is None else _parse(encoded)
    if parsed is None:
        dummy_verify(password)  # the same work either way: timing does not tell the two apart
        return False
    n, r, p, salt, key = parsed
    return hmac.compare_digest(_derive(password, salt, n, r, p, len(key)), key)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def dummy_verify(password: str) -> None:
    """Spend the time of a verification, for an unknown username (no account enumeration by timing)."""
    parsed = _parse(_dummy_hash())
    assert parsed is not None
    n, r, p, salt, key = parsed
    hmac.compare_digest(_derive(password, salt, n, r, p, len(key)), key)


def needs_rehash(encoded: str) -> bool:
    parsed = _parse(encoded)
    return parsed is None or parsed[:3] != (N, R, P) or len(parsed[3]) < SALT_BYTES
