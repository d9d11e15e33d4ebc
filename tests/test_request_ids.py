"""Outbox request ids (server/store/request_ids.py): unique, UUIDv7-shaped, ordered by time."""

from __future__ import annotations

import time
import uuid

from server.store.request_ids import request_id


def test_request_ids_are_unique_uuid7_and_ordered_by_their_millisecond() -> None:
    first = [request_id() for _ in range(2000)]
    time.sleep(0.002)  # a later millisecond sorts after every id of the earlier ones
    later = request_id()
    assert len(set(first)) == len(first)
    for value in (*first[:50], later):
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert parsed.hex == value
    assert all(later > value for value in first)
    millis = int(later[:12], 16)
    assert abs(millis - time.time_ns() // 1_000_000) < 5_000


def test_random_bytes_come_in_the_lengths_asked_and_never_repeat_across_buffers_threads_or_forks() -> None:
    import os
    import threading

    from server.store.request_ids import random_bytes, random_token, tracking_code

    lengths = (1, 10, 12, 18, 4096, 5000, 7) * 200
    drawn = [random_bytes(n) for n in lengths]
    assert [len(b) for b in drawn] == list(lengths)
    long = [b for b in drawn if len(b) >= 10]
    assert len(set(long)) == len(long)  # the buffer is read ahead, never handed out twice
    codes = [tracking_code() for _ in range(10_000)]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 16 and c.replace("-", "a").replace("_", "a").isalnum() for c in codes)
    assert len(random_token(16)) == 22  # as secrets.token_urlsafe(16)

    other: list[bytes] = []
    worker = threading.Thread(target=lambda: other.extend(random_bytes(16) for _ in range(300)))
    worker.start()
    worker.join()
    mine = [random_bytes(16) for _ in range(300)]
    assert not set(other) & set(mine)  # each thread reads its own buffer

    before = random_bytes(0)  # the buffer is filled: a child made now inherits it
    assert before == b""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it draws next, to the parent
        os.close(read)
        os.write(write, random_bytes(32))
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 32
    assert child != random_bytes(32)  # the child forgot the parent's buffer at the fork
