"""The base of every store record (``records``, ``report_records``)."""

from __future__ import annotations

import msgspec


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every store Struct."""
