"""The seal's bytes are the format ``server/audit/chain.py`` documents, whatever the values: a seal
written by one version of the code must verify under every later one. ``reference_seal`` computes it
straight from the docstring — each message a whole JSON array (canonical: sorted keys, no spaces,
UTF-8) given to HMAC-SHA256 — and ``seal``, which writes the arrays from their items' encodings and
reuses the keyed hash, must agree with it byte for byte, in both format versions."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from server.audit.chain import FORMATS, TAG_HEX, seal


def _json(value: Any) -> bytes:
    return msgspec.json.encode(value, order="sorted")


def reference_seal(
    key: bytes, values: dict[str, Any], prev_mac: str | None, version: int
) -> tuple[str, dict[str, str]]:
    fields = FORMATS[version]
    ticket_id, seq = values["ticket_id"], values["seq"]
    tags = {
        name: hmac.digest(
            key, _json(["khidma-event-field", version, ticket_id, seq, name, values[name]]), hashlib.sha256
        ).hex()[:TAG_HEX]
        for name in fields
    }
    chained = ["khidma-event", version, [values[name] for name in fields], prev_mac or ""]
    return hmac.digest(key, _json(chained), hashlib.sha256).hex(), tags


texts = st.text(max_size=40)
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | texts


@st.composite
def event_values(draw: st.DrawFn) -> dict[str, Any]:
    values: dict[str, Any] = {name: draw(scalars) for name in FORMATS[2]}
    values["ticket_id"] = draw(st.integers(1, 2**53))
    values["seq"] = draw(st.integers(1, 10_000))
    values["data"] = _json(draw(st.dictionaries(texts, scalars, max_size=4))).decode("utf-8")
    return values


@settings(max_examples=300, deadline=None)
@given(
    key=st.binary(min_size=1, max_size=80),
    values=event_values(),
    prev_mac=st.none() | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    version=st.sampled_from(sorted(FORMATS)),
)
def test_the_seal_is_the_documented_hmac_of_the_documented_arrays(
    key: bytes, values: dict[str, Any], prev_mac: str | None, version: int
) -> None:
    sealed = seal(key, values, prev_mac, version)
    mac, tags = reference_seal(key, values, prev_mac, version)
    assert sealed.mac == mac
    assert sealed.tags == tags


def test_one_known_seal_stays_the_same() -> None:
    """A seal computed once and written down: any change to the format shows here."""
    values: dict[str, Any] = {
        "ticket_id": 7,
        "seq": 1,
        "kind": "created",
        "action": "submit",
        "actor_id": None,
        "actor_name": "مقدم الطلب",
        "actor_department": None,
        "from_state": None,
        "to_state": "with_department",
        "visibility": "public",
        "at": "2026-05-01T06:30:00.000000+00:00",
        "data": '{"message":"hello","name":"سارة"}',
        "definition_version_id": 3,
    }
    sealed = seal(b"k" * 32, values, None, 2)
    assert (sealed.mac, sealed.tags) == reference_seal(b"k" * 32, values, None, 2)
    assert sealed.mac == KNOWN_MAC


KNOWN_MAC = "215ff7623f75ebd55b7f16fc1b512593e3d28c1011e5cfea08e04e430077086e"
"""Computed by the seal before it wrote the arrays from their parts (the format has not changed)."""
