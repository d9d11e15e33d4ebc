"""Sealing a ticket's events: an HMAC chain, keyed by a secret the database never holds.

Format version 1 seals, for each event, these named fields as the store holds them (``FIELDS_V1``):
ticket_id, seq, kind, action, actor_id, actor_name, actor_department, from_state, to_state,
visibility, at (the stored ISO text) and data (canonical JSON: sorted keys, no spaces, UTF-8).
Format version 2 (``FIELDS``, migration 0010) adds definition_version_id: the definition version the
ticket ran on when the event was written, which the audit export shows beside the event. Events are
sealed in the newest format; an event sealed in version 1 keeps verifying by version 1's fields.

* a **field tag** per field — ``HMAC-SHA256(key, ["khidma-event-field", 1, ticket_id, seq, name,
  value])``, first 8 bytes in hex — so a verification can name *which* field was changed;
* the **seal** (``mac``) — ``HMAC-SHA256(key, ["khidma-event", 1, [every value], prev_mac])``, in full,
  where ``prev_mac`` is the seal of the ticket's previous event ("" for the first): removing,
  re-ordering or inserting an event breaks the next link.

Whoever can write the database but does not hold the key cannot produce a tag or a seal that verifies:
recomputing a "chain" with any other key is found at the first edited event. Pure functions; the
store (``server/store/sqlite_audit.py``) computes the seals inside the transaction that inserts the
events.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Protocol

import msgspec

CHAIN_VERSION = 2
FIELDS_V1: tuple[str, ...] = (
    "ticket_id",
    "seq",
    "kind",
    "action",
    "actor_id",
    "actor_name",
    "actor_department",
    "from_state",
    "to_state",
    "visibility",
    "at",
    "data",
)
FIELDS: tuple[str, ...] = (*FIELDS_V1, "definition_version_id")
FORMATS: dict[int, tuple[str, ...]] = {1: FIELDS_V1, 2: FIELDS}
"""The sealed fields of each format version."""
TAG_HEX = 16  # 8 bytes: enough to say which field changed; the seal itself is the full 32 bytes


class Row(Protocol):
    """An event row by column name (a ``sqlite3.Row``, a dict)."""

    def __getitem__(self, key: str, /) -> Any: ...


def _json(value: Any) -> bytes:
    """Canonical JSON: object keys sorted, no spaces, UTF-8 (msgspec)."""
    return msgspec.json.encode(value, order="sorted")


def canonical_data(data_text: str) -> str:
    """The stored JSON text of an event's data, in one canonical spelling."""
    return _json(msgspec.json.decode(data_text)).decode("utf-8")


@functools.lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    """HMAC-SHA256 with ``key`` absorbed, to be copied for each message (a copy skips hashing the
    key's two padded blocks again: 14 messages an event)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def _mac(keyed: hmac.HMAC, message: bytes) -> str:
    one = keyed.copy()
    one.update(message)
    return one.hexdigest()


_FIELD_NAMES = {name: _json(name) for name in FIELDS}


def sealed_values(row: Row, version: int = CHAIN_VERSION) -> dict[str, Any]:
    """The sealed fields of an event row in format ``version`` (``data`` canonicalised)."""
    values = {name: row[name] for name in FORMATS[version]}
    values["data"] = canonical_data(str(row["data"]))
    return values


class Seal(msgspec.Struct, frozen=True):
    mac: str
    tags: dict[str, str]

    def tags_text(self) -> str:
        return _json(self.tags).decode("utf-8")


def seal(key: bytes, values: Mapping[str, Any], prev_mac: str | None, version: int = CHAIN_VERSION) -> Seal:
    """The seal of one event (``values``: see ``sealed_values``) following ``prev_mac``, in format
    ``version``."""
    fields = FORMATS[version]
    keyed = _keyed(key)
    # the JSON arrays of the docstring, written from their parts' encodings: a JSON array is its
    # items' encodings between brackets, comma-separated (tests/test_audit_chain.py checks the bytes)
    encoded = [_json(values[name]) for name in fields]
    head = _json(["khidma-event-field", version, values["ticket_id"], values["seq"]])[:-1] + b","
    tags = {
        name: _mac(keyed, b"".join((head, _FIELD_NAMES[name], b",", value, b"]")))[:TAG_HEX]
        for name, value in zip(fields, encoded, strict=True)
    }
    chained = b'["khidma-event",%d,[%b],%b]' % (version, b",".join(encoded), _json(prev_mac or ""))
    return Seal(mac=_mac(keyed, chained), tags=tags)


class Break(msgspec.Struct, frozen=True):
    """The first link of a ticket's chain that does not verify."""

    ticket_id: int
    number: str
    seq: int
    field: str
    """The field that cannot be verified: one of ``FIELDS`` (its tag fails: that field was edited),
    ``seal`` (no tag verifies: the whole event was resealed with another key), ``mac`` (the seal, or
    its link to the previous event), ``seq`` (an event missing before this one) or ``chain`` (never
    sealed)."""
    reason: str

    def __str__(self) -> str:
        return f"ticket {self.number} event {self.seq}: {self.field}: {self.reason}"


def check_event(
    key: bytes, row: Row, prev_mac: str | None, *, number: str, expected_seq: int
) -> Break | None:
    """None when the event row verifies after ``prev_mac``; else what is wrong with it."""
    ticket_id, seq = int(row["ticket_id"]), int(row["seq"])

    def broken(field: str, reason: str) -> Break:
        return Break(ticket_id=ticket_id, number=number, seq=seq, field=field, reason=reason)

    if seq != expected_seq:
        return broken("seq", f"expected event {expected_seq} here: an event was removed or renumbered")
    if row["mac"] is None:
        return broken("chain", "never sealed (a database from before the audit chain: khidma audit rechain)")
    version = row["chain_version"]
    if version not in FORMATS:
        return broken("chain", f"unknown chain format version {version!r}")
    fields = FORMATS[version]
    try:
        values = sealed_values(row, version)
        stored = json.loads(str(row["field_tags"]))
    except (ValueError, TypeError):
        return broken("data", "not readable")
    expected = seal(key, values, prev_mac, version)
    if not isinstance(stored, dict):
        stored = {}
    wrong = [n for n in fields if not hmac.compare_digest(str(stored.get(n, "")), expected.tags[n])]
    if len(wrong) == len(fields):
        return broken(
            "seal", "no field verifies: the event was resealed with another key (or this is not the key)"
        )
    if wrong:
        return broken(wrong[0], "edited: " + ", ".join(wrong) + " no longer match their tags")
    if not hmac.compare_digest(str(row["mac"]), expected.mac):
        return broken("mac", "the seal or its link to the previous event does not verify")
    return None
