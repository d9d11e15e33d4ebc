"""The ids the store draws: a ticket's tracking code, and the ``gateway_request_id`` of an outbox message: unique, kept across retries, quoted as the mail's
``Message-ID`` and a gateway's ``Idempotency-Key`` — and the key of a UNIQUE index every message is
inserted into.

A random UUID (version 4) put each new message on a random page of that index: two of every eight pages
a group of eight submissions wrote (measured from the WAL in docs/performance.md). These ids are
time-ordered instead, the layout of RFC 9562's version 7: 48 bits of Unix milliseconds, then 74 random
bits; new ids land at the index's right edge, a page or two per commit. They are not secrets — a
Message-ID travels in every mail — and stay as unique as before: 74 random bits per millisecond.

Every random byte here comes from :func:`random_bytes`: the kernel's ``getrandom`` read 4 KiB at a
time, each thread handing out its own buffer. A read per id cost little itself, but ``os.urandom``
lets go of the GIL for its system call, and under load the event loop then waited for the writer's
thread to give it back before it could go on — five such waits a submission (docs/performance.md,
eighth round). The bytes are the same kernel's; a child process made by ``fork`` starts with an
empty buffer, so no two processes hand out the same bytes.
"""

from __future__ import annotations

import base64
import os
import threading
import time

_CHUNK = 4096


class _Buffer(threading.local):
    data = b""
    at = 0


_buffer = _Buffer()


def _forget() -> None:
    _buffer.data, _buffer.at = b"", 0


os.register_at_fork(after_in_child=_forget)


def random_bytes(n: int) -> bytes:
    """``n`` bytes from the kernel's random source (``os.urandom``), read ahead in 4 KiB."""
    buffer = _buffer
    start = buffer.at
    if start + n > len(buffer.data):
        buffer.data, start = os.urandom(max(_CHUNK, n)), 0
    buffer.at = start + n
    return buffer.data[start : start + n]


def random_token(n: int) -> str:
    """``n`` random bytes, URL-safe base64 without padding (what ``secrets.token_urlsafe(n)`` gives)."""
    return base64.urlsafe_b64encode(random_bytes(n)).rstrip(b"=").decode("ascii")


def tracking_code() -> str:
    """A ticket's tracking code: 96 random bits, URL-safe (with the number, it lets a requester follow
    the ticket without logging in, so it must not be guessable)."""
    return random_token(12)


def request_id() -> str:
    """A new id: 32 hexadecimal digits (the same shape as ``uuid4().hex``), in UUIDv7 layout."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(random_bytes(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF
    return f"{value:032x}"
