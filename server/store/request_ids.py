"""The ids the store draws: a ticket's tracking code, and the ``gateway_request_id`` of an outbox message: unique, kept across retries, quoted as the mail's
``Message-ID`` and a gateway's ``Idempotency-Key`` — and the key of a UNIQUE index every message is
inserted into.

A random UUID (version 4) put each new message on a random page of that index: two of every eight pages
a group of eight submissions wrote (measured from the WAL in docs/performance.md). These ids are
time-ordered instead, the layout of RFC 9562's version 7: 48 bits of Unix milliseconds, then 74 random
bits; new ids land at the index's right edge, a page or two per commit. They are not secrets — a
Message-ID travels in every mail — and stay as unique as before: 74 random bits per millisecond.
"""

from __future__ import annotations

import os
import secrets
import time


def tracking_code() -> str:
    """A ticket's tracking code: 96 random bits, URL-safe (with the number, it lets a requester follow
    the ticket without logging in, so it must not be guessable)."""
    return secrets.token_urlsafe(12)


def request_id() -> str:
    """A new id: 32 hexadecimal digits (the same shape as ``uuid4().hex``), in UUIDv7 layout."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF
    return f"{value:032x}"
