"""The official JSON-Schema-Test-Suite, draft 2020-12, through the public submission API (issue 13).

Each case's schema is the schema of one required field, ``value``, of a form of its own service; each
of its instances is submitted as that field's value with ``POST /api/services/{id}/tickets`` and must
get the suite's verdict: 201 when the instance is valid, 422 when it is not. The cases are vendored
unchanged in ``tests/json_schema_test_suite/`` (see its README and LICENSE).

Placing a schema under a field moves it: a ``#`` reference inside it would name the form. So a case's
schema that has no ``$id`` gets one (``urn:case:N``): the standard's way of keeping it a resource of its
own, its references resolved against itself exactly as when it was a document.

Skipped, by design, and listed in :data:`REMOTE` and :func:`skip_reason`:
- a case that refers to a remote document (``http://localhost:1234/...``): a form never fetches one,
  the loader refuses it (``bad_reference``) — checked below, each of them is refused;
- an invalid ``format`` string "is only an annotation by default": khidma asserts ``format`` (the
  format-assertion vocabulary), a ``format: email`` field refuses what is not an e-mail address;
- an instance holding a control character (NUL, form feed; in a value or a key): the API refuses it in
  any JSON body, before any form (400, docs/security.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from server.definitions.loader import load_sources
from tests.definition_trees import ORGANISATION, PLAIN_WORKFLOW, plain_service
from tests.web import client_for, html

SUITE = Path(__file__).parent / "json_schema_test_suite" / "draft2020-12"

REMOTE = {
    ("dynamicRef.json", "strict-tree schema, guards against misspelled properties"),
    ("dynamicRef.json", "tests for implementation dynamic anchor and reference link"),
    ("dynamicRef.json", "$ref and $dynamicAnchor are independent of order - $defs first"),
    ("dynamicRef.json", "$ref and $dynamicAnchor are independent of order - $ref first"),
    ("dynamicRef.json", "$ref to $dynamicRef finds detached $dynamicAnchor"),
    ("vocabulary.json", "schema that uses custom metaschema with with no validation vocabulary"),
    ("vocabulary.json", "ignore unrecognized optional vocabulary"),
    *(
        ("refRemote.json", group["description"])
        for group in json.loads((SUITE / "refRemote.json").read_text(encoding="utf-8"))
    ),
}
"""Groups whose schema needs a document other than itself (the remotes of the suite, or a custom
meta-schema): refused by the loader, as every reference outside the form is."""

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def texts_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in texts_in(item)]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *texts_in(item)]]
    return []


def skip_reason(file: str, group: dict[str, Any], case: dict[str, Any]) -> str | None:
    if file == "format.json" and case["description"].endswith("is only an annotation by default"):
        return "khidma asserts format (the format-assertion vocabulary)"
    if any(_CONTROL.search(text) for text in texts_in(case["data"])):
        return "the API refuses control characters (NUL, form feed…) in any JSON body (docs/security.md)"
    return None


def groups() -> list[tuple[str, int, dict[str, Any]]]:
    found = []
    for path in sorted(SUITE.glob("*.json")):
        for index, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            found.append((path.name, index, group))
    return found


def field_schema(schema: Any, n: int) -> Any:
    if isinstance(schema, dict) and "$id" not in schema:
        return {**schema, "$id": f"urn:case:{n}"}
    return schema


def form(schema: Any, n: int) -> dict[str, Any]:
    """A form as another tool writes it: no x- keywords, no $schema."""
    return {
        "title": f"Case {n}",
        "type": "object",
        "required": ["value"],
        "properties": {"value": field_schema(schema, n)},
    }


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False)


def test_the_remote_cases_are_refused_by_the_loader() -> None:
    remote = [(n, g) for n, (file, _, g) in enumerate(groups()) if (file, g["description"]) in REMOTE]
    assert len(remote) == len(REMOTE)
    for n, group in remote:
        sources = {
            "service_definitions/organisation.json": dumps(ORGANISATION),
            f"service_definitions/s{n}.json": dumps(plain_service(f"s{n}", f"s{n}")),
            f"form_schemas/s{n}.json": dumps(form(group["schema"], n)),
            "workflows/plain.json": dumps(PLAIN_WORKFLOW),
        }
        codes = {e.code for e in load_sources(sources).errors}
        assert codes == {"bad_reference"}, (group["description"], codes)


async def test_every_local_case_of_the_suite_gets_its_verdict_through_the_api(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    for folder in ("service_definitions", "form_schemas", "workflows"):
        (root / folder).mkdir(parents=True)
    (root / "service_definitions" / "organisation.json").write_text(dumps(ORGANISATION), encoding="utf-8")
    (root / "workflows" / "plain.json").write_text(dumps(PLAIN_WORKFLOW), encoding="utf-8")
    cases: list[tuple[int, str, str, dict[str, Any]]] = []
    skipped: dict[str, int] = {}
    for n, (file, _, group) in enumerate(groups()):
        if (file, group["description"]) in REMOTE:
            skipped["refers to a remote document"] = skipped.get("refers to a remote document", 0) + len(
                group["tests"]
            )
            continue
        (root / "service_definitions" / f"s{n}.json").write_text(
            dumps(plain_service(f"s{n}", f"s{n}")), encoding="utf-8"
        )
        (root / "form_schemas" / f"s{n}.json").write_text(dumps(form(group["schema"], n)), encoding="utf-8")
        for case in group["tests"]:
            reason = skip_reason(file, group, case)
            if reason is not None:
                skipped[reason] = skipped.get(reason, 0) + 1
            else:
                cases.append((n, file, group["description"], case))

    wrong = []
    async with client_for(tmp_path, definitions=root, rate_limits=False) as client:
        for n, file, description, case in cases:
            response = await client.post(f"/api/services/s{n}/tickets", json={"value": case["data"]})
            expected = 201 if case["valid"] else 422
            if response.status_code != expected:
                wrong.append((file, description, case["description"], response.status_code))

    total = len(cases) + sum(skipped.values())
    passed = len(cases) - len(wrong)
    print(f"\nJSON-Schema-Test-Suite draft 2020-12: {passed}/{len(cases)} run cases pass ({total} in all)")
    for reason, count in sorted(skipped.items()):
        print(f"  skipped {count}: {reason}")
    assert wrong == [], "\n".join(map(str, wrong))
    assert len(cases) > 1100  # the suite is all there, not silently skipped


def test_every_case_renders_in_both_languages_with_each_instance_shown() -> None:
    """Whatever the standard allows, the renderer shows a form (a plain input where no widget fits):
    each case's form, with each of its instances as the submitted data, in Arabic and English."""
    from server.definitions.model import Form, Text
    from server.forms import build_form, environment, render_form_fields

    env = environment()
    rendered = 0
    for n, (_file, _, group) in enumerate(groups()):
        schema = form(group["schema"], n)
        document = Form(id=f"s{n}", title=Text(ar=schema["title"], en=schema["title"]), schema=schema)
        for case in group["tests"]:
            for lang in ("ar", "en"):
                view = build_form(document, data={"value": case["data"]}, lang=lang)
                page = html(str(render_form_fields(view, env)))
                field = schema["properties"]["value"]
                label = field.get("title") if isinstance(field, dict) else None
                labels = [" ".join(n.text().split()) for n in page.css("label, legend")]
                assert any(text.startswith(label or "value") for text in labels), (
                    group["description"],
                    labels,
                )
                rendered += 1
    assert rendered == 2 * sum(len(g["tests"]) for _, _, g in groups())
