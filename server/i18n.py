"""The interface's own words, in Arabic and English, and the choice of a page's language.

Definition texts are bilingual in the definitions themselves; these are the words of the pages
around them (buttons, headings, messages). Arabic first, in the administration's own terms
(seed/GLOSSARY.md). A test checks every key has both languages and every ``t("…")`` in the
templates names a key here.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.definitions.model import Language, Text
from server.web.admin_messages import ADMIN_MESSAGES
from server.web.auth_messages import AUTH_MESSAGES
from server.web.directory_messages import DIRECTORY_MESSAGES
from server.web.staff_messages import STAFF_TASK_MESSAGES
from server.web.ticket_messages import STAFF_TICKET_MESSAGES

MESSAGES: Mapping[str, Text] = {
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
    # catalogue and service page
    "catalogue_title": Text(
        ar="خدمات إدارة الخدمات التعليمية", en="Services of the Educational Services Administration"
    ),
    "catalogue_intro": Text(
        ar="اختر الخدمة لقراءة وصفها ومتطلباتها وخطوات تقديمها، ثم قدّم طلبك إلكترونياً.",
        en="Choose a service to read its description, requirements and steps, then submit your request online.",
    ),
    "department": Text(ar="القسم", en="Department"),
    "description": Text(ar="وصف الخدمة", en="Service description"),
    "requirements": Text(ar="المتطلبات", en="Requirements"),
    "steps": Text(ar="خطوات التقديم", en="Submission steps"),
    "audience": Text(ar="الفئة المستهدفة", en="Target audience"),
    "channels": Text(ar="قنوات تقديم الخدمة", en="Delivery channels"),
    "contact": Text(ar="التواصل", en="Contact"),
    "phone": Text(ar="الهاتف", en="Phone"),
    "extension": Text(ar="تحويلة", en="ext."),
    "email": Text(ar="البريد الإلكتروني", en="E-mail"),
    "working_hours": Text(ar="ساعات العمل", en="Working hours"),
    "login_required_note": Text(
        ar="تتطلب هذه الخدمة تسجيل الدخول قبل تعبئة النموذج.",
        en="This service requires you to log in before filling the form.",
    ),
    "staff_intake_note": Text(
        ar="يسجّل هذه الطلبات ممثلو خدمة العملاء نيابة عن العميل.",
        en="These requests are recorded by customer-service representatives on the customer's behalf.",
    ),
    "start_now": Text(ar="ابدأ الآن", en="Start now"),
    "view_service": Text(ar="تفاصيل الخدمة", en="Service details"),
    # form page
    "fill_the_form": Text(ar="تعبئة النموذج", en="Fill in the form"),
    "send": Text(ar="إرسال", en="Send"),
    "there_is_a_problem": Text(ar="يوجد خطأ", en="There is a problem"),
    "check_the_fields": Text(
        ar="راجع الحقول الموضحة أدناه ثم أعد الإرسال.", en="Check the fields shown below, then send again."
    ),
    "upload_too_large": Text(
        ar="حجم الملف أكبر من المسموح ({limit})", en="The file is larger than allowed ({limit})"
    ),
    "upload_wrong_type": Text(ar="نوع الملف غير مقبول", en="This type of file is not accepted"),
    "request_too_large": Text(
        ar="حجم المرفقات أكبر من المسموح؛ أعد اختيار ملفات أصغر.",
        en="The attachments are too large; choose smaller files.",
    ),
    "session_expired": Text(
        ar="انتهت صلاحية الصفحة؛ أعدنا عرضها بما أدخلته، أعد الإرسال.",
        en="The page expired; it is shown again with what you entered. Please send again.",
    ),
    # confirmation and tracking
    "request_sent": Text(ar="تم إرسال طلبك", en="Your request has been sent"),
    "ticket_number": Text(ar="رقم التذكرة", en="Ticket number"),
    "tracking_code": Text(ar="رمز المتابعة", en="Tracking code"),
    "keep_these": Text(
        ar="احتفظ برقم التذكرة ورمز المتابعة؛ تحتاجهما لمتابعة طلبك.",
        en="Keep the ticket number and the tracking code: you need both to follow your request.",
    ),
    "what_happens_next": Text(ar="ماذا يحدث بعد ذلك", en="What happens next"),
    "next_steps_text": Text(
        ar="تصل التذكرة إلى الجهة المختصة وتُعالج حسب سير العمل المعتمد، وتصلك الإفادة عند الرد.",
        en="The ticket reaches the responsible unit and is handled along the approved steps; you are told when it is answered.",
    ),
    "follow_this_ticket": Text(ar="متابعة هذه التذكرة", en="Follow this ticket"),
    "track_intro": Text(
        ar="أدخل رقم التذكرة ورمز المتابعة الواردين في رسالة الاستلام.",
        en="Enter the ticket number and the tracking code from your confirmation.",
    ),
    "not_found_ticket": Text(
        ar="لم نجد تذكرة بهذا الرقم ورمز المتابعة.",
        en="We found no ticket with this number and tracking code.",
    ),
    "status": Text(ar="الحالة", en="Status"),
    "service": Text(ar="الخدمة", en="Service"),
    "submitted_on": Text(ar="تاريخ التقديم", en="Submitted on"),
    "last_update": Text(ar="آخر تحديث", en="Last update"),
    "timeline": Text(ar="سير التذكرة", en="Timeline"),
    "replies": Text(ar="الردود", en="Replies"),
    "your_request": Text(ar="بيانات الطلب", en="Your request"),
    "answer_clarification": Text(ar="الرد على الاستيضاح", en="Answer the clarification"),
    "rate_the_service": Text(ar="تقييم الخدمة", en="Rate the service"),
    "survey_thanks": Text(ar="شكراً لتقييمك", en="Thank you for your rating"),
    "survey_done_already": Text(ar="سبق تقييم هذه التذكرة", en="This ticket has already been rated"),
    "survey_after_closing": Text(
        ar="يتاح التقييم بعد إغلاق التذكرة.", en="The rating opens once the ticket is closed."
    ),
    "comment": Text(ar="ملاحظات", en="Comments"),
    "choose_a_rating": Text(ar="اختر تقييماً", en="Choose a rating"),
    "rating_scale": Text(ar="من 1 (ضعيف) إلى {n} (ممتاز)", en="From 1 (poor) to {n} (excellent)"),
    "created": Text(ar="تم استلام التذكرة", en="Ticket received"),
    "state_changed_to": Text(ar="انتقلت التذكرة إلى", en="The ticket moved to"),
    "stale_action": Text(
        ar="تغيّرت التذكرة منذ فتحها؛ هذه حالتها الآن، راجعها ثم أعد المحاولة.",
        en="The ticket changed since you opened it; this is how it stands now — check it and try again.",
    ),
    "action_done": Text(ar="تم تنفيذ الإجراء", en="Done"),
    # errors
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
}


LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def t(key: str, lang: str) -> str:
    """The interface text ``key`` in ``lang`` (Arabic for anything but ``en``)."""
    return MESSAGES[key].get(lang)


def direction(lang: str) -> str:
    return "ltr" if lang == "en" else "rtl"


def other(lang: str) -> Language:
    return "ar" if lang == "en" else "en"


def negotiate(cookie: str | None, accept_language: str | None, default: Language) -> Language:
    """The page language: the cookie if set, else the best of ``Accept-Language``, else the default."""
    if cookie in ("ar", "en"):
        return "en" if cookie == "en" else "ar"
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("ar", "en"):
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang: Language = "en" if primary == "en" else "ar"
        if best is None or quality > best[0]:
            best = (quality, lang)
    return best[1] if best else default


MESSAGES = {**MESSAGES, **AUTH_MESSAGES}  # the log-in pages' words (server/web/auth_messages.py)
MESSAGES = {**MESSAGES, **STAFF_TICKET_MESSAGES}  # the staff ticket page (server/web/ticket_messages.py)
MESSAGES = {**MESSAGES, **STAFF_TASK_MESSAGES}  # the staff task lists (server/web/staff_messages.py)
MESSAGES = {**MESSAGES, **DIRECTORY_MESSAGES}  # the administration pages (server/web/directory_messages.py)
MESSAGES = {**MESSAGES, **ADMIN_MESSAGES}  # the service editor (server/web/admin_messages.py)
