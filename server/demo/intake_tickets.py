"""Demo tickets of the services customer service handles itself: phone calls, e-mails, staff
clearance, Tawasul and WhatsApp. Each service gets tickets in several of its states."""

from __future__ import annotations

from datetime import date

from server.demo.ledger import HOLDS_CUSTODY, NO_CUSTODY, RETURNED_CUSTODY
from server.demo.script import DemoTicket, day, step


def phone(today: date) -> list[DemoTicket]:
    del today

    def form(name: str, category: str, mobile: str, inquiry: str) -> dict[str, object]:
        return {
            "call_source": "extension",
            "full_name": name,
            "category": category,
            "mobile": mobile,
            "employer": "جامعة أم القرى",
            "inquiry": inquiry,
        }

    return [
        DemoTicket(
            "phone",
            "logged",
            "cs",
            "phone",
            form("عبدالله محمد الحربي", "academic", "0551234567", "استفسار عن طريقة طلب المستلزمات"),
        ),
        DemoTicket(
            "phone",
            "eticket",
            "cs",
            "phone",
            form("هند سعد الجهني", "administrative", "+966552223344", "صيانة جهاز عرض في القاعة"),
            (step("cs", "guide_to_eticket", reply="يرجى رفع طلب الصيانة عبر التذاكر الإلكترونية"),),
            rating=5,
        ),
        DemoTicket(
            "phone",
            "elsewhere",
            "cs",
            "phone",
            form("فيصل ناصر الدوسري", "student", "0553334455", "استفسار عن نتيجة القبول"),
            (
                step(
                    "cs",
                    "guide_to_competent_body",
                    competent_body="عمادة القبول والتسجيل",
                    reply="يرجى مراجعة عمادة القبول والتسجيل",
                ),
            ),
        ),
    ]


def email(today: date) -> list[DemoTicket]:
    del today

    def form(sender: str, address: str, subject: str, message: str) -> dict[str, object]:
        return {"sender_name": sender, "email": address, "subject": subject, "message": message}

    return [
        DemoTicket(
            "email",
            "received",
            "cs",
            "email",
            form("كلية الطب", "medicine@example.org", "طلب أجهزة", "نرغب في طلب أجهزة عرض لقاعات الكلية"),
        ),
        DemoTicket(
            "email",
            "sorted",
            "cs",
            "email",
            form("عمادة شؤون الطلاب", "students@example.org", "نشاط طلابي", "نرجو توثيق الحفل الختامي"),
            (step("cs", "sort", classification="within_remit_other", note="يُحال إلى النقل المرئي"),),
        ),
        DemoTicket(
            "email",
            "eticket",
            "cs",
            "email",
            form("كلية العلوم", "science@example.org", "صيانة", "جهاز العرض في القاعة 101 معطل"),
            (
                step("cs", "sort", classification="supplies_maintenance"),
                step("cs", "reply_eticket", reply="نرجو رفع بلاغ الصيانة عبر التذاكر الإلكترونية"),
            ),
            rating=4,
        ),
        DemoTicket(
            "email",
            "elsewhere",
            "cs",
            "email",
            form("سلمان ماجد الثبيتي", "salman@example.org", "شهادة خبرة", "أرغب في استخراج شهادة خبرة"),
            (
                step("cs", "sort", classification="outside_remit"),
                step(
                    "cs",
                    "reply_competent_body",
                    competent_body="عمادة شؤون أعضاء هيئة التدريس",
                    reply="نرجو التواصل مع عمادة شؤون أعضاء هيئة التدريس",
                ),
            ),
        ),
    ]


