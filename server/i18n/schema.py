"""The words of standard JSON Schema forms in the service editor: the warnings of a draft (issue 13)."""

from __future__ import annotations

from server.definitions.model import Text

SCHEMA_MESSAGES: dict[str, Text] = {
    "schema_warnings": Text(ar="تنبيهات (لا تمنع النشر)", en="Warnings (they do not stop publishing)"),
    "schema_missing_translation": Text(
        ar="العنوان مكتوب بلغة واحدة أو غير موجود، فيظهر كما كُتب (أو باسم الحقل) في اللغتين؛ أضف x-title بالعربية والإنجليزية",
        en="The label is written in one language or not at all, so it shows as written (or as the field's "
        "name) in both languages; add x-title in Arabic and English",
    ),
}
