"""The words of the staff ticket page, in Arabic and English (merged into ``server.i18n.MESSAGES``).

Keys start with ``stt_`` (staff ticket) so they never collide with the other pages' keys.
"""

from __future__ import annotations

from server.definitions.model import Text

STAFF_TICKET_MESSAGES: dict[str, Text] = {
    "stt_title": Text(ar="التذكرة", en="Ticket"),
    "stt_state": Text(ar="الحالة", en="State"),
    "stt_category": Text(ar="التصنيف", en="Category"),
    "stt_category_open": Text(ar="مفتوحة", en="Open"),
    "stt_category_pending": Text(ar="معلقة", en="Pending"),
    "stt_category_in_progress": Text(ar="تحت الإجراء", en="In progress"),
    "stt_category_closed": Text(ar="مغلقة", en="Closed"),
    "stt_assignee": Text(ar="المسندة إليه", en="Assigned to"),
    "stt_unassigned": Text(ar="غير مسندة", en="Not assigned"),
    "stt_channel": Text(ar="قناة الورود", en="Channel"),
    "stt_requester": Text(ar="العميل", en="Requester"),
    "stt_created": Text(ar="تاريخ الإنشاء", en="Created"),
    "stt_updated": Text(ar="آخر تحديث", en="Last update"),
    "stt_due": Text(ar="موعد الاستحقاق", en="Due"),
    "stt_overdue": Text(ar="متأخرة", en="Overdue"),
    "stt_due_soon": Text(ar="يحين موعدها قريباً", en="Due soon"),
    "stt_submitted_data": Text(ar="بيانات الطلب", en="Submitted data"),
    "stt_attachments": Text(ar="المرفقات", en="Attachments"),
    "stt_no_attachments": Text(ar="لا توجد مرفقات.", en="No attachments."),
    "stt_download": Text(ar="تنزيل", en="Download"),
    "stt_timeline": Text(ar="سجل التذكرة", en="History"),
    "stt_internal_note": Text(
        ar="ملاحظة داخلية — لا تظهر للعميل", en="Internal note — not shown to the requester"
    ),
    "stt_internal": Text(ar="داخلي — لا يظهر للعميل", en="Internal — not shown to the requester"),
    "stt_public_reply": Text(ar="رد للعميل — يظهر له", en="Public reply — shown to the requester"),
    "stt_public": Text(ar="عام — يظهر للعميل", en="Public — shown to the requester"),
    "stt_by": Text(ar="بواسطة", en="by"),
    "stt_system": Text(ar="النظام", en="System"),
    "stt_requester_actor": Text(ar="العميل", en="The requester"),
    "stt_ticket_created": Text(ar="إنشاء التذكرة", en="Ticket created"),
    "stt_timer": Text(ar="مؤقت", en="Timer"),
    "stt_actions": Text(ar="الإجراءات المتاحة", en="Available actions"),
    "stt_no_actions": Text(
        ar="لا توجد إجراءات متاحة لك على هذه التذكرة في حالتها الحالية.",
        en="There is no action you can take on this ticket in its current state.",
    ),
    "stt_submit_action": Text(ar="تنفيذ الإجراء", en="Take this action"),
    "stt_internal_action": Text(ar="إجراء داخلي", en="Internal action"),
    "stt_public_action": Text(ar="يصل إلى العميل", en="Reaches the requester"),
    "stt_done": Text(ar="تم تنفيذ الإجراء: {action}", en="Done: {action}"),
    "stt_refused": Text(ar="لم يُنفّذ الإجراء", en="The action was not taken"),
    "stt_ready_replies": Text(ar="الردود الجاهزة", en="Ready replies"),
    "stt_ready_replies_search": Text(ar="البحث في الردود الجاهزة", en="Search the ready replies"),
    "stt_ready_replies_language": Text(ar="لغة الرد", en="Language of the reply"),
    "stt_ready_replies_hint": Text(
        ar="اختر رداً ثم اضغط «إدراج» لإضافته إلى حقل الرد، أو انسخه يدوياً.",
        en="Pick a reply and press “Insert” to put it into the reply field, or copy it by hand.",
    ),
    "stt_search": Text(ar="بحث", en="Search"),
    "stt_insert": Text(ar="إدراج", en="Insert"),
    "stt_no_ready_replies": Text(ar="لا توجد ردود جاهزة مطابقة.", en="No matching ready replies."),
    "stt_arabic": Text(ar="العربية", en="Arabic"),
    "stt_english": Text(ar="الإنجليزية", en="English"),
    "stt_from_to": Text(ar="من «{start}» إلى «{end}»", en="from “{start}” to “{end}”"),
    "stt_in_state": Text(ar="في «{state}»", en="in “{state}”"),
}
