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
