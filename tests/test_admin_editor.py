"""The service editor (issue 6) through the real app: drafts, publishing, versions, migrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.definitions.bounds import nested_quantifier
from server.engine.model import Actor, Refusal
from server.tickets.service import Conflict, Created
from tests.test_requester_pages import example, login
from tests.web import client_for, csrf_of, form_values, html, texts

EN = {"accept-language": "en"}


def _textareas(page: str) -> dict[str, str]:
    return {str(n.attributes["name"]): n.text() for n in html(page).css("textarea")}


async def _post_edit(client: Any, service_id: str, action: str, files: dict[str, str], note: str = "") -> Any:
    page = await client.get(f"/admin/services/{service_id}/edit", headers=EN)
    data = {"_csrf_token": csrf_of(page.text), "note": note, **files}
    return await client.post(
        f"/admin/services/{service_id}/{action}", data=data, headers=EN, follow_redirects=False
    )


async def test_non_admins_get_403_and_anonymous_the_log_in_page(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        anonymous = await client.get("/admin/services", follow_redirects=False)
        await login(client, "cs.user", ["customer_service"], "customer_service")
        staff = await client.get("/admin/services/supplies/edit")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert staff.status_code == 403


async def test_a_new_service_created_published_submitted_and_closed_through_http(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"])
        listing = await client.get("/admin/services", headers=EN)
        assert "supplies" in texts(listing.text, "#admin-services td code")
        created = await client.post(
            "/admin/services/new",
            data={"_csrf_token": csrf_of(listing.text), "service_id": "key_loan"},
            follow_redirects=False,
        )
        assert created.status_code == 303 and created.headers["location"] == "/admin/services/key_loan/edit"
        edit = await client.get("/admin/services/key_loan/edit", headers=EN)
        files = _textareas(edit.text)
        assert set(files) == {
            "file:service_definitions/key_loan.json",
            "file:form_schemas/key_loan.json",
            "file:workflows/key_loan.json",
        }
        assert len(html(edit.text).css("#draft-preview .preview")) == 2  # both languages

        # a mistake, checked as typed: named by file and pointer, beside its textarea, and saved anyway
        service = json.loads(files["file:service_definitions/key_loan.json"])
        service["name"] = {"ar": "إعارة مفتاح", "en": "Key loan"}
        service["department"] = "nowhere"
        broken = {**files, "file:service_definitions/key_loan.json": json.dumps(service, ensure_ascii=False)}
        hx = {**EN, "hx-request": "true", "x-csrftoken": csrf_of(edit.text)}
        check = await client.post("/admin/services/key_loan/check", data=broken, headers=hx)
        assert check.status_code == 200 and "<html" not in check.text
        errors = html(check.text).css("#errors-service-definitions-key-loan-json .error-message")
        assert [e.attributes["data-pointer"] for e in errors] == ["/department"]
        saved = await _post_edit(client, "key_loan", "draft", broken)
        assert (
            saved.status_code == 200
            and "nowhere" in _textareas(saved.text)["file:service_definitions/key_loan.json"]
        )
        refused = await _post_edit(client, "key_loan", "publish", broken, note="first")
        assert refused.status_code == 422 and html(refused.text).css_first("#publish-refused") is not None
        assert await client.app.state.runtime.store.latest_definition("key_loan") is None

        service["department"] = "customer_service"
        fixed = {**files, "file:service_definitions/key_loan.json": json.dumps(service, ensure_ascii=False)}
        published = await _post_edit(client, "key_loan", "publish", fixed, note="a new service")
        assert published.status_code == 303, texts(published.text, "#draft-errors li")
        runtime = client.app.state.runtime
        version = await runtime.store.latest_definition("key_loan")
        assert version is not None and version.version == 1 and version.note == "a new service"
        assert version.created_by is not None and await runtime.store.get_draft("key_loan") is None

        # a requester submits it (anonymously, as the template allows) ...
        client.cookies.clear()
        apply = await client.get("/services/key_loan/apply", headers=EN)
        assert apply.status_code == 200, apply.text[:300]
        post = {**form_values(apply.text), "details": ["Room 12 key, please"]}
        sent = await client.post("/services/key_loan/apply", data=post, headers=EN, follow_redirects=False)
        assert sent.status_code == 303, texts(sent.text, ".error-summary li")
        number = sent.headers["location"].split("/track/")[1].split("?")[0]
        ticket = await runtime.store.get_ticket_by_number(number)
        assert ticket is not None and ticket.definition_version_id == version.id

        # ... and customer service closes it on the staff ticket page
        await login(client, "cs.user", ["customer_service"], "customer_service")
        staff_page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        assert staff_page.status_code == 200
        selector = f'form[action="/staff/tickets/{ticket.id}/actions/close"]'
        done = await client.post(
            f"/staff/tickets/{ticket.id}/actions/close",
            data=form_values(staff_page.text, selector),
            headers=EN,
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text[:500]
        closed = await runtime.store.get_ticket(ticket.id)
    assert closed is not None and closed.state == "closed" and closed.closed_at is not None


async def test_changing_the_supplies_form_keeps_open_tickets_on_v1_and_reports_the_difference(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        v1 = await runtime.store.latest_definition("supplies")
        requester = Actor(id="r1", name="Requester", roles=frozenset({"requester"}))
        data = {**example("supplies"), "room": "12"}
        old = await runtime.tickets.submit(
            "supplies", data, channel="web", actor=requester, requester_id="r1"
        )
        assert isinstance(old, Created)
        second = await runtime.tickets.submit(
            "supplies", data, channel="web", actor=requester, requester_id="r1"
        )
        assert isinstance(second, Created)

        await login(client, "admin", ["administrator"])
        edit = await client.get("/admin/services/supplies/edit", headers=EN)
        files = _textareas(edit.text)
        form = json.loads(files["file:form_schemas/supplies.json"])
        del form["properties"]["room"]
        form["properties"]["floor"] = {
            "type": "string",
            "maxLength": 20,
            "x-title": {"ar": "الطابق", "en": "Floor"},
        }
        for sample in form.get("examples", []):
            sample.pop("room", None)
        for key in ("x-order",):
            if key in form:
                form[key] = [n if n != "room" else "floor" for n in form[key]]
        files["file:form_schemas/supplies.json"] = json.dumps(form, ensure_ascii=False, indent=2)
        published = await _post_edit(client, "supplies", "publish", files, note="floor instead of room")
        assert published.status_code == 303, texts(published.text, "#draft-errors li")
        v2 = await runtime.store.latest_definition("supplies")
        assert v1 is not None and v2 is not None and v2.version == v1.version + 1

        kept = await runtime.store.get_ticket(old.ticket.id)
        assert kept is not None and kept.definition_version_id == v1.id
        assert (
            "room"
            in (await runtime.tickets.compiled_version(kept.definition_version_id)).form.schema["properties"]
        )
        new_data = {k: v for k, v in example("supplies").items() if k != "room"}
        new = await runtime.tickets.submit(
            "supplies", new_data, channel="web", actor=requester, requester_id="r1"
        )
        assert isinstance(new, Created) and new.ticket.definition_version_id == v2.id

        # an open v1 ticket finishes on v1: every action runs on the version it started on
        cs = Actor(id="cs", name="cs", roles=frozenset({"customer_service"}), department="customer_service")
        head = Actor(id="h", name="h", roles=frozenset({"department_head"}), department="classrooms")
        ticket = second.ticket
        for who, action, payload in [
            (cs, "route_to_department", {}),
            (head, "return_to_customer_service", {"outcome": "done", "reply": "تم التوريد"}),
            (cs, "reply_and_close", {"reply": "تم توريد الأجهزة"}),
        ]:
            result = await runtime.tickets.act(
                ticket.id, action, payload, actor=who, expected_version=ticket.version
            )
            assert not isinstance(result, Refusal | Conflict), result
            ticket = result
        assert (ticket.category, ticket.definition_version_id, ticket.data["room"]) == ("closed", v1.id, "12")

        versions = await client.get(
            f"/admin/services/supplies/versions?a={v1.version}&b={v2.version}", headers=EN
        )
        assert versions.status_code == 200
        assert any('"floor"' in n.text() for n in html(versions.text).css("ins.diff-add"))
        assert any('"room"' in n.text() for n in html(versions.text).css("del.diff-remove"))

        report = await client.get(
            f"/admin/services/supplies/migrate?from={v1.version}&to={v2.version}", headers=EN
        )
        assert texts(report.text, "#fields-added") == ["floor"]
        assert texts(report.text, "#fields-removed") == ["room"]
        assert texts(report.text, "#fields-renamed") == ["room → floor"]
        dry = await client.post(
            "/admin/services/supplies/migrate",
            data={
                "_csrf_token": csrf_of(report.text),
                "from": str(v1.version),
                "to": str(v2.version),
                "dry_run": "1",
            },
            headers=EN,
        )
        row = html(dry.text).css_first(f'#migration-plan tr[data-ticket="{old.ticket.number}"]')
        assert row is not None and row.attributes["data-ok"] == "no" and "room" in row.text()
        still = await runtime.store.get_ticket(old.ticket.id)
        assert still is not None and still.definition_version_id == v1.id  # a dry run writes nothing

        # ticking "drop room" lets the real run move it, with a migration event
        moved = await client.post(
            "/admin/services/supplies/migrate",
            data={
                "_csrf_token": csrf_of(report.text),
                "from": str(v1.version),
                "to": str(v2.version),
                "dry_run": "0",
                "drop": "room",
            },
            headers=EN,
        )
        assert "moved" in texts(moved.text, "#migration-outcomes li")[0]
        after = await runtime.store.get_ticket(old.ticket.id)
        events = await runtime.store.list_events(old.ticket.id)
    assert after is not None and after.definition_version_id == v2.id and "room" not in after.data
    assert events[-1].kind == "migration"


async def test_unsafe_input_is_refused_and_the_published_version_untouched(tmp_path: Path) -> None:
    assert nested_quantifier("^(a+)+$") and not nested_quantifier(r"^(\+9665|05)[0-9]{8}$")
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        before = await runtime.store.latest_definition("inquiries")
        await login(client, "admin", ["administrator"])
        edit = await client.get("/admin/services/inquiries/edit", headers=EN)
        files = _textareas(edit.text)
        form_key = next(k for k in files if k.startswith("file:form_schemas/inquiries"))
        workflow_key = next(k for k in files if k.startswith("file:workflows/"))

        workflow = json.loads(files[workflow_key])
        name = next(iter(workflow["notifications"]))
        workflow["notifications"][name]["body"]["en"] = "{{ ''.__class__ }}"
        regex = json.loads(files[form_key])
        regex["properties"]["bad"] = {
            "type": "string",
            "pattern": "^(a+)+$",
            "x-title": {"ar": "س", "en": "X"},
        }
        leaf = '{"type": "string", "x-title": {"ar": "س", "en": "X"}}'
        deep = (
            '{"type": "object", "x-title": {"ar": "س", "en": "X"}, "properties": {"x": ' * 1000
            + leaf
            + "}}" * 1000
        )
        nested_text = json.dumps(json.loads(files[form_key]), ensure_ascii=False)
        nested_text = nested_text[:-1] + ', "x-deep": ' + deep + "}"
        cases = [
            ({**files, workflow_key: json.dumps(workflow)}, workflow_key),
            ({**files, form_key: json.dumps(regex)}, form_key),
            ({**files, form_key: nested_text}, form_key),
        ]
        for changed, key in cases:
            response = await _post_edit(client, "inquiries", "publish", changed, note="unsafe")
            assert response.status_code == 422
            items = html(response.text).css("#draft-errors li")
            assert items and any(i.attributes["data-file"] == key.removeprefix("file:") for i in items), (
                texts(response.text, "#draft-errors li")
            )
        after = await runtime.store.latest_definition("inquiries")
    assert before is not None and after is not None and after.id == before.id


async def test_the_editor_draws_the_draft_workflow_live_and_escapes_its_labels(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"])
        edit = await client.get("/admin/services/supplies/edit", headers=EN)
        files = _textareas(edit.text)
        assert len(html(edit.text).css("#draft-diagram figure svg")) == 2  # Arabic and English
        workflow = json.loads(files["file:workflows/supplies.json"])
        workflow["states"]["closed"]["label"] = {"ar": "<script>مغلقة</script>", "en": "Closed <b>now</b>"}
        changed = {**files, "file:workflows/supplies.json": json.dumps(workflow, ensure_ascii=False)}
        hx = {**EN, "hx-request": "true", "x-csrftoken": csrf_of(edit.text)}
        check = await client.post("/admin/services/supplies/check", data=changed, headers=hx)
        broken = {**files, "file:workflows/supplies.json": "{ not json"}
        without = await client.post("/admin/services/supplies/check", data=broken, headers=hx)
    english = html(check.text).css_first('#draft-diagram figure[data-lang="en"]')
    assert english is not None and "Closed <b>now</b>" in english.text()
    assert "<script>" not in check.text and "<b>now</b>" not in check.text
    assert html(without.text).css("#draft-diagram svg") == []


async def test_the_service_definition_is_edited_through_a_form_drawn_from_its_meta_schema(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"])
        page = await client.get("/admin/services/supplies/service", headers=EN)
        assert page.status_code == 200
        doc = html(page.text)
        # labelled fields from the meta-schema, choices from the organisation, the id read-only
        assert (
            doc.css_first('input[name="name[ar]"]').attributes["value"]
            == "توفير المستلزمات والأجهزة التعليمية"
        )  # type: ignore[union-attr]
        assert "readonly" in doc.css_first('input[name="id"]').attributes  # type: ignore[union-attr]
        departments = [o.attributes.get("value") for o in doc.css('select[name="department"] option')]
        assert "classrooms" in departments and "maintenance_center" in departments
        assert "checked" in doc.css_first('input[name="channels"][value="web"]').attributes  # type: ignore[union-attr]
        post = form_values(page.text, "main form[method=post]")
        post["name[en]"] = ["Educational supplies and devices"]
        post["department"] = ["classrooms"]
        bad = await client.post(
            "/admin/services/supplies/service", data={**post, "name[ar]": [""]}, headers=EN
        )
        assert bad.status_code == 422 and html(bad.text).css_first("#error-summary") is not None
        saved = await client.post(
            "/admin/services/supplies/service", data=post, headers=EN, follow_redirects=False
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/admin/services/supplies/edit"
        edit = await client.get("/admin/services/supplies/edit", headers=EN)
        files = _textareas(edit.text)
        service = json.loads(files["file:service_definitions/supplies.json"])
        assert service["name"]["en"] == "Educational supplies and devices"
        assert service["form"] == "supplies" and service["workflow"] == "supplies"
        published = await _post_edit(client, "supplies", "publish", files, note="renamed in English")
        assert published.status_code in (200, 303), texts(published.text, ".error-summary li")
        latest = await client.app.state.runtime.store.latest_definition("supplies")
    assert latest is not None and latest.version == 2
    assert (
        json.loads(latest.bundle["service_definitions/supplies.json"])["name"]["en"]
        == "Educational supplies and devices"
    )


async def test_the_organisation_is_edited_in_the_browser_and_published_for_every_service(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        requester = Actor(id="r1", name="r", roles=frozenset({"requester"}))
        before = await runtime.tickets.submit(
            "inquiries", example("inquiries"), channel="web", actor=requester
        )
        assert isinstance(before, Created)
        await login(client, "admin", ["administrator"])
        page = await client.get("/admin/organisation/", headers=EN)
        text = html(page.text).css_first("#organisation-text").text()  # type: ignore[union-attr]
        org = json.loads(text)
        # a mistake is refused with its file and pointer, and nothing is published
        broken = dict(
            org,
            departments={
                **org["departments"],
                "labs": {"name": {"ar": "المعامل", "en": "Labs"}, "head_role": "dean"},
            },
        )
        data = {
            "_csrf_token": csrf_of(page.text),
            "text": json.dumps(broken, ensure_ascii=False),
            "action": "publish",
        }
        refused = await client.post("/admin/organisation/", data=data, headers=EN)
        assert refused.status_code == 422
        pointers = [n.attributes["data-pointer"] for n in html(refused.text).css("#organisation-errors li")]
        assert "/departments/labs/head_role" in pointers
        assert (await runtime.store.latest_definition("supplies")).version == 1  # type: ignore[union-attr]
        # a new department, published for every service
        fixed = dict(
            org,
            departments={
                **org["departments"],
                "labs": {"name": {"ar": "المعامل", "en": "Labs"}, "head_role": "department_head"},
            },
        )
        data = {**data, "text": json.dumps(fixed, ensure_ascii=False, indent=2), "note": "a labs department"}
        done = await client.post("/admin/organisation/", data=data, headers=EN, follow_redirects=False)
        assert done.status_code == 303
        versions = await runtime.store.latest_definitions()
        users = await client.get("/admin/users", headers=EN)
        kept = await runtime.store.get_ticket(before.ticket.id)
    assert len(versions) == 9 and {v.version for v in versions} == {2}
    assert all(v.note == "a labs department" for v in versions)
    assert "labs" in runtime.org.departments
    assert "Labs" in html(users.text).text()
    assert (kept is not None and kept.definition_version_id != versions[0].id) or kept.service_id != versions[
        0
    ].service_id


async def test_publishing_unchanged_texts_with_browser_line_ends_publishes_nothing(tmp_path: Path) -> None:
    """A browser sends textareas with CRLF line ends, an editor may re-indent: the same definitions,
    so no new version."""
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"])
        runtime = client.app.state.runtime
        before = await runtime.store.latest_definition("inquiries")
        edit = await client.get("/admin/services/inquiries/edit", headers=EN)
        files = {
            name: json.dumps(json.loads(text), ensure_ascii=False, indent=4).replace("\n", "\r\n")
            for name, text in _textareas(edit.text).items()
            if name.startswith("file:")
        }
        unchanged = await _post_edit(client, "inquiries", "publish", files)
        same = await runtime.store.latest_definition("inquiries")
        form = json.loads(files["file:form_schemas/inquiries.json"])
        form["x-title"]["en"] = "Inquiries (edited)"
        files["file:form_schemas/inquiries.json"] = json.dumps(form, ensure_ascii=False, indent=2)
        edited = await _post_edit(client, "inquiries", "publish", files)
        after = await runtime.store.latest_definition("inquiries")
    assert unchanged.status_code in (200, 303) and edited.status_code in (200, 303)
    assert before is not None and same is not None and after is not None
    assert same.id == before.id
    assert after.version == before.version + 1
