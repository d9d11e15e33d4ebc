"""The batch reads the staff ticket page uses: many users, many attachments, one query each — on both
backends (``store_db``, tests/pg.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from server.store.open import open_any

NOW = dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC)


async def test_get_users_and_get_attachments_answer_by_id_and_leave_unknown_ids_out(
    tmp_path: Path, store_db: str
) -> None:
    store = await open_any(store_db, tmp_path / "files")
    try:
        ali = await store.add_user(username="ali", name="علي", roles=["requester"], now=NOW)
        sara = await store.add_user(
            username="sara", name="Sara", roles=["department_staff"], department="classrooms", now=NOW
        )
        first = await store.add_attachment(
            ticket_id=None, field="f", filename="a.pdf", media_type="application/pdf", content=b"a", now=NOW
        )
        second = await store.add_attachment(
            ticket_id=None, field="f", filename="b.png", media_type="image/png", content=b"b", now=NOW
        )
        users = await store.get_users([ali.id, sara.id, "nobody", ali.id])
        attachments = await store.get_attachments([second.id, "missing", first.id])
        nothing = (await store.get_users([]), await store.get_attachments([]))
    finally:
        await store.close()
    assert users == {ali.id: ali, sara.id: sara}
    assert attachments == {first.id: first, second.id: second}
    assert nothing == ({}, {})
