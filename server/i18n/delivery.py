"""The words of notification delivery — problems on the staff ticket page, the outbox page, the
WhatsApp webhook's answers — in Arabic and English (merged into ``server.i18n.MESSAGES``)."""

from __future__ import annotations

from server.definitions.model import Text

DELIVERY_MESSAGES: dict[str, Text] = {
    "dlv_problems_title": Text(ar="إشعارات لم تُسلَّم", en="Notifications not delivered"),
    "dlv_problems_hint": Text(
        ar="إشعارات هذه التذكرة التي تعذّر إرسالها أو ما زالت تنتظر إعادة المحاولة، مع السبب.",
        en="This ticket's notifications that could not be sent, or are waiting to be tried again, with the reason.",
    ),
    "dlv_status_undeliverable": Text(ar="تعذّر توجيهه", en="Undeliverable"),
    "dlv_status_dead": Text(ar="فشل نهائياً", en="Failed for good"),
    "dlv_status_failed": Text(ar="بانتظار إعادة المحاولة", en="Waiting to be retried"),
    "dlv_status_pending": Text(ar="بانتظار الإرسال", en="Waiting to be sent"),
    "dlv_status_sending": Text(ar="قيد الإرسال", en="Being sent"),
    "dlv_status_sent": Text(ar="أُرسل", en="Sent"),
    "dlv_reason_no_address": Text(
        ar="لا يوجد عنوان للمستلم على هذه القناة: {who}",
        en="The recipient has no address on this channel: {who}",
    ),
    "dlv_reason_invalid_address": Text(
        ar="رقم المستلم ليس رقم هاتف صالحاً: {who}",
        en="The recipient's number is not a valid telephone number: {who}",
    ),
    "dlv_reason_no_recipient": Text(
        ar="لا يوجد مستخدم نشط يشغل هذا الدور: {who}", en="No active user holds this recipient: {who}"
    ),
    "dlv_reason_gateway": Text(ar="رد بوابة الإرسال: {error}", en="The gateway answered: {error}"),
    "dlv_who_requester": Text(ar="مقدم الطلب", en="the requester"),
    "dlv_channel_email": Text(ar="البريد الإلكتروني", en="E-mail"),
    "dlv_channel_sms": Text(ar="رسالة نصية", en="SMS"),
    "dlv_channel_whatsapp": Text(ar="واتساب", en="WhatsApp"),
    "dlv_col_message": Text(ar="الإشعار", en="Notification"),
    "dlv_col_channel": Text(ar="القناة", en="Channel"),
    "dlv_col_recipient": Text(ar="المستلم", en="Recipient"),
    "dlv_col_status": Text(ar="الحالة", en="Status"),
    "dlv_col_reason": Text(ar="السبب", en="Reason"),
    "dlv_col_when": Text(ar="آخر تحديث", en="Last update"),
    "dlv_col_ticket": Text(ar="التذكرة", en="Ticket"),
    "dlv_col_attempts": Text(ar="المحاولات", en="Attempts"),
    "dlv_col_actions": Text(ar="إجراء", en="Action"),
    "dlv_outbox_title": Text(ar="صندوق الإشعارات الصادرة", en="Outgoing notifications"),
    "dlv_outbox_intro": Text(
        ar="الإشعارات التي لم تُسلَّم: الفاشلة نهائياً يمكن إعادة إرسالها بعد إصلاح السبب (البوابة أو عنوان المستلم)؛ "
        "وما تعذّر توجيهه يحتاج إلى عنوان للمستلم قبل أن يُرسل.",
        en="Notifications not delivered: those that failed for good can be sent again once the cause "
        "(the gateway, the recipient's address) is fixed; the undeliverable ones need an address first.",
    ),
    "dlv_outbox_empty": Text(
        ar="لا توجد إشعارات معلّقة أو فاشلة.", en="No notification is waiting or failed."
    ),
    "dlv_outbox_pages": Text(ar="صفحات الإشعارات غير المُرسلة", en="Pages of notifications not sent"),
    "dlv_outbox_counts": Text(
        ar="فشل نهائياً: {dead} · تعذّر توجيهه: {undeliverable} · بانتظار إعادة المحاولة: {failed} · بانتظار الإرسال: {pending}",
        en="Failed for good: {dead} · undeliverable: {undeliverable} · waiting to be retried: {failed} · waiting to be sent: {pending}",
    ),
    "dlv_retry": Text(ar="إعادة الإرسال", en="Send again"),
    "dlv_retried": Text(
        ar="أُعيد الإشعار {id} إلى قائمة الإرسال.", en="Notification {id} is queued to be sent again."
    ),
    "dlv_cannot_retry": Text(
        ar="لا يمكن إعادة إرسال الإشعار {id}: ليس فاشلاً نهائياً أو ليس له عنوان.",
        en="Notification {id} cannot be sent again: it has not failed for good, or has no address.",
    ),
    "dlv_whatsapp_bad_signature": Text(
        ar="توقيع الطلب مفقود أو غير صحيح", en="The request's signature is missing or wrong"
    ),
    "dlv_whatsapp_bad_token": Text(ar="رمز التحقق غير صحيح", en="The verify token is wrong"),
    "dlv_whatsapp_not_configured": Text(
        ar="استقبال الواتساب غير مُعدّ على هذا الخادم", en="WhatsApp intake is not configured on this server"
    ),
    "dlv_whatsapp_customer_message": Text(
        ar="رسالة من العميل عبر الواتساب", en="The customer's WhatsApp message"
    ),
    "dlv_whatsapp_message": Text(ar="الرسالة", en="Message"),
    "dlv_whatsapp_bad_payload": Text(ar="محتوى الطلب غير مفهوم", en="The request body is not understood"),
    "dlv_demo_sent_title": Text(ar="ما أُرسل في العرض التجريبي", en="What the demo sent"),
    "dlv_demo_sent_intro": Text(
        ar="بوابات محلية بديلة (البريد والرسائل النصية والواتساب) تستقبل ما يرسله الخادم في وضع العرض التجريبي ولا توصله إلى أحد؛ تظهر هنا أحدث الرسائل أولاً.",
        en="Loopback stand-ins for the gateways (e-mail, SMS, WhatsApp) receive what the demo server sends and deliver it nowhere; the latest messages are shown first.",
    ),
    "dlv_demo_sent_count": Text(ar="عدد الرسائل المستلمة: {count}", en="Messages received: {count}"),
    "dlv_demo_sent_empty": Text(
        ar="لم يُرسل شيء بعد. نفّذ إجراءً على تذكرة (مثل الرد على رسالة بريدية) ثم حدّث الصفحة بعد ثوانٍ.",
        en="Nothing sent yet. Take an action on a ticket (answer an e-mail, say), then reload this page after a few seconds.",
    ),
    "dlv_demo_sent_off": Text(
        ar="البوابات البديلة لا تعمل: تبدأ مع الأمر khidma serve --demo فقط.",
        en="The stand-in gateways are not running: only khidma serve --demo starts them.",
    ),
    "dlv_demo_in_reply_to": Text(ar="رداً على:", en="In reply to:"),
    "dlv_col_when_sent": Text(ar="وقت الاستلام", en="Received at"),
}
