"""Where the audit chain's key comes from — never the database, never a log line.

In order: the file ``audit_key_file`` names (``KHIDMA_AUDIT_KEY_FILE``; its content, surrounding
whitespace stripped), else ``audit_key`` (``KHIDMA_AUDIT_KEY``), else — for a demo or a development
machine only, with a warning — a key derived from the server's ``secret``. A key has at least 32
characters. Keep it apart from database backups: whoever holds both can rewrite history unseen.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from server.settings import Settings

log = logging.getLogger("khidma.audit")
MINIMUM_KEY_CHARACTERS = 32


class AuditKeyError(ValueError):
    """The configured audit key is missing, unreadable or too short (the message never shows it)."""


def derived_key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), b"khidma audit chain key v1", hashlib.sha256).digest()


def audit_key(settings: Settings) -> bytes:
    if settings.audit_key_file is not None:
        try:
            text = settings.audit_key_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditKeyError(f"cannot read the audit key file {settings.audit_key_file}") from exc
        return _checked(text, str(settings.audit_key_file))
    if settings.audit_key is not None:
        return _checked(settings.audit_key.reveal().strip(), "KHIDMA_AUDIT_KEY")
    log.warning(
        "no audit key configured (KHIDMA_AUDIT_KEY_FILE or KHIDMA_AUDIT_KEY): the audit chain is keyed"
        " by one derived from the server secret - acceptable for a demo, not in production"
    )
    return derived_key(settings.secret)


def _checked(text: str, where: str) -> bytes:
    if len(text) < MINIMUM_KEY_CHARACTERS:
        raise AuditKeyError(f"the audit key in {where} is shorter than {MINIMUM_KEY_CHARACTERS} characters")
    return text.encode("utf-8")
