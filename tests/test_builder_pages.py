"""The form and workflow builders through the real app (issue 13): administrators only, CSRF, each
refusal beside its input in the page's language, the loader's errors beside the thing they concern,
the JSON view and the builders editing the same draft, and a new service created with its name."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.test_requester_pages import login
from tests.web import client_for, csrf_of, form_values, html, texts

EN = {"accept-language": "en"}
AR = {"accept-language": "ar"}
FORM = "/admin/services/supplies/build/form"
WORKFLOW = "/admin/services/supplies/build/workflow"


async def _admin(client: Any) -> str:
    await login(client, "admin", ["administrator"])
    return csrf_of((await client.get(FORM, headers=EN)).text)


async def _draft(client: Any, service_id: str = "supplies") -> dict[str, str]:
    draft = await client.app.state.runtime.store.get_draft(service_id)
    return dict(draft.files) if draft else {}


async def test_only_administrators_reach_the_builders(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        anonymous = await client.get(FORM, follow_redirects=False)
        await login(client, "head", ["department_head"], "classrooms")
        token = csrf_of((await client.get("/staff/tasks")).text)
        pages = [await client.get(path) for path in (FORM, WORKFLOW, f"{FORM}?kind=date")]
        posts = [
            await client.post(f"{FORM}/remove", data={"_csrf_token": token, "path": "college"}),
            await client.post(f"{WORKFLOW}/state/remove", data={"_csrf_token": token, "original": "closed"}),
        ]
        assert await _draft(client) == {}
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert [p.status_code for p in pages] == [403, 403, 403]
    assert [p.status_code for p in posts] == [403, 403]


async def test_an_operation_without_the_csrf_token_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await _admin(client)
        response = await client.post(f"{FORM}/remove", data={"path": "notes"}, follow_redirects=False)
        assert response.status_code == 403 and await _draft(client) == {}


async def test_the_fields_listed_with_kind_condition_and_a_preview_in_both_languages(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await _admin(client)
        page = await client.get("/admin/services/maintenance/build/form", headers=EN)
    document = html(page.text)
    assert page.status_code == 200
    paths = [n.attributes["data-path"] for n in document.css(".builder-row")]
    assert paths[:4] == ["college", "building", "room", "device_type"]
    assert texts(page.text, '[data-path="device_type_other"] .row-condition') == [
        "Shown when “Type of device or supply” is: Other"
    ]
    assert [n.attributes["data-lang"] for n in document.css("#builder-preview .preview")] == ["ar", "en"]


async def test_a_field_added_edited_moved_and_removed_is_saved_in_the_draft_the_json_view_shows(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        token = await _admin(client)
        editor = await client.get(f"{FORM}?kind=yes_no", headers=EN)
        assert html(editor.text).css_first("#field-form") is not None
        values = {
            **form_values(editor.text, "#field-form"),
            "name": ["urgent"],
            "title_ar": ["عاجل"],
            "title_en": ["Urgent"],
        }
        added = await client.post(f"{FORM}/add", data=values, headers=EN, follow_redirects=False)
        assert added.status_code == 303 and added.headers["location"] == FORM
        titled = await client.post(
            f"{FORM}/title",
            data={"_csrf_token": token, "form_title_ar": "طلب مستلزمات", "form_title_en": "Supplies request"},
            follow_redirects=False,
        )
        assert titled.status_code == 303
        moved = await client.post(
            f"{FORM}/up", data={"_csrf_token": token, "path": "urgent"}, follow_redirects=False
        )
        assert moved.status_code == 303
        form = json.loads((await _draft(client))["form_schemas/supplies.json"])
        assert form["properties"]["urgent"] == {"type": "boolean", "x-title": {"ar": "عاجل", "en": "Urgent"}}
        assert form["x-title"] == {"ar": "طلب مستلزمات", "en": "Supplies request"}
        assert form["x-order"][-2:] == ["urgent", form["x-order"][-1]] and form["x-order"][-1] != "urgent"

        json_view = await client.get("/admin/services/supplies/edit", headers=EN)
        boxes = {n.attributes["name"]: n.text() for n in html(json_view.text).css("textarea")}
        assert '"urgent"' in boxes["file:form_schemas/supplies.json"]

        edit = await client.get(f"{FORM}?edit=urgent", headers=EN)
        values = {**form_values(edit.text, "#field-form"), "title_en": ["Very urgent"]}
        assert values["name"] == ["urgent"] and values["title_ar"] == ["عاجل"]
        await client.post(f"{FORM}/edit", data=values, headers=EN, follow_redirects=False)
        removed = await client.post(
            f"{FORM}/remove", data={"_csrf_token": token, "path": "urgent"}, follow_redirects=False
        )
        assert removed.status_code == 303
        listing = await client.get(FORM, headers=EN)
        assert "urgent" not in json.loads((await _draft(client))["form_schemas/supplies.json"])["properties"]
    assert not html(listing.text).css('[data-path="urgent"]')


async def test_a_refused_field_shows_each_error_beside_its_input_in_the_page_language(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await _admin(client)
        replies = {}
        for lang, headers in (("ar", AR), ("en", EN)):
            editor = await client.get(f"{FORM}?kind=number", headers=headers)
            values = {
                **form_values(editor.text, "#field-form"),
                "name": ["Count!"],
                "title_ar": ["عدد"],
                "minimum": ["9"],
                "maximum": ["2"],
            }
            replies[lang] = await client.post(f"{FORM}/add", data=values, headers=headers)
        assert await _draft(client) == {}
    for reply in replies.values():
        assert reply.status_code == 422
        page = html(reply.text)
        errors = {n.attributes["data-for"]: n.text() for n in page.css("#field-form .error-message")}
        assert set(errors) == {"name", "title_en", "maximum"}
        assert page.css_first("#b-title_ar").attributes["value"] == "عدد"  # what was typed is kept
        assert page.css_first("#b-name").attributes["aria-invalid"] == "true"
    assert html(replies["ar"].text).css_first("html").attributes["dir"] == "rtl"
    assert texts(replies["ar"].text, '[data-for="title_en"]') == ["هذا النص مطلوب."]
    assert texts(replies["en"].text, '[data-for="maximum"]') == ["The upper limit is below the lower one."]


async def test_a_list_operation_refused_says_why_above_the_list(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        token = await _admin(client)
        reply = await client.post(
            "/admin/services/maintenance/build/form/remove",
            data={"_csrf_token": token, "path": "device_type"},
            headers=EN,
        )
    assert reply.status_code == 422
    assert texts(reply.text, "#builder-refusal") == [
        "Other fields are shown depending on this one; remove their conditions first."
    ]


async def test_the_preview_applies_the_field_as_typed_and_saves_nothing(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await _admin(client)
        editor = await client.get(f"{FORM}?kind=short_text", headers=EN)
        values = {
            **form_values(editor.text, "#field-form"),
            "name": ["plate"],
            "title_ar": ["اللوحة"],
            "title_en": ["Plate"],
        }
        hx = {**EN, "hx-request": "true"}
        reply = await client.post(f"{FORM}/preview", data=values, headers=hx)
        assert reply.status_code == 200 and await _draft(client) == {}
    assert "Plate" in texts(reply.text, '#builder-preview .preview[data-lang="en"] label')[-1]
    assert "اللوحة" in texts(reply.text, '#builder-preview .preview[data-lang="ar"] label')[-1]


async def test_choices_copied_from_a_lookup_table(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await _admin(client)
        rows = [
            {"code": "eng", "name_ar": "الهندسة", "name_en": "Engineering"},
            {"code": "med", "name_ar": "الطب", "name_en": "Medicine"},
        ]
        await client.app.state.runtime.store.replace_lookup_table("colleges", "code", rows)
        editor = await client.get(f"{FORM}?kind=choice_one", headers=EN)
        values = {
            **form_values(editor.text, "#field-form"),
            "name": ["faculty"],
            "title_ar": ["الكلية"],
            "title_en": ["Faculty"],
            "lookup": ["colleges"],
        }
        added = await client.post(f"{FORM}/add", data=values, headers=EN, follow_redirects=False)
        assert added.status_code == 303
        form = json.loads((await _draft(client))["form_schemas/supplies.json"])
    assert form["properties"]["faculty"]["oneOf"] == [
        {"const": "eng", "x-title": {"ar": "الهندسة", "en": "Engineering"}},
        {"const": "med", "x-title": {"ar": "الطب", "en": "Medicine"}},
    ]


async def test_a_loader_error_is_shown_beside_the_action_it_concerns_in_the_page_language(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        token = await _admin(client)
        # the JSON view and the builder edit the same draft: a guard made to read a field the form lacks
        files = (await client.get("/admin/services/inquiries/edit", headers=EN)).text
        boxes = {n.attributes["name"]: n.text() for n in html(files).css("textarea")}
        workflow = json.loads(boxes["file:workflows/inquiries.json"])
        workflow["guards"] = {"known": {"expr": "data.missing == 1", "message": {"ar": "لا", "en": "No"}}}
        workflow["actions"]["add_note"]["guards"] = ["known"]
        boxes["file:workflows/inquiries.json"] = json.dumps(workflow, ensure_ascii=False)
        saved = await client.post(
            "/admin/services/inquiries/draft", data={"_csrf_token": token, **boxes}, headers=EN
        )
        assert saved.status_code == 200
        page = await client.get("/admin/services/inquiries/build/workflow", headers=AR)
    assert texts(page.text, '[data-action="add_note"] .error-message') == [
        "الشرط غير صحيح: حقل غير موجود أو قيمة من نوع آخر."
    ]
    assert not html(page.text).css('[data-action="reply_and_close"] .error-message')


async def test_a_state_and_an_action_saved_and_refused_through_the_workflow_builder(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        token = await _admin(client)
        new_state = await client.get(f"{WORKFLOW}?kind=state", headers=EN)
        values = {
            **form_values(new_state.text, "#state-form"),
            "id": ["on_hold"],
            "title_ar": ["معلقة"],
            "title_en": ["On hold"],
            "category": ["pending"],
        }
        saved = await client.post(f"{WORKFLOW}/state/save", data=values, headers=EN, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == WORKFLOW
        action = await client.get(f"{WORKFLOW}?kind=action", headers=EN)
        values = {
            **form_values(action.text, "#action-form"),
            "id": ["hold"],
            "title_ar": ["تعليق"],
            "title_en": ["Hold"],
            "from": ["received"],
            "to": ["on_hold"],
            "who": ["customer_service"],
            "condition": ["data.quantity >"],
            "message_ar": ["لا"],
            "message_en": ["No"],
        }
        refused = await client.post(f"{WORKFLOW}/action/save", data=values, headers=AR)
        assert refused.status_code == 422
        assert texts(refused.text, '[data-for="condition"]') == [
            "الشرط غير صحيح: تحقق من الحقل والقيمة ونوعها."
        ]
        assert html(refused.text).css_first('#b-from input[value="received"][checked]') is not None
        no_state = await client.post(f"{WORKFLOW}/action/save", data={**values, "from": []}, headers=EN)
        assert texts(no_state.text, '#b-from [data-for="from"]') == ["Pick at least one state."]
        values["condition"] = ['ticket.channel != "whatsapp"']
        ok = await client.post(f"{WORKFLOW}/action/save", data=values, headers=EN, follow_redirects=False)
        assert ok.status_code == 303
        still_used = await client.post(
            f"{WORKFLOW}/state/remove", data={"_csrf_token": token, "original": "on_hold"}, headers=EN
        )
        unknown = await client.post(f"{WORKFLOW}/spaceship/save", data={"_csrf_token": token}, headers=EN)
        workflow = json.loads((await _draft(client))["workflows/supplies.json"])
    assert still_used.status_code == 422 and unknown.status_code == 404
    assert workflow["states"]["on_hold"]["category"] == "pending"
    assert workflow["guards"]["hold_condition"]["expr"] == 'ticket.channel != "whatsapp"'


async def test_an_unknown_service_or_operation_is_404(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        token = await _admin(client)
        replies = [
            await client.get("/admin/services/nowhere/build/form"),
            await client.get("/admin/services/nowhere/build/workflow"),
            await client.post(f"{FORM}/explode", data={"_csrf_token": token}),
            await client.post("/admin/services/nowhere/build/form/add", data={"_csrf_token": token}),
        ]
        into_nothing = await client.post(
            f"{FORM}/add",
            data={
                "_csrf_token": token,
                "kind": "date",
                "name": "d",
                "title_ar": "ت",
                "title_en": "D",
                "container": "ghost",
            },
            headers=EN,
        )
        assert texts(into_nothing.text, '#editor-errors [data-for="container"]') == [
            "There is no such group."
        ]
    assert [r.status_code for r in replies] == [404, 404, 404, 404]


async def test_a_new_service_takes_its_name_and_department_and_opens_in_the_builders(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await _admin(client)
        token = csrf_of((await client.get("/admin/services", headers=EN)).text)
        one_language = await client.post(
            "/admin/services/new",
            data={"_csrf_token": token, "service_id": "keys", "name_en": "Keys"},
            headers=EN,
        )
        created = await client.post(
            "/admin/services/new",
            data={
                "_csrf_token": token,
                "service_id": "keys",
                "name_ar": "المفاتيح",
                "name_en": "Keys",
                "department": "classrooms",
            },
            follow_redirects=False,
        )
        service = json.loads((await _draft(client, "keys"))["service_definitions/keys.json"])
        builder = await client.get("/admin/services/keys/build/form", headers=EN)
    assert one_language.status_code == 422
    assert texts(one_language.text, "#new-service-name_ar-error") == [
        "Write the text in both languages, or in neither."
    ]
    assert created.status_code == 303
    assert service["name"] == {"ar": "المفاتيح", "en": "Keys"} and service["department"] == "classrooms"
    assert builder.status_code == 200 and texts(builder.text, ".builder-row code") == ["details"]


async def test_a_draft_of_a_shape_the_builders_cannot_read_sends_to_the_json_view_never_a_500(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        token = await _admin(client)
        store = client.app.state.runtime.store
        latest = await store.latest_definition("supplies")
        files = {k: str(v) for k, v in latest.bundle.items() if k != "service_definitions/organisation.json"}
        form = json.loads(files["form_schemas/supplies.json"])
        form["properties"] = ["not", "an", "object"]
        form["x-order"] = "college"
        workflow = json.loads(files["workflows/supplies.json"])
        workflow["initial"] = ["received"]
        workflow["states"]["received"] = "a state as a string"
        workflow["actions"] = {"route": {"from": "received", "who": "everyone", "effects": {"notify": 1}}}
        files["form_schemas/supplies.json"] = json.dumps(form)
        files["workflows/supplies.json"] = json.dumps(workflow)
        await store.save_draft("supplies", files, by=None, now=dt.datetime.now(dt.UTC))
        pages = [
            await client.get(FORM, headers=EN),
            await client.get(f"{FORM}?kind=choice_one", headers=EN),
            await client.get(WORKFLOW, headers=EN),
            await client.get(f"{WORKFLOW}?kind=action&id=route", headers=EN),
            await client.get(f"{WORKFLOW}?kind=state&id=received", headers=EN),
        ]
        operations = [
            await client.post(
                f"{FORM}/add",
                data={"_csrf_token": token, "kind": "date", "name": "d", "title_ar": "ت", "title_en": "D"},
                headers=EN,
            ),
            await client.post(f"{FORM}/preview", data={"_csrf_token": token, "kind": "date"}, headers=EN),
            await client.post(f"{WORKFLOW}/action/remove", data={"_csrf_token": token, "original": "route"}),
            await client.post(
                f"{WORKFLOW}/state/save",
                data={
                    "_csrf_token": token,
                    "original": "received",
                    "id": "received",
                    "title_ar": "م",
                    "title_en": "R",
                    "category": "open",
                    "assignee": "head",
                },
            ),
        ]
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 200]
    assert all(s < 500 for s in (o.status_code for o in operations)), [o.status_code for o in operations]


async def test_an_action_form_created_and_built_in_the_form_builder(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        token = await _admin(client)
        new = {
            "_csrf_token": token,
            "new_form_id": "handover",
            "new_form_ar": "تسليم",
            "new_form_en": "Handover",
        }
        bad = await client.post(f"{FORM}/new_form", data={**new, "new_form_id": "supplies"}, headers=EN)
        created = await client.post(f"{FORM}/new_form", data=new, follow_redirects=False)
        assert created.status_code == 303 and created.headers["location"] == f"{FORM}?file=handover"
        editor = await client.get(f"{FORM}?file=handover&kind=member", headers=EN)
        values = {
            **form_values(editor.text, "#field-form"),
            "name": ["assignee"],
            "title_ar": ["الموظف"],
            "title_en": ["Staff member"],
            "required": ["on"],
        }
        assert values["file"] == ["handover"]
        added = await client.post(f"{FORM}/add", data=values, follow_redirects=False)
        listing = await client.get(f"{FORM}?file=handover", headers=EN)
        action = await client.get(f"{WORKFLOW}?kind=action", headers=EN)
        files = await _draft(client)
    assert bad.status_code == 422 and texts(bad.text, "#builder-refusal") == ["This identifier is taken."]
    assert added.status_code == 303 and added.headers["location"] == f"{FORM}?file=handover"
    handover = json.loads(files["form_schemas/handover.json"])
    assert handover["x-title"] == {"ar": "تسليم", "en": "Handover"} and handover["required"] == ["assignee"]
    assert handover["properties"]["assignee"]["x-department-member"] is True
    assert "assignee" not in json.loads(files["form_schemas/supplies.json"])["properties"]
    assert texts(listing.text, ".builder-row code") == ["assignee"]
    assert "handover" in texts(action.text, "#b-form option")
