"""Demo tickets of the services handled by a department: supplies, maintenance, transmission and
inquiries. Each service gets tickets in several of its states, from new to closed and rated."""

from __future__ import annotations

from datetime import date

from server.demo.script import STAFF, DemoTicket, Step, day, step

ROUTE = step("cs", "route_to_department")


def delegate(note: str) -> tuple[Step, Step]:
    return (ROUTE, step("head", "delegate", assignee=STAFF, note=note))


def supplies(today: date) -> list[DemoTicket]:
    def form(
        college: str, building: str, room: str, items: list[dict[str, object]], why: str
    ) -> dict[str, object]:
        return {
            "body_type": "college",
            "college": college,
            "campus": "المقر الرئيسي (العابدية)",
            "building": building,
            "room": room,
            "requested_items": items,
            "needed_by": day(today, 21),
            "justification": why,
            "contact_name": "أحمد محمد الغامدي",
            "contact_mobile": "0551234567",
        }

    projectors = [{"item": "جهاز عرض (بروجكتور)", "quantity": 2, "specification": "دقة 4K مع حامل سقفي"}]
    boards = [{"item": "سبورة ذكية", "quantity": 1, "specification": "75 بوصة"}]
    mics = [{"item": "ميكروفون لاسلكي", "quantity": 4}, {"item": "مكبر صوت", "quantity": 2}]
    screens = [{"item": "شاشة عرض", "quantity": 3, "specification": "65 بوصة"}]
    return [
        DemoTicket(
            "supplies",
            "new",
            "requester",
            "web",
            form("كلية الهندسة", "B12", "204", projectors, "قاعة جديدة تحتاج أجهزة عرض قبل بداية الفصل"),
        ),
        DemoTicket(
            "supplies",
            "clarification",
            "requester",
            "web",
            form("كلية العلوم التطبيقية", "C3", "-", boards, "استبدال السبورة التالفة في قاعة المحاضرات"),
            (step("cs", "request_clarification", question="نرجو تحديد رقم القاعة المطلوب تجهيزها"),),
        ),
        DemoTicket(
            "supplies",
            "with-head",
            "requester",
            "web",
            form("كلية الشريعة", "A1", "115", mics, "تجهيز قاعة المناقشات العلمية"),
            (step("cs", "note_to_head", note="تم التواصل مع مقدم الطلب هاتفياً وتأكيد الكميات"), ROUTE),
        ),
        DemoTicket(
            "supplies",
            "delegated",
            "requester",
            "web",
            form("كلية الطب", "M2", "310", screens, "قاعات التعليم الطبي تحتاج شاشات عرض"),
            (
                *delegate("يرجى التوريد هذا الأسبوع"),
                step("staff", "work_note", note="تم حجز الشاشات في المستودع بانتظار النقل"),
            ),
        ),
        DemoTicket(
            "supplies",
            "done",
            "requester",
            "web",
            form("كلية التربية", "E4", "12", projectors, "تجهيز قاعة التدريب الميداني"),
            (
                *delegate("يرجى التركيب بعد التنسيق مع الكلية"),
                step(
                    "staff", "return_to_customer_service", outcome="done", reply="تم توريد الأجهزة وتركيبها"
                ),
                step(
                    "cs",
                    "reply_and_close",
                    reply="تم توريد جهازي العرض وتركيبهما في القاعة 12، شكراً لتواصلكم",
                ),
            ),
            rating=5,
            comment="خدمة سريعة، شكراً",
        ),
        DemoTicket(
            "supplies",
            "unavailable",
            "requester",
            "web",
            form("كلية الحاسب الآلي", "H1", "020", boards, "معمل جديد للبرمجة"),
            (
                ROUTE,
                step(
                    "head",
                    "return_to_customer_service",
                    outcome="not_done_unavailable",
                    reply="المستلزم غير متوفر حالياً في المستودع",
                ),
                step(
                    "cs",
                    "reply_and_close",
                    reply="نعتذر، السبورة غير متوفرة حالياً، وسنعيد فتح الطلب عند توفرها",
                ),
            ),
            rating=3,
        ),
    ]


