"""The words every page shares: the chrome (header, footer, navigation) and the error pages."""

from __future__ import annotations

from server.definitions.model import Text

COMMON_MESSAGES: dict[str, Text] = {
    # chrome
    "skip_to_content": Text(ar="تخطَّ إلى المحتوى", en="Skip to content"),
    "switch_language": Text(ar="English", en="العربية"),
    "switch_language_label": Text(ar="Switch to English", en="التحويل إلى العربية"),
    "home": Text(ar="الرئيسية", en="Home"),
    "tasks": Text(ar="المهام", en="Tasks"),
    "administration": Text(ar="إدارة الخدمات", en="Services admin"),
    "users": Text(ar="المستخدمون", en="Users"),
    "organisation": Text(ar="المنظمة", en="Organisation"),
    "exports": Text(ar="التصدير والتدقيق", en="Exports and audit"),
    "exports_intro": Text(
        ar="ما يعمل فعلاً، للاطلاع والحفظ: التعريفات المنشورة، ومخططات سير العمل، ودليل الخدمات، وسجل التذاكر.",
        en="Exactly what runs, to read and keep: the published definitions, workflow diagrams, the service guide and the ticket trail.",
    ),
    "exports_definitions": Text(ar="التعريفات", en="Definitions"),
    "exports_bundle": Text(
        ar="التعريفات المنشورة (JSON بصيغة ملفات المستودع)",
        en="Published definitions (JSON, in the repository's file format)",
    ),
    "exports_changes": Text(ar="سجل تغييرات التعريفات", en="Log of definition changes"),
    "exports_workflows": Text(ar="سير العمل", en="Workflows"),
    "exports_audit": Text(ar="سجل تدقيق التذاكر", en="Audit trail of tickets"),
    "exports_from": Text(ar="من تاريخ", en="From"),
    "exports_to": Text(ar="إلى تاريخ", en="To"),
    "exports_format": Text(ar="الصيغة", en="Format"),
    "exports_download": Text(ar="تنزيل", en="Download"),
    "service_guide": Text(ar="دليل الخدمات", en="Service guide"),
    "track_a_ticket": Text(ar="متابعة تذكرة", en="Track a ticket"),
    "log_in": Text(ar="تسجيل الدخول", en="Log in"),
    "log_out": Text(ar="تسجيل الخروج", en="Log out"),
    "logged_in_as": Text(ar="مسجّل الدخول باسم", en="Logged in as"),
    "table_actions": Text(ar="الإجراءات", en="Actions"),
    "page_not_found": Text(ar="الصفحة غير موجودة", en="Page not found"),
    "page_not_found_text": Text(
        ar="تحقق من الرابط، أو ابدأ من دليل الخدمات.",
        en="Check the address, or start from the service guide.",
    ),
    "error_title": Text(ar="حدث خطأ", en="Something went wrong"),
    "error_text": Text(
        ar="لم نتمكن من إتمام طلبك. لم يُفقد شيء مما أرسلته سابقاً؛ حاول مرة أخرى بعد قليل.",
        en="We could not complete your request. Nothing you sent before is lost; please try again shortly.",
    ),
    "forbidden": Text(ar="غير مسموح", en="Not allowed"),
    "forbidden_text": Text(ar="ليست لديك صلاحية لهذه الصفحة.", en="You do not have access to this page."),
    "csrf_failed": Text(
        ar="انتهت صلاحية الصفحة أو وصل الطلب من خارجها. حدّث الصفحة ثم أعد المحاولة.",
        en="The page expired or the request did not come from it. Reload the page and try again.",
    ),
    "error_title_prefix": Text(ar="خطأ:", en="Error:"),
    "my_tickets": Text(ar="طلباتي", en="My tickets"),
    # requests refused before they are read (server/web/limits.py)
    "input_refused": Text(ar="تعذّر قبول الطلب", en="The request could not be accepted"),
    "input_too_large": Text(
        ar="ما أرسلته أكبر من المسموح ({limit} بايت). اختصره ثم أعد المحاولة.",
        en="What you sent is larger than allowed ({limit} bytes). Shorten it and try again.",
    ),
    "input_too_many_values": Text(
        ar="يحمل الطلب قيماً أكثر من المسموح ({limit}).",
        en="The request holds more values than allowed ({limit}).",
    ),
    "input_too_deep": Text(
        ar="بنية الطلب متداخلة أعمق من المسموح ({limit} مستوى).",
        en="The request is nested deeper than allowed ({limit} levels).",
    ),
    "input_too_many_fields": Text(
        ar="يحمل النموذج حقولاً أكثر من المسموح ({limit}).",
        en="The form carries more fields than allowed ({limit}).",
    ),
    "input_value_too_long": Text(
        ar="أحد الحقول أطول من المسموح ({limit} حرف). اختصره ثم أعد المحاولة.",
        en="A field is longer than allowed ({limit} characters). Shorten it and try again.",
    ),
    "input_control_characters": Text(
        ar="يحتوي ما أرسلته على محارف تحكّم غير مسموح بها (مثل NUL). احذفها ثم أعد المحاولة.",
        en="What you sent contains control characters that are not allowed (such as NUL). Remove them and try again.",
    ),
    "input_json_required": Text(
        ar="يجب أن يكون جسم الطلب JSON بنوع المحتوى application/json.",
        en="The request body must be JSON, sent as application/json.",
    ),
    "input_rate_limited": Text(
        ar="طلبات كثيرة من عنوانك في وقت قصير. أعد المحاولة بعد {minutes} دقيقة.",
        en="Too many requests from your address in a short time. Try again in {minutes} minutes.",
    ),
}
