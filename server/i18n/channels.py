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
    "ch_replies_title": Text(ar="ردود خدمة العملاء", en="Customer-service replies"),
    "ch_replies_intro": Text(
        ar="كل رد أُرسل إلى مرسلي الرسائل البريدية، بنصه وتصنيف الرسالة والمستلم والنسخ ووقته والممثل:",
        en="Every reply sent to the senders of e-mails, with its text, the message's class, the recipient, the copies, its time and the representative:",
    ),
    "ch_replies_from": Text(ar="من تاريخ", en="From"),
    "ch_replies_to": Text(ar="إلى تاريخ", en="To"),
    "ch_replies_all_classes": Text(ar="كل التصنيفات", en="All classes"),
    "ch_replies_filter": Text(ar="عرض", en="Show"),
    "ch_replies_total": Text(ar="عدد الردود: {count}", en="Replies: {count}"),
    "ch_replies_csv": Text(ar="تنزيل CSV", en="Download CSV"),
    "ch_replies_xlsx": Text(ar="تنزيل Excel (XLSX)", en="Download Excel (XLSX)"),
    "ch_replies_empty": Text(ar="لا توجد ردود في هذه الفترة", en="No replies in this period"),
    "ch_replies_pages": Text(ar="صفحات السجل", en="Pages of the log"),
    "ch_replies_prev": Text(ar="السابق", en="Previous"),
    "ch_replies_next": Text(ar="التالي", en="Next"),
    "ch_replies_page": Text(ar="صفحة {page} من {pages}", en="Page {page} of {pages}"),
    "ch_replies_col_when": Text(ar="وقت الرد", en="Replied at"),
    "ch_replies_col_ticket": Text(ar="التذكرة", en="Ticket"),
    "ch_replies_col_class": Text(ar="تصنيف الرسالة", en="Class"),
    "ch_replies_col_recipient": Text(ar="المرسل إليه", en="Recipient"),
    "ch_replies_col_copies": Text(ar="نسخة إلى", en="Copies"),
    "ch_replies_col_representative": Text(ar="الممثل", en="Representative"),
    "ch_replies_col_reply": Text(ar="نص الرد", en="Reply"),
    "ch_replies_col_status": Text(ar="حالة الإرسال", en="Delivery"),
    "ch_replies_col_subject": Text(ar="الموضوع", en="Subject"),
    "ch_replies_col_body": Text(ar="الرسالة المرسلة كاملة", en="The message as sent"),
    "ch_replies_bad_date": Text(ar="التاريخ غير صحيح: {value}", en="Not a date: {value}"),
    "ch_replies_bad_period": Text(
        ar="تاريخ النهاية قبل تاريخ البداية", en="The end date is before the start date"
    ),
    "ch_replies_bad_class": Text(ar="تصنيف غير معروف", en="Unknown class"),
    "ch_replies_bad_page": Text(ar="رقم الصفحة غير صحيح", en="Not a page number"),
    "ch_mail_attachment_too_large": Text(
        ar="لم يُحفظ: حجمه {size} م.ب ويتجاوز الحد المسموح {limit} م.ب",
        en="not kept: its {size} MB are over the limit of {limit} MB",
    ),
    "ch_mail_attachment_too_many": Text(
        ar="لم يُحفظ: تُحفظ أول {count} مرفقات من الرسالة فقط",
        en="not kept: only the first {count} attachments of a message are kept",
    ),
}
