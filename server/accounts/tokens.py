"""Secret tokens (session cookies, API bearer tokens): made with ``secrets``, stored only as a hash.

A token has 256 random bits, so a plain SHA-256 of it is enough to store (no salt or slow hash
needed: nothing to guess). Whoever reads the database learns no usable token.
"""

from __future__ import annotations

import hashlib
import secrets

SESSION_COOKIE = "khidma_session"
API_TOKEN_PREFIX = "khidma_"  # noqa: S105 (a marker, not a secret)
"""Marks an API token, so secret scanners and people recognise one pasted where it should not be."""


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) the store keeps in place of ``token``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
