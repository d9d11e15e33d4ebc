"""The words of the inbound channels (issue 12: integrations, inbound e-mail), in Arabic and English
(merged into ``server.i18n.MESSAGES``). Keys start with ``ch_`` or name a channel rule."""

from __future__ import annotations

from server.definitions.model import Text

CHANNEL_MESSAGES: dict[str, Text] = {
    "channel_not_offered": Text(
        ar="لا يمكنك تقديم هذا الطلب عبر هذه القناة", en="You cannot submit this request through this channel"
    ),
    "ch_key_required": Text(
        ar="مفتاح التكامل مفقود أو غير صالح أو ملغى", en="The integration key is missing, invalid or revoked"
    ),
    "ch_no_service": Text(
        ar="لا توجد خدمة منشورة تستقبل تذاكر هذه القناة",
        en="No published service takes tickets from this channel",
    ),
    "ch_not_rfc822": Text(
        ar="يجب أن تكون الرسالة بصيغة message/rfc822", en="The body must be a message/rfc822 e-mail message"
    ),
    "ch_mail_unreadable": Text(
        ar="تعذرت قراءة الرسالة: لا يوجد عنوان مرسل صالح",
        en="The message cannot be read: it has no valid sender address",
    ),
    "ch_mail_no_text": Text(ar="(رسالة بلا نص)", en="(a message without text)"),
}
