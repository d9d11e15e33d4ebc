"""``attachments_dir`` (``--attachments DIR``): where uploaded files are kept, on either backend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from server.cli import build_parser
from server.runtime import Runtime, load_shipped
from server.store.open import db_settings
from tests.web import settings_for


async def test_uploads_go_to_the_directory_the_setting_names(tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared" / "files"
    settings = settings_for(tmp_path, attachments_dir=elsewhere)
    runtime = await Runtime.open(settings, load_shipped(settings))
    try:
        stored = await runtime.store.add_attachment(
            ticket_id=None,
            field="f",
            filename="a.txt",
            media_type="text/plain",
            content=b"hello",
            now=datetime.now(UTC),
        )
        path = runtime.store.attachment_path(stored)
        assert path.is_relative_to(elsewhere) and path.read_bytes() == b"hello"
    finally:
        await runtime.close()


def test_serve_and_dispatch_take_the_option() -> None:
    parser = build_parser()
    for command in ("serve", "dispatch"):
        args = parser.parse_args([command, "--db", "postgresql://u@h/db", "--attachments", "/srv/files"])
        assert db_settings(args.db, args.attachments) == {
            "db_url": "postgresql://u@h/db",
            "attachments_dir": Path("/srv/files"),
        }
    default = parser.parse_args(["serve", "--db", "k.db"])
    assert db_settings(default.db, default.attachments) == {"db_path": Path("k.db")}