def maintenance(today: date) -> list[DemoTicket]:
    def form(
        college: str, building: str, room: str, device: str, problem: str, urgency: str
    ) -> dict[str, object]:
        return {
            "college": college,
            "building": building,
            "room": room,
            "device_type": device,
            "problem_description": problem,
            "urgency": urgency,
            "contact_name": "سارة أحمد الزهراني",
            "contact_mobile": "0559876543",
        }

    return [
        DemoTicket(
            "maintenance",
            "new",
            "requester",
            "web",
            form("كلية العلوم", "C3", "101", "projector", "جهاز العرض لا يعمل منذ يومين", "urgent"),
        ),
        DemoTicket(
            "maintenance",
            "itqan",
            "cs",
            "itqan",
            form("كلية اللغة العربية", "L2", "08", "audio_system", "تشويش في مكبرات الصوت", "normal"),
        ),
        DemoTicket(
            "maintenance",
            "itqan-rejected",
            "cs",
            "itqan",
            form("عمادة القبول", "-", "-", "computer", "بلاغ بلا تفاصيل", "normal"),
            (step("cs", "reject_report", reason="البيانات غير مكتملة: لم يُذكر المبنى ولا القاعة"),),
        ),
        DemoTicket(
            "maintenance",
            "delegated",
            "requester",
            "web",
            form("كلية الهندسة", "B7", "215", "smart_board", "السبورة الذكية لا تستجيب للمس", "critical"),
            delegate("يرجى زيارة القاعة اليوم"),
        ),
        DemoTicket(
            "maintenance",
            "answered",
            "requester",
            "web",
            form("كلية التصاميم", "D1", "33", "computer", "الحاسب لا يقلع", "normal"),
            (
                *delegate("يرجى الفحص وتحديد موعد"),
                step(
                    "staff",
                    "return_to_customer_service",
                    outcome="not_done_other",
                    outcome_details="يلزم توفير قطعة غيار",
                    reply="ستتم زيارة ميدانية لتركيب القطعة",
                    visit_date=day(today, 3),
                ),
            ),
        ),
        DemoTicket(
            "maintenance",
            "done",
            "cs",
            "whatsapp",
            form("كلية الصيدلة", "P1", "140", "display_screen", "الشاشة تنطفئ بعد دقائق", "urgent"),
            (
                ROUTE,
                step(
                    "head",
                    "return_to_customer_service",
                    outcome="done",
                    reply="تم استبدال مزود الطاقة",
                    completion_date=day(today, 0),
                ),
                step("cs", "reply_and_close", reply="تمت صيانة الشاشة في القاعة 140، شكراً لتواصلكم"),
            ),
            rating=4,
        ),
    ]


def transmission(today: date) -> list[DemoTicket]:
    def form(activity: str, organiser: str, days: int, location: str, kinds: list[str]) -> dict[str, object]:
        return {
            "activity_name": activity,
            "organiser": organiser,
            "activity_date": day(today, days),
            "start_time": "09:00",
            "end_time": "12:00",
            "location": location,
            "documentation_kinds": kinds,
            "contact_name": "خالد سعيد العمري",
            "contact_mobile": "0554445566",
        }

    return [
        DemoTicket(
            "transmission",
            "new",
            "requester",
            "web",
            form("حفل التخرج", "عمادة شؤون الطلاب", 20, "القاعة الكبرى", ["filming", "broadcasting"]),
        ),
        DemoTicket(
            "transmission",
            "head-instruction",
            "head",
            "head_instruction",
            form("ملتقى البحث العلمي", "عمادة الدراسات العليا", 10, "مركز الملك عبدالعزيز", ["recording"]),
        ),
        DemoTicket(
            "transmission",
            "delegated",
            "requester",
            "web",
            form("مناقشة رسالة دكتوراه", "عمادة الدراسات العليا", 5, "قاعة المناقشات 2", ["broadcasting"]),
            delegate("يرجى تجهيز البث المباشر"),
        ),
        DemoTicket(
            "transmission",
            "done",
            "requester",
            "web",
            form("ورشة عمل الإرشاد الأكاديمي", "عمادة شؤون الطلاب", 2, "قاعة 5", ["filming"]),
            (
                *delegate("تصوير كامل الورشة"),
                step("staff", "return_to_customer_service", outcome="done", reply="تم التصوير وتسليم المواد"),
                step("cs", "reply_and_close", reply="تم توثيق الورشة وتسليم المواد المصورة للجهة المنظمة"),
            ),
            rating=5,
        ),
    ]


def inquiries(today: date) -> list[DemoTicket]:
    del today

    def form(name: str, category: str, kind: str, subject: str, message: str) -> dict[str, object]:
        return {
            "full_name": name,
            "category": category,
            "email": "requester@example.org",
            "mobile": "0551112233",
            "kind": kind,
            "subject": subject,
            "message": message,
        }

    return [
        DemoTicket(
            "inquiries",
            "new",
            "requester",
            "web",
            form(
                "محمد عبدالله الشهري", "student", "inquiry", "مواعيد الخدمة", "ما هي مواعيد العمل في الإدارة؟"
            ),
        ),
        DemoTicket(
            "inquiries",
            "clarification",
            "requester",
            "web",
            form("ريم خالد المالكي", "academic_staff", "inquiry", "حجز قاعة", "كيف أحجز قاعة للمحاضرة؟"),
            (step("head", "request_clarification", question="نرجو ذكر الكلية والفصل الدراسي المطلوب"),),
        ),
        DemoTicket(
            "inquiries",
            "answered-back",
            "requester",
            "web",
            form(
                "عبدالرحمن علي القحطاني",
                "administrative_staff",
                "suggestion",
                "تحسين اللوحات",
                "أقترح إضافة لوحات إرشادية للقاعات",
            ),
            (
                step("head", "request_clarification", question="في أي مبنى تقترح إضافة اللوحات؟"),
                step("requester", "answer_clarification", answer="في مبنى الكليات الإنسانية B"),
            ),
        ),
        DemoTicket(
            "inquiries",
            "closed",
            "requester",
            "web",
            form(
                "نورة فهد العتيبي",
                "outside_university",
                "inquiry",
                "زيارة الجامعة",
                "هل يمكن زيارة قاعات التعليم الإلكتروني؟",
            ),
            (step("staff", "reply_and_close", reply="نعم، يسعدنا استقبالكم؛ نرجو التنسيق مع خدمة العملاء"),),
            rating=4,
            comment="رد واضح",
        ),
    ]
