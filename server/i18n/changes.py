"""The words of changing a live service (issue 13: the compatibility report, the dry run, moving
tickets, past versions for the auditor), in Arabic and English (merged into ``server.i18n.MESSAGES``).
Keys start with ``change_``; ``change_kind_<kind>`` names each kind of difference of
``server/admin/compat.py``."""

from __future__ import annotations

from server.definitions.model import Text

CHANGE_KINDS: dict[str, Text] = {
    "service_changed": Text(ar="تغيّر في تعريف الخدمة", en="Service definition changed"),
    "organisation_changed": Text(ar="تغيّر في ملف المنظمة", en="Organisation file changed"),
    "field_added": Text(ar="حقل مضاف", en="Field added"),
    "field_removed": Text(ar="حقل محذوف", en="Field removed"),
    "field_renamed": Text(ar="حقل أُعيدت تسميته (محتمل)", en="Field renamed (possibly)"),
    "field_required": Text(ar="حقل أصبح إلزامياً", en="Field made required"),
    "field_optional": Text(ar="حقل أصبح اختيارياً", en="Field made optional"),
    "field_label": Text(ar="تغيّر عنوان حقل", en="Field label changed"),
    "constraint_tightened": Text(ar="قيد أصبح أشد", en="Constraint tightened"),
    "constraint_loosened": Text(ar="قيد أصبح أخف", en="Constraint loosened"),
    "constraint_changed": Text(ar="قيد تغيّر", en="Constraint changed"),
    "field_other": Text(ar="تغيّر آخر في النموذج", en="Other change to the form"),
    "choices_narrowed": Text(ar="خيارات حُذف بعضها", en="Choices narrowed"),
    "choices_widened": Text(ar="خيارات أضيف إليها", en="Choices widened"),
    "initial_changed": Text(ar="تغيّرت الحالة الأولى", en="Initial state changed"),
    "state_added": Text(ar="حالة مضافة", en="State added"),
    "state_removed": Text(ar="حالة محذوفة", en="State removed"),
    "state_renamed": Text(ar="حالة أُعيدت تسميتها (محتمل)", en="State renamed (possibly)"),
    "state_category": Text(ar="تغيّر تصنيف حالة", en="State category changed"),
    "state_assignee": Text(ar="تغيّرت قاعدة الإسناد لحالة", en="Assignee rule changed"),
    "state_on_enter": Text(ar="تغيّر ما يحدث عند دخول حالة", en="What happens on entering a state changed"),
    "state_label": Text(ar="تغيّر عنوان حالة", en="State label changed"),
    "action_added": Text(ar="إجراء مضاف", en="Action added"),
    "action_removed": Text(ar="إجراء محذوف", en="Action removed"),
    "action_renamed": Text(ar="إجراء أُعيدت تسميته (محتمل)", en="Action renamed (possibly)"),
    "action_from": Text(ar="تغيّرت الحالات التي يُتخذ منها إجراء", en="States an action is taken from changed"),
    "action_to": Text(ar="تغيّرت الحالة التي يؤدي إليها إجراء", en="State an action leads to changed"),
    "action_who": Text(ar="تغيّر من يحق له اتخاذ إجراء", en="Who may take an action changed"),
    "action_form": Text(ar="تغيّر نموذج إجراء", en="Action form changed"),
    "action_condition": Text(ar="تغيّرت شروط إجراء", en="Action conditions changed"),
    "effect_condition": Text(ar="تغيّر شرط أثر من آثار إجراء", en="Condition of an action's effect changed"),
    "action_effects": Text(ar="تغيّرت آثار إجراء", en="Action effects changed"),
    "action_visibility": Text(ar="تغيّرت ظهور إجراء للعميل", en="Action visibility changed"),
    "action_label": Text(ar="تغيّر عنوان إجراء", en="Action label changed"),
    "condition_changed": Text(ar="تغيّر تعبير شرط", en="Condition expression changed"),
    "condition_message": Text(ar="تغيّرت رسالة رفض شرط", en="Condition's refusal message changed"),
    "workflow_label": Text(ar="تغيّر اسم سير العمل أو وصفه", en="Workflow name or description changed"),
    "notification_added": Text(ar="إشعار مضاف", en="Notification added"),
    "notification_text": Text(ar="تغيّر نص إشعار", en="Notification text changed"),
    "notification_removed": Text(ar="إشعار محذوف", en="Notification removed"),
    "timer_added": Text(ar="مؤقت مضاف", en="Timer added"),
    "timer_changed": Text(ar="مؤقت تغيّر", en="Timer changed"),
    "timer_removed": Text(ar="مؤقت محذوف", en="Timer removed"),
    "variable_added": Text(ar="متغير مضاف", en="Variable added"),
    "variable_changed": Text(ar="متغير تغيّر", en="Variable changed"),
    "variable_removed": Text(ar="متغير محذوف", en="Variable removed"),
}

