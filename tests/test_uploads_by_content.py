"""Uploads are typed by their bytes, not by the browser's claim nor the file name, in every place a file
can be uploaded (the requester's form, an answer on the tracking page, a staff action); uploads of
submissions that failed are removed once past the grace period, not before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from server.store.open import open_any
from server.tickets.uploads import OrphanCleanup, detect_media_types
from tests.engine_harness import example as action_example
from tests.test_requester_pages import AR, EN, as_post, confirmed, example, login
from tests.test_staff_ticket import CS, REQUESTER, act, actor, as_user, post_of, send, user
from tests.web import client_for, form_values, html

# A Windows executable (the DOS header and stub), named and claimed as a PDF.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"This program cannot be run in DOS mode"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
REFUSED_AR = "محتوى الملف من نوع application/vnd.microsoft.portable-executable"
REFUSED_EN = "The file's content is application/vnd.microsoft.portable-executable"


def test_the_type_comes_from_the_bytes() -> None:
    assert detect_media_types(EXE)[0] == "application/vnd.microsoft.portable-executable"
    assert detect_media_types(PDF)[0] == "application/pdf"
    assert detect_media_types(PNG) == ["image/png"]
    assert detect_media_types("سطر من نص\n".encode()) == ["text/plain"]
    assert detect_media_types(b"\x00\x01\x02binary") == ["application/octet-stream"]
    assert detect_media_types(b"") == ["application/octet-stream"]


def field_error(page: str, field: str) -> str:
    node = html(page).css_first(f"#f-{field}-field")
    assert node is not None, page[:2000]
    return node.text()


async def test_the_apply_form_refuses_a_disguised_file_and_stores_the_detected_type(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "college.user", ["requester"])
        page = await client.get("/services/supplies/apply", headers=AR)
        post = {**form_values(page.text), **as_post(example("supplies"))}
        refused = {}
        for name, claimed in (("invoice.pdf.exe", "application/pdf"), ("invoice.pdf", "application/pdf")):
            refused[name] = await client.post(
                "/services/supplies/apply", data=post, headers=AR, files={"attachment": (name, EXE, claimed)}
            )
        english = await client.post(
            "/services/supplies/apply",
            data=post,
            headers=EN,
            files={"attachment": ("invoice.pdf.exe", EXE, "application/pdf")},
        )
        # a real PDF the browser called octet-stream, with no extension: accepted, stored as a PDF
        ok = await client.post(
            "/services/supplies/apply",
            data=post,
            headers=AR,
            follow_redirects=False,
            files={"attachment": ("scan", PDF, "application/octet-stream")},
        )
        ok = await confirmed(client, "/services/supplies/apply", ok, AR)
        store = client.app.state.runtime.store
        ticket = await store.get_ticket_by_number(ok.headers["location"].split("/track/")[1].split("?")[0])
        stored = await store.get_attachment(ticket.data["attachment"])
    for response in refused.values():
        assert response.status_code == 200
        assert REFUSED_AR in field_error(response.text, "attachment")
    assert english.status_code == 200 and REFUSED_EN in field_error(english.text, "attachment")
    assert stored is not None and stored.media_type == "application/pdf" and stored.ticket_id == ticket.id


async def test_a_tracking_answer_refuses_a_disguised_file(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        requester = await user(client, REQUESTER)
        created = await runtime.tickets.submit(
            "maintenance",
            example("maintenance"),
            channel="web",
            actor=actor(requester),
            requester_id=requester.id,
        )
        ticket = created.ticket
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        ask = "request_clarification"  # received -> awaiting_clarification; answered with a file
        ticket = await act(client, ticket, CS, ask, action_example(compiled, ask, 0))
        answer = "answer_clarification"
        track = await client.get(f"/track/{ticket.number}?code={ticket.tracking_code}", headers=EN)
        form = f"#action-{answer} form[method=post]"
        values: dict[str, Any] = form_values(track.text, form)
        text_fields = {k: ["my answer"] for k in values if k.endswith("answer]") or k == "answer"}
        file_field = _file_field(track.text, form)
        refused = await client.post(
            f"/track/{ticket.number}/actions/{answer}",
            data={**values, **text_fields},
            headers=EN,
            files={file_field: ("photo.png", EXE, "image/png")},
        )
        after = await client.app.state.runtime.store.get_ticket(ticket.id)
    assert refused.status_code in (200, 422), refused.text[:500]
    assert REFUSED_EN in html(refused.text).text()
    assert after.state == ticket.state  # nothing was done


def _file_field(page: str, form: str) -> str:
    node = html(page).css_first(f'{form} input[type="file"]')
    assert node is not None, page[:3000]
    return str(node.attributes["name"])


async def test_a_staff_action_refuses_a_disguised_file(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        requester = await user(client, REQUESTER)
        created = await runtime.tickets.submit(
            "clearance",
            example("clearance"),
            channel="academic_system",
            actor=actor(requester),
            requester_id=requester.id,
        )
        compiled = await runtime.tickets.compiled_version(created.ticket.definition_version_id)
        ticket = await act(
            client,
            created.ticket,
            CS,
            "request_custody_return",
            action_example(compiled, "request_custody_return", 0),
        )
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        post = post_of(page.text, "attach_return_form")
        file_field = _file_field(page.text, "#action-attach_return_form form[method=post]")
        refused = await send(
            client,
            ticket,
            "attach_return_form",
            post,
            files={file_field: ("return.pdf.exe", EXE, "application/pdf")},
        )
        still = await runtime.store.get_ticket(ticket.id)
        done = await send(
            client,
            ticket,
            "attach_return_form",
            post,
            files={file_field: ("return-form", PNG, "application/pdf")},
        )
        moved = await runtime.store.get_ticket(ticket.id)
        events = await runtime.store.list_events(ticket.id)
        stored = await runtime.store.get_attachment(str(events[-1].data.get("return_form")))
    assert refused.status_code in (200, 422) and REFUSED_AR in html(refused.text).text()
    assert still.state == "awaiting_custody_return"
    assert done.status_code == 303, done.text[:1000]
    assert moved.state == "director_review"
    assert stored is not None and stored.ticket_id == ticket.id
    assert stored.media_type == "image/png"  # the bytes' type, not the claimed application/pdf


async def test_orphaned_uploads_are_removed_after_the_grace_period_not_before(
    tmp_path: Path, store_db: str
) -> None:
    start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    now = [start]
    async with await open_any(store_db, tmp_path / "files") as store:
        cleanup = OrphanCleanup(store, clock=lambda: now[0])
        orphan = await store.add_attachment(
            ticket_id=None,
            field="attachment",
            filename="a.pdf",
            media_type="application/pdf",
            content=PDF + b"1",
            now=start,
        )
        shared = await store.add_attachment(
            ticket_id=None,
            field="attachment",
            filename="b.png",
            media_type="image/png",
            content=PNG,
            now=start,
        )
        kept = await store.add_attachment(
            ticket_id=None,
            field="attachment",
            filename="c.png",
            media_type="image/png",
            content=PNG,
            now=start,
        )
        # `kept` is linked to a ticket (as a successful submission's upload is): never an orphan
        await _link_to_a_ticket(store, kept.id)

        now[0] = start + dt.timedelta(hours=23)
        assert await cleanup() == 0
        assert await store.get_attachment(orphan.id) is not None
        now[0] = start + dt.timedelta(hours=23, minutes=30)
        assert await cleanup() == 0  # not yet an hour since the last run: not even looked at
        now[0] = start + dt.timedelta(hours=24, minutes=1)
        assert await cleanup() == 2
        assert await store.get_attachment(orphan.id) is None
        assert await store.get_attachment(shared.id) is None
        assert not store.attachment_path(orphan).exists()
        linked = await store.get_attachment(kept.id)
        assert linked is not None
        assert store.attachment_path(linked).exists()  # the bytes `shared` had in common with it stay
        now[0] = start + dt.timedelta(hours=26)
        assert await cleanup() == 0


async def _link_to_a_ticket(store: Any, attachment_id: str) -> None:
    from server.store.records import NewEvent, NewTicket

    at = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    version = await store.publish_definition("svc", {"a": "b"}, "h", created_by=None, note="", now=at)
    ticket, _ = await store.create_ticket(
        NewTicket(
            service_id="svc",
            definition_version_id=version.id,
            state="received",
            category="open",
            department=None,
            assignee_role=None,
            assignee_user=None,
            requester_id=None,
            channel="web",
            data={},
            vars={},
            language="ar",
        ),
        [
            NewEvent(
                at=at,
                actor_id=None,
                actor_name="x",
                action="submit",
                from_state=None,
                to_state="received",
                data={},
                visibility="public",
                kind="created",
            )
        ],
        [],
        [],
        now=at,
    )
    await store.link_attachments(ticket.id, [attachment_id])


async def test_the_runtime_registers_the_cleanup(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        names = [name for name, _ in client.app.state.runtime.periodic]
    assert "orphan_attachments" in names
