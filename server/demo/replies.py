"""The demo knowledge bank: ready replies a representative picks from on the ticket page."""

from __future__ import annotations

import msgspec

from server.store.interface import Store


class DemoReply(msgspec.Struct, frozen=True):
    title_ar: str
    title_en: str
    body_ar: str
    body_en: str
    tags: tuple[str, ...]


READY_REPLIES: tuple[DemoReply, ...] = (
    DemoReply(
        "توجيه إلى التذاكر الإلكترونية (المستلزمات)",
        "Guide to the e-tickets (supplies)",
        "شكراً لتواصلكم. طلبات توفير المستلزمات والأجهزة التعليمية تُرفع عبر التذاكر الإلكترونية "
        "لإدارة الخدمات التعليمية: https://uqu.edu.sa/edu_services",
        "Thank you for contacting us. Requests for educational supplies and devices are made through "
        "the administration's e-tickets: https://uqu.edu.sa/edu_services",
        ("supplies", "eticket"),
    ),
    DemoReply(
        "بلاغات الصيانة عبر منظومة إتقان",
        "Maintenance reports through Itqan",
        "لطلب صيانة المستلزمات والأجهزة التعليمية نرجو رفع بلاغ جديد عبر منظومة إتقان "
        "أو عبر التذاكر الإلكترونية، مع ذكر المبنى ورقم القاعة.",
        "To request the maintenance of educational supplies and devices, please file a new report in "
        "Itqan or through the e-tickets, giving the building and the room number.",
        ("maintenance", "itqan"),
    ),
    DemoReply(
        "خارج اختصاص الإدارة",
        "Outside the administration's remit",
        "نشكر تواصلكم، ونفيدكم بأن طلبكم خارج اختصاص إدارة الخدمات التعليمية؛ نرجو التواصل مع الجهة المختصة.",
        "Thank you for contacting us. Your request is outside the remit of the Educational Services "
        "Administration; please contact the competent body.",
        ("competent_body",),
    ),
    DemoReply(
        "أوقات العمل",
        "Working hours",
        "أوقات العمل من الأحد إلى الخميس من 7:30 صباحاً حتى 2:30 مساءً. هاتف خدمة العملاء: 0125583888.",
        "We work Sunday to Thursday, 7:30 am to 2:30 pm. Customer service: +966125583888.",
        ("hours", "whatsapp"),
    ),
    DemoReply(
        "تم استلام الطلب",
        "Request received",
        "تم استلام طلبكم وهو قيد المعالجة لدى القسم المختص، وسنوافيكم بالرد في أقرب وقت.",
        "Your request has been received and is being handled by the competent department; we will "
        "reply as soon as possible.",
        ("received",),
    ),
    DemoReply(
        "استيضاح: رقم القاعة والمبنى",
        "Clarification: room and building",
        "نرجو تزويدنا برقم المبنى ورقم القاعة بدقة حتى نتمكن من إحالة طلبكم إلى القسم المختص.",
        "Please give us the exact building and room number so that we can pass your request to the "
        "competent department.",
        ("clarification",),
    ),
    DemoReply(
        "إخلاء الطرف: إرجاع العهدة",
        "Clearance: return the custody",
        "توجد عهدة مسجلة باسمكم في سجل صرف العهدة؛ نرجو إرجاعها إلى مستودع الإدارة وإرفاق نموذج "
        "الرجوع ليتم قبول طلب إخلاء الطرف.",
        "Custody is recorded in your name in the custody ledger; please return it to the "
        "administration's warehouse and attach the return form so that the clearance can be accepted.",
        ("clearance", "custody"),
    ),
    DemoReply(
        "تواصل: رفع معاملة داخلية",
        "Tawasul: internal transaction raised",
        "تم رفع معاملة داخلية بطلبكم إلى المسؤول المختص، ويمكنكم متابعتها برقم المعاملة عبر صفحة "
        "الاستعلام عن المعاملات الإدارية.",
        "An internal transaction has been raised to the person responsible; you can follow it with "
        "its number on the administrative transaction look-up page.",
        ("tawasul", "transaction"),
    ),
)


async def ensure_ready_replies(store: Store) -> int:
    """Add the demo replies whose English title is not in the knowledge bank yet; returns how many."""
    titles = {reply.title_en for reply in await store.list_ready_replies(limit=10_000)}
    added = 0
    for reply in READY_REPLIES:
        if reply.title_en in titles:
            continue
        await store.add_ready_reply(
            title_ar=reply.title_ar,
            title_en=reply.title_en,
            body_ar=reply.body_ar,
            body_en=reply.body_en,
            tags=reply.tags,
        )
        added += 1
    return added
