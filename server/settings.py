"""Settings of one khidma instance."""

from __future__ import annotations

from pathlib import Path

import msgspec

from server.paths import shipped_root


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    db_path: Path = Path("khidma.db")
    """The embedded SQLite file."""
    definitions: Path = msgspec.field(default_factory=shipped_root)
    """The definitions tree loaded on first start."""
    base_url: str = "http://127.0.0.1:8000"
    """The public address, for links in notifications (tracking page, survey)."""
    debug: bool = False