CHANGE_MESSAGES: dict[str, Text] = {
    **{f"change_kind_{kind}": text for kind, text in CHANGE_KINDS.items()},
    "change_state_gone": Text(
        ar="الحالة «{state}» غير موجودة في الإصدار الجديد: اختر لها حالة من سير العمل الجديد",
        en="The state {state} no longer exists: map it to a state of the new workflow",
    ),
    "change_field_lost": Text(
        ar="الحقل «{field}» معبأ ولا يوجد في النموذج الجديد: انقل قيمته إلى حقل جديد أو اسمح بحذفه",
        en="The field {field} is filled and the new form has no such field: carry it to a new field or allow dropping it",
    ),
    "change_report": Text(ar="تقرير التوافق", en="Compatibility report"),
    "change_kind": Text(ar="نوع التغيير", en="Kind of change"),
    "change_subject": Text(ar="العنصر", en="What"),
    "change_detail": Text(ar="التفاصيل", en="Details"),
    "change_effect": Text(ar="أثره على التذاكر المفتوحة", en="Effect on open tickets"),
    "change_breaking": Text(ar="قد يوقف تذاكر", en="May break tickets"),
    "change_no_differences": Text(ar="لا فرق بين الإصدارين", en="The two versions do not differ"),
    "change_renames": Text(ar="نقل القيم إلى حقول بأسماء جديدة", en="Carry values to renamed fields"),
    "change_rename_to": Text(ar="تُنقل قيمته إلى", en="carry its value to"),
    "change_defaults": Text(
        ar="قيمة لكل التذاكر التي ينقصها الحقل أو ترفض قيمته",
        en="A value for every ticket that lacks the field or whose value is refused",
    ),
    "change_ticket": Text(ar="التذكرة", en="Ticket"),
    "change_move": Text(ar="النقل", en="Move"),
    "change_new_holder": Text(ar="تُسند إلى", en="Held by"),
    "change_problems": Text(ar="ما يمنع النقل", en="What stops the move"),
    "change_value_for_ticket": Text(ar="قيمة لهذه التذكرة", en="Value for this ticket"),
    "change_leave": Text(ar="تبقى على إصدارها", en="Leave on its version"),
    "change_would_break": Text(
        ar="تذاكر لن تُنقل حتى تُعالج", en="Tickets that will not move until this is resolved"
    ),
    "change_outcome_moved": Text(ar="نُقلت", en="moved"),
    "change_outcome_left": Text(ar="بقيت على إصدارها", en="left on its version"),
    "change_outcome_refused": Text(ar="لم تُنقل", en="not moved"),
    "change_outcome_conflict": Text(
        ar="تغيّرت التذكرة منذ التجربة فلم تُنقل؛ أعد التجربة",
        en="the ticket changed since the dry run and was not moved; run it again",
    ),
    "change_versions_for_auditor": Text(ar="إصدارات الخدمة", en="Versions of the service"),
    "change_download": Text(ar="تنزيل", en="Download"),
    "change_version_unknown": Text(ar="غير معروف", en="unknown"),
}
