"""The administration of users, ready replies and lookup tables, through the real app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from server.directory.lookup_csv import BOM, CsvRefused, export_csv, parse_csv
from server.engine.model import Actor, Refusal
from server.tickets.service import Created
from tests.engine_harness import catalogue
from tests.test_requester_pages import login
from tests.web import client_for, csrf_of, form_values, html, texts

EN = {"accept-language": "en"}
REQUESTER = Actor(id="req-1", name="كلية", roles=frozenset({"requester"}))
CS = Actor(id="cs-1", name="ممثل", roles=frozenset({"customer_service"}), department="customer_service")


async def as_admin(client: Any) -> None:
    await login(client, "admin", ["administrator"], "directorate")


async def post_form(client: Any, url: str, page_url: str, data: dict[str, Any], **kw: Any) -> Any:
    page = await client.get(page_url, **kw)
    return await client.post(
        url, data={"_csrf_token": csrf_of(page.text), **data}, follow_redirects=False, **kw
    )


async def log_in_as(client: Any, username: str, password: str) -> Any:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"_csrf_token": csrf_of(page.text), "username": username, "password": password, "next": "/"},
        follow_redirects=False,
    )


NEW_USER = {
    "username": "head.cls",
    "name": "رئيس الفصول",
    "email": "head@example.org",
    "phone": "0500000000",
    "roles": ["department_head"],
    "department": "classrooms",
    "password": "long-enough-1",
}


async def test_admin_adds_a_user_who_can_then_log_in(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await as_admin(client)
        page = await client.get("/admin/users")
        assert page.status_code == 200
        labels = texts(page.text, "form.add-user fieldset label")
        assert any("رئيس القسم" in label and "Department head" in label for label in labels)
        assert "الفصول الدراسية — Classrooms" in texts(page.text, "select[name=department] option")
        added = await post_form(client, "/admin/users", "/admin/users", NEW_USER)
        assert added.status_code == 303 and added.headers["location"] == "/admin/users?done=added"
        listing = await client.get("/admin/users", headers=EN)
        row = html(listing.text).css_first('tr[data-username="head.cls"]')
        assert row is not None and "Department head" in row.text() and "Classrooms" in row.text()
        client.cookies.clear()
        assert (await log_in_as(client, "head.cls", "long-enough-1")).status_code == 303
        me = await client.app.state.runtime.store.get_user_by_username("head.cls")
    assert me.roles == ("department_head",) and me.department == "classrooms"
    assert me.email == "head@example.org"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"department": ""}, "department", "Department roles require a department"),
        ({"roles": []}, "roles", "Choose at least one role"),
        ({"roles": ["wizard"]}, "roles", "Choose from the list"),
        ({"department": "atlantis"}, "department", "Choose from the list"),
        ({"username": "admin"}, "username", "This username is already taken"),
        (
            {"username": "bad name"},
            "username",
            "A username has only letters (Arabic or Latin), digits and . _ + - @, no spaces, at most 150 characters",
        ),
        ({"password": "short"}, "password", "A password has at least 8 characters"),
        ({"email": "nope"}, "email", "Enter a valid e-mail address"),
    ],
)
async def test_invalid_users_are_refused_beside_the_field_with_the_input_kept(
    tmp_path: Path, change: dict[str, Any], field: str, message: str
) -> None:
    async with client_for(tmp_path) as client:
        await as_admin(client)
        sent = await post_form(client, "/admin/users", "/admin/users", {**NEW_USER, **change}, headers=EN)
        assert sent.status_code == 422
        assert message in " ".join(texts(sent.text, ".error-message"))
        assert any(message in item for item in texts(sent.text, ".error-summary li"))
        kept = form_values(sent.text, "form.add-user")
        assert kept["name"] == [NEW_USER["name"]] and kept["email"] == [
            change.get("email", NEW_USER["email"])
        ]
        assert kept.get("password", [""]) == [""]  # a password is never sent back
        assert await client.app.state.runtime.store.get_user_by_username("head.cls") is None


async def test_an_organisation_role_needs_no_department_and_edits_keep_the_rules(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await as_admin(client)
        sent = await post_form(
            client,
            "/admin/users",
            "/admin/users",
            {**NEW_USER, "username": "cs", "roles": ["customer_service"], "department": ""},
        )
        assert sent.status_code == 303
        user = await client.app.state.runtime.store.get_user_by_username("cs")
        page = await client.get(f"/admin/users/{user.id}")
        values = form_values(page.text, "form.edit-user")
        assert values["roles"] == ["customer_service"]
        refused = await client.post(
            f"/admin/users/{user.id}",
            data={**values, "roles": ["customer_service", "department_staff"]},
            headers=EN,
            follow_redirects=False,
        )
        assert refused.status_code == 422
        assert "Department roles require a department" in texts(refused.text, ".error-message")
        saved = await client.post(
            f"/admin/users/{user.id}",
            data={**values, "roles": ["department_staff"], "department": "classrooms", "phone": "0511111111"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        user = await client.app.state.runtime.store.get_user(user.id)
    assert (user.roles, user.department, user.phone) == (("department_staff",), "classrooms", "0511111111")


async def test_deactivating_blocks_log_in_and_ends_sessions_and_a_reset_password_works(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        await as_admin(client)
        await post_form(client, "/admin/users", "/admin/users", NEW_USER)
        store = client.app.state.runtime.store
        user = await store.get_user_by_username("head.cls")
        admin_cookies = httpx.Cookies(client.cookies)
        client.cookies = httpx.Cookies()
        assert (await log_in_as(client, "head.cls", "long-enough-1")).status_code == 303
        assert (await client.get("/staff/tasks")).status_code == 200
        user_cookies = httpx.Cookies(client.cookies)

        client.cookies = admin_cookies
        off = await post_form(
            client, f"/admin/users/{user.id}/active", f"/admin/users/{user.id}", {"active": "0"}
        )
        assert off.status_code == 303
        assert not (await store.get_user(user.id)).active
        assert "معطّل" in (await client.get(f"/admin/users/{user.id}")).text

        client.cookies = user_cookies  # their open session has ended
        after = await client.get("/staff/tasks", follow_redirects=False)
        assert after.status_code == 303 and after.headers["location"].startswith("/login")
        assert (await log_in_as(client, "head.cls", "long-enough-1")).status_code != 303

        client.cookies = admin_cookies
        on = await post_form(
            client, f"/admin/users/{user.id}/active", f"/admin/users/{user.id}", {"active": "1"}
        )
        assert on.status_code == 303
        short = await post_form(
            client,
            f"/admin/users/{user.id}/password",
            f"/admin/users/{user.id}",
            {"password": "x"},
            headers=EN,
        )
        assert short.status_code == 422 and "at least 8" in " ".join(texts(short.text, ".error-message"))
        reset = await post_form(
            client,
            f"/admin/users/{user.id}/password",
            f"/admin/users/{user.id}",
            {"password": "a-new-password"},
        )
        assert reset.status_code == 303

        client.cookies = httpx.Cookies()
        assert (await log_in_as(client, "head.cls", "long-enough-1")).status_code != 303
        assert (await log_in_as(client, "head.cls", "a-new-password")).status_code == 303


REPLY = {
    "title_ar": "استلام الطلب",
    "title_en": "Request received",
    "body_ar": "تم استلام طلبكم وسيتم التواصل معكم قريباً",
    "body_en": "We received your request and will contact you soon",
    "tags": "استلام, general",
}


async def test_ready_replies_are_added_searched_edited_and_deactivated(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await as_admin(client)
        refused = await post_form(
            client, "/admin/replies", "/admin/replies", {**REPLY, "body_en": ""}, headers=EN
        )
        assert refused.status_code == 422 and "This field is required" in texts(
            refused.text, ".error-message"
        )
        assert form_values(refused.text, "form.add-reply")["title_ar"] == [REPLY["title_ar"]]
        added = await post_form(client, "/admin/replies", "/admin/replies", REPLY)
        assert added.status_code == 303
        await post_form(
            client,
            "/admin/replies",
            "/admin/replies",
            {
                "title_ar": "موعد الصيانة",
                "title_en": "Maintenance visit",
                "body_ar": "يزوركم فني الصيانة",
                "body_en": "A technician visits you",
                "tags": "صيانة",
            },
        )
        arabic = await client.get("/admin/replies", params={"q": "استلام"})
        english = await client.get("/admin/replies", params={"q": "TECHNICIAN"})
        assert len(html(arabic.text).css("tr[data-reply]")) == 1 and "استلام الطلب" in arabic.text
        assert len(html(english.text).css("tr[data-reply]")) == 1 and "Maintenance visit" in english.text
        store = client.app.state.runtime.store
        reply = (await store.search_ready_replies("Request received"))[0]
        page = await client.get(f"/admin/replies/{reply.id}")
        values = form_values(page.text, "form.edit-reply")
        assert values["tags"] == ["استلام, general"] and values["active"] == ["1"]
        edited = await client.post(
            f"/admin/replies/{reply.id}",
            data={**values, "title_en": "Request registered", "active": []},
            follow_redirects=False,
        )
        assert edited.status_code == 303
        reply = await store.get_ready_reply(reply.id)
        assert reply.title_en == "Request registered" and not reply.active
        assert reply.tags == ("استلام", "general")
        assert await store.search_ready_replies("Request registered") == []  # staff no longer see it
        listing = await client.get("/admin/replies", headers=EN)
        assert "Deactivated" in html(listing.text).css_first(f'tr[data-reply="{reply.id}"]').text()  # type: ignore[union-attr]


async def upload(client: Any, table: str, content: bytes, **kw: Any) -> Any:
    page = await client.get(f"/admin/lookups/{table}", **kw)
    return await client.post(
        f"/admin/lookups/{table}/import",
        data={"_csrf_token": csrf_of(page.text)},
        files={"file": (f"{table}.csv", content, "text/csv")},
        follow_redirects=False,
        **kw,
    )


async def test_an_imported_custody_ledger_is_what_the_clearance_guard_reads(tmp_path: Path) -> None:
    clearance = dict(catalogue().services["clearance"].form.schema["examples"][0])
    employee = str(clearance["employee_id"])
    ledger = f"employee_id,item,quantity,date\r\n{employee},حاسب محمول,1,2024-01-15\r\n".encode()
    async with client_for(tmp_path) as client:
        await as_admin(client)
        imported = await upload(client, "custody", BOM.encode() + ledger)
        assert imported.status_code == 303, texts(imported.text, ".csv-errors li")
        page = await client.get("/admin/lookups/custody")
        assert texts(page.text, ".row-count") == ["1"] and "حاسب محمول" in page.text
        tickets = client.app.state.runtime.tickets
        created = await tickets.submit(
            "clearance", clearance, channel="academic_system", actor=REQUESTER, requester_id="req-1"
        )
        assert isinstance(created, Created)
        ticket = created.ticket
        refusal = await tickets.act(ticket.id, "check_custody", {}, actor=CS, expected_version=ticket.version)
        assert isinstance(refusal, Refusal) and refusal.guard == "no_custody_held"
        returned = ledger + f"{employee},حاسب محمول,-1,2024-03-01\r\n".encode()
        assert (await upload(client, "custody", returned)).status_code == 303
        done = await tickets.act(ticket.id, "check_custody", {}, actor=CS, expected_version=ticket.version)
    assert not isinstance(done, Refusal), done


async def test_a_csv_with_bad_rows_is_refused_with_line_numbers_and_the_table_unchanged(
    tmp_path: Path,
) -> None:
    good = "employee_id,item,quantity,date\n100234,حاسب,1,2024-01-15\n"
    bad = (
        "employee_id,item,quantity,date\n"
        "100300,طابعة,1,2024-01-01\n"
        "100301,شاشة,two,2024-01-01\n"  # line 3: not an integer
        ",قلم,1,2024-02-30\n"  # line 4: no key, no such date
    )
    async with client_for(tmp_path) as client:
        await as_admin(client)
        assert (await upload(client, "custody", good.encode())).status_code == 303
        refused = await upload(client, "custody", bad.encode(), headers=EN)
        assert refused.status_code == 422
        errors = texts(refused.text, ".csv-errors li")
        assert len(errors) == 3
        assert errors[0].startswith("Line 3 (quantity)") and "whole number" in errors[0]
        assert any(e.startswith("Line 4 (employee_id)") and "key is required" in e for e in errors)
        assert any(e.startswith("Line 4 (date)") for e in errors)
        arabic = await upload(client, "custody", bad.encode())
        assert any(e.startswith("السطر 3 (quantity)") for e in texts(arabic.text, ".csv-errors li"))
        header = await upload(client, "custody", b"employee_id,item,qty\n1,a,1\n", headers=EN)
        assert header.status_code == 422
        assert {"Line 1 (qty): not a column of this table", "Line 1 (quantity): missing column"} <= set(
            texts(header.text, ".csv-errors li")
        )
        too_big = await upload(client, "custody", b"x" * (5 * 1024 * 1024 + 1), headers=EN)
        assert too_big.status_code == 422 and "larger than the limit (5 MB)" in too_big.text
        rows = await client.app.state.runtime.store.list_lookup_table("custody")
    assert rows == [{"employee_id": "100234", "item": "حاسب", "quantity": 1, "date": "2024-01-15"}]


async def test_csv_export_then_import_gives_the_same_rows(tmp_path: Path) -> None:
    rows = [
        {
            "code": "B1",
            "name_ar": "مبنى «الإدارة»، الدور الأول",
            "name_en": 'Admin, "main"',
            "campus": "العابدية",
        },
        {"code": "B2", "name_ar": "سطر\nثانٍ", "name_en": "=SUM(A1)", "campus": ""},
    ]
    async with client_for(tmp_path) as client:
        await as_admin(client)
        store = client.app.state.runtime.store
        await store.replace_lookup_table("buildings", "code", rows)
        exported = await client.get("/admin/lookups/buildings/export.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        assert exported.content.startswith(BOM.encode())
        assert exported.content.decode("utf-8-sig").splitlines()[0] == "code,name_ar,name_en,campus"
        assert "'=SUM(A1)" in exported.content.decode("utf-8")  # not a formula in a spreadsheet
        await store.replace_lookup_table("buildings", "code", [])
        assert (await upload(client, "buildings", exported.content)).status_code == 303
        assert await store.list_lookup_table("buildings") == rows
        page = await client.get("/admin/lookups/buildings")
        assert "مبنى «الإدارة»، الدور الأول" in texts(page.text, ".lookup-rows td")


def test_typed_columns_parse_and_export() -> None:
    from server.definitions.model import LookupColumn, LookupTable, Text

    label = Text(ar="ع", en="c")
    table = LookupTable(
        name=label,
        key="id",
        columns={
            "id": LookupColumn(type="integer", label=label),
            "n": LookupColumn(type="number", label=label),
            "ok": LookupColumn(type="boolean", label=label),
            "d": LookupColumn(type="date", label=label),
        },
    )
    rows = parse_csv(table, "ok,d,id,n\nنعم,2024-02-29,7,1.5\nfalse,,8,\n".encode())
    assert rows == [
        {"id": 7, "n": 1.5, "ok": True, "d": "2024-02-29"},
        {"id": 8, "n": None, "ok": False, "d": None},
    ]
    assert parse_csv(table, export_csv(table, rows)) == rows
    with pytest.raises(CsvRefused) as refused:
        parse_csv(table, b"id,n,ok,d\n1,nan,maybe,2024-1-1\n1,2\n")
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "n"), (2, "ok"), (2, "d"), (3, None)]
    with pytest.raises(CsvRefused):
        parse_csv(table, "id,n,ok,d\n1,1,true,2024-01-01\n".encode("utf-16"))


@pytest.mark.parametrize("roles", [["auditor"], ["customer_service"], ["department_head"]])
async def test_only_administrators_reach_the_administration(tmp_path: Path, roles: list[str]) -> None:
    urls = [
        "/admin/users",
        "/admin/replies",
        "/admin/lookups",
        "/admin/lookups/custody",
        "/admin/lookups/custody/export.csv",
    ]
    async with client_for(tmp_path) as client:
        for url in urls:
            anonymous = await client.get(url, follow_redirects=False)
            assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
        await login(client, "someone", roles, "classrooms")
        for url in urls:
            assert (await client.get(url)).status_code == 403, url
        csrf = csrf_of((await client.get("/")).text)
        for url in ["/admin/users", "/admin/replies", "/admin/lookups/custody/import"]:
            sent = await client.post(url, data={"_csrf_token": csrf, **NEW_USER}, follow_redirects=False)
            assert sent.status_code == 403, url
        store = client.app.state.runtime.store
        assert await store.get_user_by_username("head.cls") is None
        assert await store.list_ready_replies() == []
