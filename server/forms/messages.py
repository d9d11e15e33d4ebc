"""The form renderer's own interface strings, in Arabic and English.

Definition text (titles, help, option labels) comes from the form schemas; these are the few words
the renderer adds around it: the required marker, the error summary's heading, the group buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from server.definitions.model import Text

MESSAGES: Mapping[str, Text] = {
    "required": Text(ar="(مطلوب)", en="(required)"),
    "choose": Text(ar="اختر…", en="Choose…"),
    "error_prefix": Text(ar="خطأ:", en="Error:"),
    "error_summary": Text(ar="هناك مشكلة", en="There is a problem"),
    "add": Text(ar="إضافة", en="Add another"),
    "remove": Text(ar="حذف", en="Remove"),
    "row": Text(ar="رقم", en="number"),
    "current_file": Text(ar="الملف المرفق:", en="Attached file:"),
    "replace_file": Text(ar="لاستبداله اختر ملفاً آخر", en="Choose another file to replace it"),
    "yes": Text(ar="نعم", en="Yes"),
    "no": Text(ar="لا", en="No"),
    "submit": Text(ar="إرسال", en="Submit"),
}


@cache
def ui(lang: str) -> Mapping[str, str]:
    """Every message in one language (``ar`` unless ``en``), for the templates."""
    lang = "en" if lang == "en" else "ar"
    return {key: text.get(lang) for key, text in MESSAGES.items()}
