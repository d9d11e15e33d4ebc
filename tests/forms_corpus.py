"""The form renderer's test corpus: one small form per keyword or feature the renderer supports, each
with a valid and an invalid submission written as a browser would post them (lists of strings).

Also a browser's form serialization (:func:`serialize`), so tests can read a rendered form back
into a post the way a browser submits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from server.definitions.model import Form, Text

Post = dict[str, list[str]]


def t(ar: str, en: str) -> dict[str, str]:
    return {"ar": ar, "en": en}


def schema(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "x-title": extra.pop("x_title", t("نموذج تجريبي", "Test form")),
        "properties": properties,
        **extra,
    }


@dataclass(frozen=True)
class Case:
    name: str
    schema: dict[str, Any]
    valid: Post
    invalid: Post
    valid_data: dict[str, Any] | None = None
    """What the valid post coerces to, when the case checks it."""
    invalid_paths: frozenset[str] = field(default_factory=frozenset)
    """Error pointers the invalid post must produce (among others)."""
    tampered: frozenset[str] = field(default_factory=frozenset)
    """Fields of the invalid post with a value no browser sends (not an option of the select): the page
    cannot show such a value back."""

    def form(self) -> Form:
        title = self.schema["x-title"]
        return Form(id=self.name, title=Text(ar=title["ar"], en=title["en"]), schema=self.schema)


NAME = {"type": "string", "minLength": 2, "maxLength": 50, "x-title": t("الاسم", "Name")}

CASES: list[Case] = [
    Case(
        "nested_object",
        schema(
            {
                "name": NAME,
                "address": {
                    "type": "object",
                    "x-title": t("العنوان", "Address"),
                    "required": ["city"],
                    "x-order": ["city", "street", "geo"],
                    "properties": {
                        "street": {"type": "string", "x-title": t("الشارع", "Street")},
                        "city": {"type": "string", "minLength": 2, "x-title": t("المدينة", "City")},
                        "geo": {
                            "type": "object",
                            "x-title": t("الإحداثيات", "Coordinates"),
                            "properties": {"lat": {"type": "number", "x-title": t("خط العرض", "Latitude")}},
                        },
                    },
                },
            },
            required=["name", "address"],
        ),
        valid={"name": ["سارة"], "address[city]": ["مكة"], "address[geo][lat]": ["21.42"]},
        invalid={"name": ["سارة"], "address[street]": ["شارع العزيزية"], "address[geo][lat]": ["north"]},
        valid_data={"name": "سارة", "address": {"city": "مكة", "geo": {"lat": 21.42}}},
        invalid_paths=frozenset({"/address/city", "/address/geo/lat"}),
    ),
    Case(
        "string_formats",
        schema(
            {
                "email": {"type": "string", "format": "email", "x-title": t("البريد", "E-mail")},
                "day": {"type": "string", "format": "date", "x-title": t("اليوم", "Day")},
                "at": {"type": "string", "format": "time", "x-title": t("الوقت", "Time")},
                "when": {"type": "string", "format": "date-time", "x-title": t("الموعد", "When")},
                "site": {"type": "string", "format": "uri", "x-title": t("الموقع", "Website")},
            }
        ),
        valid={
            "email": ["a@example.org"],
            "day": ["2026-05-01"],
            "at": ["09:30"],
            "when": ["2026-05-01T09:30"],
            "site": ["https://example.org"],
        },
        invalid={"email": ["not an address"], "day": ["2026-13-45"]},
        invalid_paths=frozenset({"/email", "/day"}),
    ),
    Case(
        "widgets",
        schema(
            {
                "story": {
                    "type": "string",
                    "x-widget": "textarea",
                    "x-rows": 3,
                    "maxLength": 500,
                    "x-title": t("القصة", "Story"),
                },
                "mobile": {"type": "string", "x-widget": "tel", "x-title": t("الجوال", "Mobile")},
                "secret": {
                    "type": "string",
                    "minLength": 8,
                    "x-widget": "password",
                    "x-title": t("كلمة المرور", "Password"),
                },
                "source": {
                    "type": "string",
                    "const": "web",
                    "default": "web",
                    "x-widget": "hidden",
                    "x-title": t("المصدر", "Source"),
                },
                "link": {"type": "string", "x-widget": "url", "x-title": t("رابط", "Link")},
                "count": {"type": "integer", "x-widget": "number", "x-title": t("العدد", "Count")},
                "when": {"type": "string", "x-widget": "datetime", "x-title": t("الموعد", "When")},
                "day": {"type": "string", "x-widget": "date", "x-title": t("اليوم", "Day")},
                "at": {"type": "string", "x-widget": "time", "x-title": t("الوقت", "Time")},
                "mail": {"type": "string", "x-widget": "email", "x-title": t("البريد", "E-mail")},
                "plain": {
                    "type": "string",
                    "format": "email",
                    "x-widget": "text",
                    "x-title": t("نص", "Text"),
                },
            },
            required=["source"],
        ),
        valid={
            "story": ["سطر أول\r\nسطر ثان"],
            "mobile": ["٠٥٥١٢٣٤٥٦٧"],
            "secret": ["correct horse"],
            "count": ["3"],
        },
        invalid={"story": ["x" * 501], "secret": ["short"], "count": ["three"]},
        valid_data={
            "story": "سطر أول\nسطر ثان",
            "mobile": "0551234567",
            "secret": "correct horse",
            "count": 3,
        },
        invalid_paths=frozenset({"/story", "/secret", "/count"}),
    ),
    Case(
        "lengths",
        schema(
            {"code": {"type": "string", "minLength": 3, "maxLength": 5, "x-title": t("الرمز", "Code")}},
            required=["code"],
        ),
        valid={"code": ["  ab12  "]},
        invalid={"code": ["ab"]},
        valid_data={"code": "ab12"},
        invalid_paths=frozenset({"/code"}),
    ),
    Case(
        "pattern",
        schema(
            {
                "anchored": {"type": "string", "pattern": "^[0-9]{4}$", "x-title": t("السنة", "Year")},
                "anywhere": {"type": "string", "pattern": "uqu", "x-title": t("الجهة", "Body")},
                "unsafe": {"type": "string", "pattern": "^[a-z-]+$", "x-title": t("المعرف", "Slug")},
                "alternatives": {"type": "string", "pattern": "^a|b$", "x-title": t("بديل", "Alternative")},
            }
        ),
        valid={"anchored": ["2026"], "anywhere": ["uqu.edu.sa"], "unsafe": ["a-b"], "alternatives": ["xb"]},
        invalid={"anchored": ["26"], "anywhere": ["kau.edu.sa"], "unsafe": ["A B"]},
        invalid_paths=frozenset({"/anchored", "/anywhere", "/unsafe"}),
    ),
    Case(
        "enum",
        schema({"size": {"type": "string", "enum": ["small", "large"], "x-title": t("الحجم", "Size")}}),
        valid={"size": ["large"]},
        invalid={"size": ["huge"]},
        valid_data={"size": "large"},
        invalid_paths=frozenset({"/size"}),
        tampered=frozenset({"size"}),
    ),
    Case(
        "one_of_const",
        schema(
            {
                "reason": {
                    "type": "string",
                    "x-title": t("السبب", "Reason"),
                    "oneOf": [
                        {"const": "retirement", "x-title": t("تقاعد", "Retirement")},
                        {"const": "resignation", "x-title": t("استقالة", "Resignation")},
                    ],
                }
            },
            required=["reason"],
        ),
        valid={"reason": ["resignation"]},
        invalid={"reason": ["fired"]},
        valid_data={"reason": "resignation"},
        invalid_paths=frozenset({"/reason"}),
        tampered=frozenset({"reason"}),
    ),
    Case(
        "any_of_const",
        schema(
            {
                "level": {
                    "type": "integer",
                    "x-title": t("المستوى", "Level"),
                    "anyOf": [
                        {"const": 1, "x-title": t("الأول", "First")},
                        {"const": 2, "x-title": t("الثاني", "Second")},
                    ],
                }
            }
        ),
        valid={"level": ["2"]},
        invalid={"level": ["3"]},
        valid_data={"level": 2},
        invalid_paths=frozenset({"/level"}),
        tampered=frozenset({"level"}),
    ),
    Case(
        "radio",
        schema(
            {
                "urgency": {
                    "type": "string",
                    "x-widget": "radio",
                    "x-title": t("درجة الأهمية", "Urgency"),
                    "x-help": t("اختر واحدة", "Choose one"),
                    "oneOf": [
                        {"const": "normal", "x-title": t("عادية", "Normal")},
                        {"const": "urgent", "x-title": t("عاجلة", "Urgent")},
                    ],
                },
                "answer": {"type": "boolean", "x-widget": "radio", "x-title": t("الإجابة", "Answer")},
            },
            required=["urgency"],
        ),
        valid={"urgency": ["urgent"], "answer": ["false"]},
        invalid={"answer": ["true"]},
        valid_data={"urgency": "urgent", "answer": False},
        invalid_paths=frozenset({"/urgency"}),
    ),
    Case(
        "numbers",
        schema(
            {
                "quantity": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10,
                    "x-title": t("الكمية", "Quantity"),
                },
                "above": {"type": "integer", "exclusiveMinimum": 0, "x-title": t("موجب", "Positive")},
                "ratio": {
                    "type": "number",
                    "exclusiveMaximum": 1,
                    "minimum": 0,
                    "x-title": t("النسبة", "Ratio"),
                },
                "price": {"type": "number", "multipleOf": 0.25, "x-title": t("السعر", "Price")},
            },
            required=["quantity"],
        ),
        valid={"quantity": ["٧"], "above": ["3"], "ratio": ["0.5"], "price": ["2.75"]},
        invalid={"quantity": ["11"], "above": ["0"], "ratio": ["lots"], "price": ["1.1"]},
        valid_data={"quantity": 7, "above": 3, "ratio": 0.5, "price": 2.75},
        invalid_paths=frozenset({"/quantity", "/above", "/ratio", "/price"}),
    ),
    Case(
        "boolean",
        schema(
            {
                "newsletter": {"type": "boolean", "x-title": t("النشرة البريدية", "Newsletter")},
                "agree": {
                    "type": "boolean",
                    "const": True,
                    "x-title": t("أوافق على الشروط", "I agree to the terms"),
                },
            },
            required=["agree"],
        ),
        valid={"newsletter": ["true"], "agree": ["true"]},
        invalid={"newsletter": ["true"]},
        valid_data={"newsletter": True, "agree": True},
        invalid_paths=frozenset({"/agree"}),
    ),
    Case(
        "checkboxes",
        schema(
            {
                "kinds": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "x-widget": "checkboxes",
                    "x-title": t("نوع التوثيق", "Kind of documentation"),
                    "items": {
                        "type": "string",
                        "oneOf": [
                            {"const": "filming", "x-title": t("تصوير", "Filming")},
                            {"const": "recording", "x-title": t("تسجيل", "Recording")},
                            {"const": "broadcasting", "x-title": t("بث", "Broadcasting")},
                        ],
                    },
                }
            },
            required=["kinds"],
        ),
        valid={"kinds": ["filming", "broadcasting", "filming"]},
        invalid={"kinds": ["juggling"]},
        valid_data={"kinds": ["filming", "broadcasting"]},
        invalid_paths=frozenset({"/kinds"}),
        tampered=frozenset({"kinds"}),
    ),
    Case(
        "group",
        schema(
            {
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 3,
                    "x-title": t("الأصناف", "Items"),
                    "x-add-label": t("إضافة صنف", "Add an item"),
                    "x-remove-label": t("حذف الصنف", "Remove the item"),
                    "items": {
                        "type": "object",
                        "required": ["item", "quantity"],
                        "x-order": ["item", "quantity"],
                        "x-title": t("صنف", "Item"),
                        "properties": {
                            "quantity": {"type": "integer", "minimum": 1, "x-title": t("الكمية", "Quantity")},
                            "item": {"type": "string", "minLength": 2, "x-title": t("الصنف", "Item")},
                        },
                    },
                }
            },
            required=["items"],
        ),
        valid={
            "items[0][item]": ["جهاز عرض"],
            "items[0][quantity]": ["2"],
            "items[1][item]": [""],
            "items[1][quantity]": [""],
            "items[4][item]": ["سبورة"],
            "items[4][quantity]": ["1"],
        },
        invalid={"items[0][item]": ["جهاز عرض"], "items[0][quantity]": ["0"], "items[1][item]": ["ك"]},
        valid_data={"items": [{"item": "جهاز عرض", "quantity": 2}, {"item": "سبورة", "quantity": 1}]},
        invalid_paths=frozenset({"/items/0/quantity", "/items/1/quantity"}),
    ),
    Case(
        "required",
        schema({"name": NAME, "note": {"type": "string", "x-title": t("ملاحظة", "Note")}}, required=["name"]),
        valid={"name": ["خالد"], "note": ["   "]},
        invalid={"name": ["   "], "note": ["مرحبا"]},
        valid_data={"name": "خالد"},
        invalid_paths=frozenset({"/name"}),
    ),
    Case(
        "default",
        schema(
            {
                "copies": {"type": "integer", "default": 2, "minimum": 1, "x-title": t("النسخ", "Copies")},
                "colour": {
                    "type": "string",
                    "default": "blue",
                    "x-title": t("اللون", "Colour"),
                    "oneOf": [
                        {"const": "red", "x-title": t("أحمر", "Red")},
                        {"const": "blue", "x-title": t("أزرق", "Blue")},
                    ],
                },
                "notify": {"type": "boolean", "default": True, "x-title": t("إشعار", "Notify me")},
            }
        ),
        valid={"copies": ["2"], "colour": ["blue"], "notify": ["true"]},
        invalid={"copies": ["0"], "colour": ["green"]},
        valid_data={"copies": 2, "colour": "blue", "notify": True},
        invalid_paths=frozenset({"/copies", "/colour"}),
        tampered=frozenset({"colour"}),
    ),
    Case(
        "read_only",
        schema(
            {
                "reference": {
                    "type": "string",
                    "readOnly": True,
                    "default": "REF-1",
                    "x-title": t("المرجع", "Reference"),
                },
                "office": {
                    "type": "string",
                    "readOnly": True,
                    "default": "north",
                    "x-title": t("المكتب", "Office"),
                    "oneOf": [
                        {"const": "north", "x-title": t("الشمال", "North")},
                        {"const": "south", "x-title": t("الجنوب", "South")},
                    ],
                },
                "name": NAME,
            },
            required=["name"],
        ),
        valid={"reference": ["REF-1"], "office": ["north"], "name": ["هند"]},
        invalid={"reference": ["REF-1"], "office": ["north"]},
        valid_data={"reference": "REF-1", "office": "north", "name": "هند"},
        invalid_paths=frozenset({"/name"}),
    ),
    Case(
        "help",
        schema(
            {
                "employee_id": {
                    "type": "string",
                    "pattern": "^[0-9]{1,20}$",
                    "x-title": t("الرقم الوظيفي", "Employee number"),
                    "x-help": t("أرقام فقط", "Digits only"),
                    "x-placeholder": t("مثال: 100234", "e.g. 100234"),
                },
                "remarks": {
                    "type": "string",
                    "description": "Anything else.",
                    "x-title": t("ملاحظات", "Remarks"),
                },
            },
            required=["employee_id"],
        ),
        valid={"employee_id": ["100234"]},
        invalid={"employee_id": ["A-12"]},
        valid_data={"employee_id": "100234"},
        invalid_paths=frozenset({"/employee_id"}),
    ),
    Case(
        "ref_defs",
        schema(
            {
                "home": {"$ref": "#/$defs/place", "x-title": t("السكن", "Home")},
                "work": {"$ref": "#/$defs/place", "x-title": t("العمل", "Work")},
                "campus": {"$ref": "#/$defs/campus", "x-title": t("المقر", "Campus")},
            },
            required=["home", "campus"],
            **{
                "$defs": {
                    "place": {
                        "type": "object",
                        "required": ["city"],
                        "properties": {"city": {"type": "string", "x-title": t("المدينة", "City")}},
                    },
                    "campus": {
                        "type": "string",
                        "oneOf": [
                            {"const": "abdiyah", "x-title": t("العابدية", "Al-Abdiyah")},
                            {"const": "zaher", "x-title": t("الزاهر", "Al-Zaher")},
                        ],
                    },
                }
            },
        ),
        valid={"home[city]": ["مكة"], "campus": ["zaher"]},
        invalid={"work[city]": ["جدة"], "campus": ["elsewhere"]},
        valid_data={"home": {"city": "مكة"}, "campus": "zaher"},
        invalid_paths=frozenset({"/home", "/campus"}),
        tampered=frozenset({"campus"}),
    ),
    Case(
        "if_then_else",
        schema(
            {
                "kind": {
                    "type": "string",
                    "x-widget": "radio",
                    "x-title": t("نوع المستفيد", "Kind of requester"),
                    "oneOf": [
                        {"const": "person", "x-title": t("فرد", "A person")},
                        {"const": "company", "x-title": t("جهة", "A body")},
                    ],
                },
                "reason": {
                    "type": "string",
                    "enum": ["a", "other"],
                    "x-title": t("السبب", "Reason"),
                },
                "details": {"type": "string", "minLength": 2, "x-title": t("التفاصيل", "Details")},
            },
            required=["kind"],
            allOf=[
                {
                    "if": {"required": ["kind"], "properties": {"kind": {"const": "company"}}},
                    "then": {
                        "required": ["company_name"],
                        "properties": {
                            "company_name": {
                                "type": "string",
                                "minLength": 2,
                                "x-title": t("اسم الجهة", "Name of the body"),
                            }
                        },
                    },
                    "else": {
                        "properties": {
                            "national_id": {
                                "type": "string",
                                "pattern": "^[0-9]{10}$",
                                "x-title": t("رقم الهوية", "National ID"),
                            }
                        }
                    },
                },
                {
                    "if": {"required": ["reason"], "properties": {"reason": {"const": "other"}}},
                    "then": {"required": ["details"]},
                },
            ],
        ),
        valid={"kind": ["company"], "company_name": ["جامعة أم القرى"], "national_id": ["1234567890"]},
        invalid={"kind": ["company"], "reason": ["other"]},
        valid_data={"kind": "company", "company_name": "جامعة أم القرى"},
        invalid_paths=frozenset({"/company_name", "/details"}),
    ),
    Case(
        "dependent",
        schema(
            {
                "phone": {"type": "string", "x-widget": "tel", "x-title": t("الهاتف", "Phone")},
                "phone_kind": {
                    "type": "string",
                    "enum": ["mobile", "landline"],
                    "x-title": t("نوع الهاتف", "Kind of phone"),
                },
                "has_car": {"type": "boolean", "x-title": t("لدي سيارة", "I have a car")},
            },
            dependentRequired={"phone": ["phone_kind"]},
            dependentSchemas={
                "has_car": {
                    "if": {"properties": {"has_car": {"const": True}}},
                    "then": {
                        "required": ["plate"],
                        "properties": {
                            "plate": {
                                "type": "string",
                                "minLength": 3,
                                "x-title": t("رقم اللوحة", "Plate number"),
                            }
                        },
                    },
                }
            },
        ),
        valid={"phone": ["0551234567"], "phone_kind": ["mobile"]},
        invalid={"phone": ["0551234567"], "has_car": ["true"]},
        valid_data={"phone": "0551234567", "phone_kind": "mobile", "has_car": False},
        invalid_paths=frozenset({"/phone_kind", "/plate"}),
    ),
    Case(
        "file",
        schema(
            {
                "document": {
                    "type": "string",
                    "x-widget": "file",
                    "x-accept": ["application/pdf", "image/*"],
                    "x-max-bytes": 1048576,
                    "x-title": t("المستند", "Document"),
                    "x-help": t("ملف PDF أو صورة", "A PDF file or an image"),
                }
            },
            required=["document"],
        ),
        valid={"document": ["att-42"]},
        invalid={"document": [""]},
        valid_data={"document": "att-42"},
        invalid_paths=frozenset({"/document"}),
    ),
    Case(
        "script_title",
        schema(
            {
                "q": {
                    "type": "string",
                    "x-title": t("<script>alert('ar')</script>", "<script>alert('en')</script>"),
                    "x-help": t("<b>مساعدة</b>", "<b>help</b>"),
                    "x-placeholder": t('"><img src=x onerror=alert(1)>', '"><img src=x onerror=alert(1)>'),
                },
                "pick": {
                    "type": "string",
                    "x-title": t("اختيار", "Pick"),
                    "oneOf": [{"const": "<i>x</i>", "x-title": t("<i>خيار</i>", "<i>option</i>")}],
                },
            },
            required=["q"],
            x_title=t("<script>alert('title')</script>", "<script>alert('title')</script>"),
        ),
        valid={"q": ["<b>bold</b>"], "pick": ["<i>x</i>"]},
        invalid={"pick": ["<i>x</i>"]},
        valid_data={"q": "<b>bold</b>", "pick": "<i>x</i>"},
        invalid_paths=frozenset({"/q"}),
    ),
]

BY_NAME = {case.name: case for case in CASES}


# --- a browser's form serialization --------------------------------------------------------


def parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(f"<!doctype html><html><body><form>{html}</form></body></html>")


def _attr(node: LexborNode, name: str) -> str | None:
    """An attribute's value, ``""`` for one without a value (``required``), ``None`` when absent."""
    if name not in node.attributes:
        return None
    return node.attributes.get(name) or ""


def serialize(html: str | LexborHTMLParser, *, clicked: tuple[str, str] | None = None) -> Post:
    """What a browser posts for this form (no file chosen): checked boxes only, the selected option,
    textarea text; buttons only when ``clicked`` (name, value)."""
    doc = parse(html) if isinstance(html, str) else html
    post: Post = {}
    for node in doc.css("input, select, textarea"):
        name = _attr(node, "name")
        if not name or "disabled" in node.attributes:
            continue
        if node.tag == "select":
            chosen = node.css("option[selected]") or node.css("option")[:1]
            values = [_attr(o, "value") or "" for o in chosen]
        elif node.tag == "textarea":
            values = [node.text(deep=True)]
        else:
            kind = (_attr(node, "type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" not in node.attributes:
                    continue
                values = [_attr(node, "value") or "on"]
            elif kind in ("file", "submit", "button", "reset", "image"):
                continue
            else:
                values = [_attr(node, "value") or ""]
        post.setdefault(name, []).extend(values)
    if clicked is not None:
        post.setdefault(clicked[0], []).append(clicked[1])
    return post