def clearance(today: date) -> list[DemoTicket]:
    def form(
        employee: str, name: str, category: str, college: str, reason: str, days: int
    ) -> dict[str, object]:
        return {
            "employee_id": employee,
            "full_name": name,
            "staff_category": category,
            "college": college,
            "reason": reason,
            "last_working_day": day(today, days),
        }

    return [
        DemoTicket(
            "clearance",
            "holds-custody",
            "requester",
            "academic_system",
            form(HOLDS_CUSTODY, "فهد سالم القرشي", "academic", "كلية الهندسة", "retirement", 30),
        ),
        DemoTicket(
            "clearance",
            "return-requested",
            "requester",
            "academic_system",
            form("100912", "ماجد عمر الحازمي", "administrative", "عمادة التطوير", "resignation", 14),
            (step("cs", "request_custody_return", custody_items="سبورة ذكية محمولة (1)"),),
        ),
        DemoTicket(
            "clearance",
            "with-director",
            "requester",
            "academic_system",
            form(NO_CUSTODY, "أمل حسن الشريف", "administrative", "كلية التربية", "end_of_contract", 7),
            (step("cs", "check_custody"),),
        ),
        DemoTicket(
            "clearance",
            "returned-custody",
            "requester",
            "academic_system",
            form(RETURNED_CUSTODY, "تركي بندر السلمي", "academic", "كلية العلوم", "saudization", 20),
            (step("cs", "check_custody"),),
        ),
        DemoTicket(
            "clearance",
            "completed",
            "requester",
            "academic_system",
            form("100618", "سعاد يوسف البار", "academic", "كلية الشريعة", "retirement", -3),
            (step("cs", "check_custody"), step("director", "accept")),
        ),
    ]


def tawasul(today: date) -> list[DemoTicket]:
    del today

    def form(number: str, kind: str, text: str) -> dict[str, object]:
        return {
            "tawasul_number": number,
            "ticket_type": kind,
            "full_name": "منصور عادل الغامدي",
            "mobile": "+966557778899",
            "affiliation": "outside",
            "text": text,
        }

    ack = step("coordinator", "acknowledge")
    return [
        DemoTicket(
            "tawasul", "new", "cs", "tawasul", form("TW-2026-0042", "complaint", "لم يصلني رد على طلبي")
        ),
        DemoTicket(
            "tawasul",
            "handling",
            "cs",
            "tawasul",
            form("TW-2026-0051", "technical_report", "أجهزة العرض في قاعة 3 معطلة"),
            (ack,),
        ),
        DemoTicket(
            "tawasul",
            "clarification",
            "cs",
            "tawasul",
            form("TW-2026-0057", "inquiry", "استفسار عن طلب سابق"),
            (ack, step("coordinator", "request_clarification", question="نرجو تزويدنا برقم الطلب السابق")),
        ),
        DemoTicket(
            "tawasul",
            "transaction",
            "cs",
            "tawasul",
            form("TW-2026-0063", "suggestion", "اقتراح تمديد ساعات القاعات الدراسية"),
            (
                ack,
                step(
                    "coordinator",
                    "raise_internal_transaction",
                    transaction_number="TX-1001",
                    responsible="مدير الإدارة",
                ),
            ),
        ),
        DemoTicket(
            "tawasul",
            "eticket",
            "cs",
            "tawasul",
            form("TW-2026-0070", "inquiry", "كيف أطلب مستلزمات تعليمية لكليتنا؟"),
            (ack, step("coordinator", "guide_to_eticket", reply="يرجى رفع الطلب عبر التذاكر الإلكترونية")),
            rating=4,
        ),
        DemoTicket(
            "tawasul",
            "transferred",
            "cs",
            "tawasul",
            form("TW-2026-0074", "complaint", "تأخر صرف المكافأة"),
            (
                step(
                    "coordinator",
                    "transfer_out",
                    competent_body="عمادة شؤون الطلاب",
                    reply="تم تحويل الطلب لجهة الاختصاص",
                ),
            ),
        ),
    ]


def whatsapp(today: date) -> list[DemoTicket]:
    del today
    info = step(
        "cs",
        "record_customer_info",
        full_name="نورة علي الحربي",
        employer="كلية التربية",
        category="student",
        inquiry="كيف أبلغ عن عطل في القاعة؟",
    )
    return [
        DemoTicket(
            "whatsapp", "new", "cs", "whatsapp", {"mobile": "+966551234567", "first_message": "السلام عليكم"}
        ),
        DemoTicket(
            "whatsapp",
            "answering",
            "cs",
            "whatsapp",
            {"mobile": "+966556667788", "first_message": "مرحباً، عندي استفسار"},
            (info, step("cs", "post_reply", reply="أهلاً بك، يمكنك الإبلاغ عبر منظومة إتقان")),
        ),
        DemoTicket(
            "whatsapp",
            "closed",
            "cs",
            "whatsapp",
            {"mobile": "+966558889900", "first_message": "أحتاج أجهزة عرض"},
            (info, step("cs", "guide_to_eticket", reply="يرجى استخدام التذاكر الإلكترونية")),
            rating=5,
        ),
    ]
