"""The form and workflow builders' words (issue 13): the controls, the kinds of field, the builders'
own refusals (``builder_err_…``) and the loader's error codes as administrators read them
(``builder_code_<code>``, one per code of docs/definitions.md; a code without words reads as
``builder_code_other``)."""

from __future__ import annotations

from server.definitions.model import Text

_CONTROLS: dict[str, Text] = {
    "builder_form_title": Text(ar="منشئ النموذج", en="Form builder"),
    "builder_workflow_title": Text(ar="منشئ سير العمل", en="Workflow builder"),
    "builder_nav": Text(ar="أدوات تحرير الخدمة", en="Service editing tools"),
    "builder_service_name_ar": Text(ar="اسم الخدمة بالعربية", en="The service's name in Arabic"),
    "builder_service_name_en": Text(ar="اسم الخدمة بالإنجليزية", en="The service's name in English"),
    "builder_intake_department": Text(ar="(وحدة الاستقبال)", en="(the intake unit)"),
    "builder_json_view": Text(ar="عرض JSON", en="JSON view"),
    "builder_other_errors": Text(ar="أخطاء في ملفات أخرى للخدمة", en="Errors in the service's other files"),
    "builder_fix_json_first": Text(
        ar="تعذرت قراءة الملف؛ أصلحه في عرض JSON أولاً.",
        en="The file cannot be read; mend it in the JSON view first.",
    ),
    "builder_fix_below": Text(
        ar="لم يُحفظ التعديل؛ صحّح ما هو مبيَّن أدناه.", en="Nothing was saved; correct what is shown below."
    ),
    "builder_form_heading": Text(ar="عنوان النموذج", en="The form's title"),
    "builder_service_form": Text(ar="نموذج الخدمة", en="The service's form"),
    "builder_which_form": Text(ar="النموذج المحرَّر", en="The form edited"),
    "builder_open": Text(ar="فتح", en="Open"),
    "builder_new_form": Text(ar="نموذج إجراء جديد", en="A new action form"),
    "builder_fields": Text(ar="حقول النموذج", en="The form's fields"),
    "builder_no_fields": Text(ar="لا توجد حقول بعد.", en="No fields yet."),
    "builder_add_field": Text(ar="إضافة حقل", en="Add a field"),
    "builder_kind": Text(ar="نوع الحقل", en="Kind of field"),
    "builder_into": Text(ar="إلى", en="Into"),
    "builder_the_form": Text(ar="النموذج نفسه", en="The form itself"),
    "builder_add": Text(ar="إضافة", en="Add"),
    "builder_edit": Text(ar="تعديل", en="Edit"),
    "builder_remove": Text(ar="حذف", en="Remove"),
    "builder_move_up": Text(ar="إلى الأعلى", en="Up"),
    "builder_move_down": Text(ar="إلى الأسفل", en="Down"),
    "builder_move_into": Text(ar="نقل إلى", en="Move into"),
    "builder_required": Text(ar="إلزامي", en="Required"),
    "builder_new_field": Text(ar="حقل جديد", en="New field"),
    "builder_edit_field": Text(ar="تعديل الحقل", en="Edit the field"),
    "builder_label_ar": Text(ar="العنوان بالعربية", en="Label in Arabic"),
    "builder_label_en": Text(ar="العنوان بالإنجليزية", en="Label in English"),
    "builder_help_ar": Text(ar="التلميح بالعربية (اختياري)", en="Help in Arabic (optional)"),
    "builder_help_en": Text(ar="التلميح بالإنجليزية (اختياري)", en="Help in English (optional)"),
    "builder_name": Text(ar="المعرّف", en="Identifier"),
    "builder_name_hint": Text(
        ar="حروف إنجليزية صغيرة وأرقام و _ ، يبدأ بحرف (مثل college). تستعمله الشروط والقوالب.",
        en="Lower-case letters, digits and _, starting with a letter (e.g. college). Conditions and templates use it.",
    ),
    "builder_min_length": Text(ar="أقل عدد من الأحرف", en="Fewest characters"),
    "builder_max_length": Text(ar="أكبر عدد من الأحرف", en="Most characters"),
    "builder_minimum": Text(ar="أصغر قيمة", en="Smallest value"),
    "builder_maximum": Text(ar="أكبر قيمة", en="Largest value"),
    "builder_whole": Text(ar="أعداد صحيحة فقط", en="Whole numbers only"),
    "builder_min_items": Text(ar="أقل عدد من الصفوف", en="Fewest rows"),
    "builder_max_items": Text(ar="أكبر عدد من الصفوف", en="Most rows"),
    "builder_add_label_ar": Text(ar="نص زر الإضافة بالعربية", en="The add button's text in Arabic"),
    "builder_add_label_en": Text(ar="نص زر الإضافة بالإنجليزية", en="The add button's text in English"),
    "builder_accept": Text(ar="أنواع الملفات المقبولة", en="File types accepted"),
    "builder_accept_hint": Text(
        ar="مفصولة بفواصل، مثل application/pdf, image/*",
        en="Separated by commas, e.g. application/pdf, image/*",
    ),
    "builder_max_mb": Text(ar="أكبر حجم (ميجابايت)", en="Largest size (MB)"),
    "builder_widget": Text(ar="طريقة العرض", en="Shown as"),
    "builder_widget_select": Text(ar="قائمة منسدلة", en="A drop-down list"),
    "builder_widget_radio": Text(ar="أزرار اختيار", en="Radio buttons"),
    "builder_choices": Text(ar="الخيارات", en="Choices"),
    "builder_choice_value": Text(ar="القيمة المخزنة", en="Stored value"),
    "builder_choices_hint": Text(
        ar="صف لكل خيار؛ الصفوف الفارغة تُهمل. احفظ لإضافة صفوف أخرى.",
        en="One row per choice; empty rows are ignored. Save to get more rows.",
    ),
    "builder_lookup": Text(ar="أو انسخ الخيارات من جدول مرجعي", en="Or copy the choices from a lookup table"),
    "builder_lookup_none": Text(ar="(لا شيء)", en="(none)"),
    "builder_condition": Text(ar="أظهر هذا الحقل فقط عندما …", en="Show this field only when …"),
    "builder_condition_hint": Text(
        ar="اختر قيمة أو أكثر لحقل واحد؛ بلا اختيار يظهر الحقل دائماً.",
        en="Pick one or more values of one field; with none picked the field is always shown.",
    ),
    "builder_condition_none": Text(
        ar="لا يوجد في هذا المستوى حقل اختيار أو نعم/لا يُشترط عليه.",
        en="No choice or yes/no field at this level to depend on.",
    ),
    "builder_shown_when": Text(
        ar="يظهر عندما يكون «{field}»: {values}", en="Shown when “{field}” is: {values}"
    ),
    "builder_yes": Text(ar="نعم", en="Yes"),
    "builder_no": Text(ar="لا", en="No"),
    "builder_save_field": Text(ar="حفظ الحقل", en="Save the field"),
    "builder_save": Text(ar="حفظ", en="Save"),
    "builder_cancel": Text(ar="إلغاء", en="Cancel"),
    "builder_states": Text(ar="المراحل", en="States"),
    "builder_actions": Text(ar="الإجراءات", en="Actions"),
    "builder_timers": Text(ar="المؤقتات", en="Timers"),
    "builder_add_state": Text(ar="إضافة مرحلة", en="Add a state"),
    "builder_add_action": Text(ar="إضافة إجراء", en="Add an action"),
    "builder_add_timer": Text(ar="إضافة مؤقت", en="Add a timer"),
    "builder_edit_state": Text(ar="تعديل المرحلة", en="Edit the state"),
    "builder_edit_action": Text(ar="تعديل الإجراء", en="Edit the action"),
    "builder_edit_timer": Text(ar="تعديل المؤقت", en="Edit the timer"),
    "builder_category": Text(ar="حالة التذكرة في التقارير", en="Category in the reports"),
    "builder_category_open": Text(ar="مفتوحة/محوّلة", en="Open/transferred"),
    "builder_category_pending": Text(ar="معلقة", en="Pending"),
    "builder_category_in_progress": Text(ar="تحت الإجراء", en="In progress"),
    "builder_category_closed": Text(ar="مغلقة", en="Closed"),
    "builder_assignee": Text(ar="تُسند التذكرة إلى", en="The ticket is assigned to"),
    "builder_assignee_role": Text(ar="دور في قسم", en="A role in a department"),
    "builder_assignee_head": Text(ar="رئيس القسم", en="The department's head"),
    "builder_assignee_chosen": Text(ar="من يُختار في الإجراء", en="The one chosen in the action"),
    "builder_assignee_actor": Text(ar="من اتخذ الإجراء", en="Who took the action"),
    "builder_assignee_keep": Text(ar="دون تغيير", en="Unchanged"),
    "builder_assignee_role_text": Text(ar="{role} في {department}", en="{role} in {department}"),
    "builder_assignee_head_text": Text(ar="رئيس {department}", en="The head of {department}"),
    "builder_role": Text(ar="الدور", en="Role"),
    "builder_department": Text(ar="القسم", en="Department"),
    "builder_dept_service": Text(ar="قسم الخدمة", en="The service's department"),
    "builder_dept_service_text": Text(ar="قسم الخدمة", en="the service's department"),
    "builder_dept_ticket": Text(ar="القسم الحالي للتذكرة", en="The ticket's current department"),
    "builder_chosen_field": Text(
        ar="حقل نموذج الإجراء الذي يُختار فيه", en="The action form's field it is chosen in"
    ),
    "builder_chosen_field_hint": Text(
        ar="معرّف حقل في نموذج الإجراء (مثل assignee)", en="A field of the action's form (e.g. assignee)"
    ),
    "builder_initial_state": Text(ar="المرحلة الأولى للتذاكر الجديدة", en="Where new tickets start"),
    "builder_from": Text(ar="يُتخذ من المراحل", en="Taken from the states"),
    "builder_to": Text(ar="ينقل التذكرة إلى", en="Moves the ticket to"),
    "builder_stays": Text(ar="(تبقى في مرحلتها)", en="(stays where it is)"),
    "builder_who": Text(ar="من يحق له اتخاذه", en="Who may take it"),
    "builder_own_department": Text(
        ar="الموظفون من القسم الحالي للتذكرة فقط", en="Staff of the ticket's current department only"
    ),
    "builder_action_form": Text(ar="نموذج الإجراء", en="The action's form"),
    "builder_no_form": Text(ar="(بلا نموذج)", en="(no form)"),
    "builder_visibility": Text(ar="يظهر للعميل؟", en="Seen by the requester?"),
    "builder_internal": Text(ar="داخلي (للموظفين فقط)", en="Internal (staff only)"),
    "builder_public": Text(ar="عام (يراه العميل)", en="Public (the requester sees it)"),
    "builder_action_condition": Text(ar="شرط اتخاذ الإجراء", en="The action's condition"),
    "builder_action_condition_hint": Text(
        ar="اختر قيمة ومقارنة، أو اكتب الشرط بلغة الشروط؛ يُرفض الإجراء برسالتك حين لا يتحقق.",
        en="Pick a value and a comparison, or write the condition in the guard language; "
        "the action is refused with your message when it does not hold.",
    ),
    "builder_cond_subject": Text(ar="القيمة", en="Value"),
    "builder_cond_op": Text(ar="المقارنة", en="Comparison"),
    "builder_cond_value": Text(ar="تساوي / لا تساوي", en="Compared with"),
    "builder_op_eq": Text(ar="تساوي", en="equals"),
    "builder_op_ne": Text(ar="لا تساوي", en="differs from"),
    "builder_condition_expr": Text(ar="أو الشرط مكتوباً", en="Or the condition written out"),
    "builder_message_ar": Text(ar="رسالة الرفض بالعربية", en="Refusal message in Arabic"),
    "builder_message_en": Text(ar="رسالة الرفض بالإنجليزية", en="Refusal message in English"),
    "builder_has_condition": Text(ar="مشروط", en="Has a condition"),
    "builder_notices_count": Text(ar="إشعارات: {count}", en="Notifications: {count}"),
    "builder_notifications": Text(ar="الإشعارات المرسلة", en="Notifications sent"),
    "builder_notifications_hint": Text(
        ar="اترك الصف الأخير فارغاً إن لم تُرد إشعاراً جديداً. يمكن استعمال {{ ticket.number }} في النص.",
        en="Leave the last row empty for no new notification. Texts may use {{ ticket.number }}.",
    ),
    "builder_notify_to": Text(ar="إلى", en="To"),
    "builder_notify_channel": Text(ar="القناة", en="Channel"),
    "builder_channel_default": Text(ar="قناة التذكرة", en="The ticket's channel"),
    "builder_channel_email": Text(ar="البريد الإلكتروني", en="E-mail"),
    "builder_channel_sms": Text(ar="رسالة نصية", en="SMS"),
    "builder_channel_whatsapp": Text(ar="واتساب", en="WhatsApp"),
    "builder_subject_ar": Text(ar="العنوان بالعربية", en="Subject in Arabic"),
    "builder_subject_en": Text(ar="العنوان بالإنجليزية", en="Subject in English"),
    "builder_body_ar": Text(ar="النص بالعربية", en="Text in Arabic"),
    "builder_body_en": Text(ar="النص بالإنجليزية", en="Text in English"),
    "builder_to_requester": Text(ar="العميل", en="The requester"),
    "builder_to_assignee": Text(ar="المسند إليه", en="The assignee"),
    "builder_to_actor": Text(ar="من اتخذ الإجراء", en="Who took the action"),
    "builder_to_head": Text(ar="رئيس قسم الخدمة", en="The head of the service's department"),
    "builder_to_role": Text(ar="كل من يحمل دور: {role}", en="Everyone holding the role: {role}"),
    "builder_subject_data": Text(ar="حقل النموذج", en="Form field"),
    "builder_subject_ticket": Text(ar="التذكرة", en="Ticket"),
    "builder_subject_vars": Text(ar="قيمة مسجلة", en="Recorded value"),
    "builder_timer_state": Text(ar="يبدأ عند دخول المرحلة", en="Starts when the ticket enters"),
    "builder_timer_hours": Text(ar="بعد (ساعات عمل)", en="After (working hours)"),
    "builder_timer_hours_hint": Text(
        ar="تُحسب بساعات الدوام في تقويم الجهة",
        en="Counted in the working hours of the organisation's calendar",
    ),
    "builder_timer_text": Text(
        ar="بعد {hours} ساعة عمل في «{state}»", en="After {hours} working hours in “{state}”"
    ),
}

_KINDS: dict[str, Text] = {
    "builder_kind_short_text": Text(ar="نص قصير", en="Short text"),
    "builder_kind_long_text": Text(ar="نص طويل", en="Long text"),
    "builder_kind_number": Text(ar="رقم", en="Number"),
    "builder_kind_date": Text(ar="تاريخ", en="Date"),
    "builder_kind_time": Text(ar="وقت", en="Time"),
    "builder_kind_choice_one": Text(ar="اختيار واحد", en="Choice — one"),
    "builder_kind_choice_many": Text(ar="اختيار متعدد", en="Choice — many"),
    "builder_kind_yes_no": Text(ar="نعم / لا", en="Yes / no"),
    "builder_kind_email": Text(ar="بريد إلكتروني", en="E-mail"),
    "builder_kind_mobile": Text(ar="رقم جوال", en="Mobile number"),
    "builder_kind_file": Text(ar="ملف مرفق", en="File"),
    "builder_kind_member": Text(ar="موظف من القسم", en="A staff member of the department"),
    "builder_kind_group": Text(ar="مجموعة متكررة", en="Repeatable group"),
    "builder_kind_section": Text(ar="قسم", en="Section"),
    "builder_kind_other": Text(ar="أخرى (تُحرَّر في عرض JSON)", en="Other (edited in the JSON view)"),
}

_REFUSALS: dict[str, Text] = {
    "builder_err_kind": Text(ar="اختر نوعاً من القائمة.", en="Pick a kind from the list."),
    "builder_err_name": Text(
        ar="المعرّف حروف إنجليزية صغيرة وأرقام و _ ويبدأ بحرف.",
        en="The identifier is lower-case letters, digits and _, starting with a letter.",
    ),
    "builder_err_name_taken": Text(ar="هذا المعرّف مستعمل.", en="This identifier is taken."),
    "builder_err_label_missing": Text(ar="هذا النص مطلوب.", en="This text is required."),
    "builder_err_translation_missing": Text(
        ar="اكتب النص باللغتين أو اتركه فارغاً فيهما.", en="Write the text in both languages, or in neither."
    ),
    "builder_err_not_whole": Text(ar="أدخل عدداً صحيحاً.", en="Enter a whole number."),
    "builder_err_not_number": Text(ar="أدخل رقماً.", en="Enter a number."),
    "builder_err_range": Text(
        ar="الحد الأكبر أصغر من الحد الأصغر.", en="The upper limit is below the lower one."
    ),
    "builder_err_file_size": Text(
        ar="الحجم بين 1 بايت و100 ميجابايت.", en="The size is between 1 byte and 100 MB."
    ),
    "builder_err_media_type": Text(
        ar="اكتب أنواعاً مثل application/pdf أو image/*.", en="Write types such as application/pdf or image/*."
    ),
    "builder_err_choices": Text(
        ar="لكل خيار قيمة وعنوان باللغتين، ولا تتكرر القيم.",
        en="Each choice needs a value and a label in both languages; no value twice.",
    ),
    "builder_err_choices_none": Text(ar="أضف خياراً واحداً على الأقل.", en="Add at least one choice."),
    "builder_err_condition_field": Text(
        ar="يُشترط على حقل اختيار أو نعم/لا واحد في المستوى نفسه.",
        en="A condition reads one choice or yes/no field at the same level.",
    ),
    "builder_err_condition_value": Text(ar="اختر قيمة من قيم ذلك الحقل.", en="Pick a value of that field."),
    "builder_err_nested_group": Text(
        ar="المجموعات والأقسام في النموذج نفسه لا داخل مجموعة.",
        en="Groups and sections go in the form itself, not in a group.",
    ),
    "builder_err_no_container": Text(ar="لا توجد مجموعة بهذا الاسم.", en="There is no such group."),
    "builder_err_no_field": Text(ar="هذا الحقل لم يعد موجوداً.", en="This field no longer exists."),
    "builder_err_trigger_in_use": Text(
        ar="حقول أخرى تظهر بحسب قيمة هذا الحقل؛ أزل شروطها أولاً.",
        en="Other fields are shown depending on this one; remove their conditions first.",
    ),
    "builder_err_group_not_empty": Text(
        ar="أفرغ المجموعة قبل تغيير نوعها.", en="Empty the group before changing its kind."
    ),
    "builder_err_move_conditional": Text(
        ar="حقل له شرط أو تعتمد عليه شروط يبقى في مستواه.",
        en="A field with a condition, or one a condition reads, stays at its level.",
    ),
    "builder_err_category": Text(ar="اختر حالة من القائمة.", en="Pick a category from the list."),
    "builder_err_assignee": Text(ar="اختر من القائمة.", en="Pick from the list."),
    "builder_err_role_missing": Text(ar="اختر دوراً.", en="Pick a role."),
    "builder_err_unknown_role": Text(
        ar="دور غير معرّف في الجهة.", en="A role the organisation does not have."
    ),
    "builder_err_unknown_department": Text(
        ar="قسم غير معرّف في الجهة.", en="A department the organisation does not have."
    ),
    "builder_err_unknown_form": Text(ar="نموذج غير موجود في الخدمة.", en="A form the service does not have."),
    "builder_err_from_missing": Text(ar="اختر مرحلة واحدة على الأقل.", en="Pick at least one state."),
    "builder_err_who_missing": Text(ar="اختر دوراً واحداً على الأقل.", en="Pick at least one role."),
    "builder_err_visibility": Text(ar="اختر داخلي أو عام.", en="Pick internal or public."),
    "builder_err_bad_expression": Text(
        ar="الشرط غير صحيح: تحقق من الحقل والقيمة ونوعها.",
        en="The condition is not valid: check the field, the value and its type.",
    ),
    "builder_err_recipient": Text(ar="اختر المستلم من القائمة.", en="Pick the recipient from the list."),
    "builder_err_channel": Text(ar="اختر القناة من القائمة.", en="Pick the channel from the list."),
    "builder_err_hours": Text(
        ar="عدد ساعات أكبر من صفر وحتى 10000.", en="A number of hours above 0, up to 10000."
    ),
    "builder_err_timer_notice": Text(
        ar="المؤقت يرسل إشعاراً: اكتب عنوانه ونصه.",
        en="A timer sends a notification: write its subject and text.",
    ),
    "builder_err_no_state": Text(ar="مرحلة غير موجودة.", en="A state that does not exist."),
    "builder_err_no_action": Text(ar="إجراء غير موجود.", en="An action that does not exist."),
    "builder_err_no_timer": Text(ar="مؤقت غير موجود.", en="A timer that does not exist."),
    "builder_err_state_initial": Text(
        ar="تبدأ التذاكر الجديدة في هذه المرحلة؛ اختر مرحلة أولى غيرها أولاً.",
        en="New tickets start in this state; make another state the first one first.",
    ),
    "builder_err_state_in_use": Text(
        ar="إجراءات أو مؤقتات تستعمل هذه المرحلة؛ عدّلها أو احذفها أولاً.",
        en="Actions or timers use this state; change or remove them first.",
    ),
    "builder_err_last_action": Text(
        ar="لسير العمل إجراء واحد على الأقل.", en="A workflow has at least one action."
    ),
}

_CODES: dict[str, Text] = {
    "builder_code_other": Text(
        ar="خطأ في التعريف؛ راجعه في عرض JSON.", en="A definition error; see it in the JSON view."
    ),
    "builder_code_json_syntax": Text(ar="الملف ليس JSON صحيحاً.", en="The file is not valid JSON."),
    "builder_code_too_deep": Text(ar="الملف متداخل أكثر من المسموح.", en="The file nests too deep."),
    "builder_code_too_large": Text(ar="الملف أكبر من المسموح.", en="The file is too large."),
    "builder_code_duplicate_id": Text(ar="معرّف مكرر.", en="An identifier appears twice."),
    "builder_code_id_mismatch": Text(
        ar="المعرّف لا يطابق اسم الملف.", en="The id differs from the file's name."
    ),
    "builder_code_bad_file_name": Text(ar="اسم ملف غير صالح.", en="A file name that is not an id."),
    "builder_code_missing_file": Text(ar="ملف ناقص.", en="A file is missing."),
    "builder_code_missing_directory": Text(ar="مجلد ناقص.", en="A directory is missing."),
    "builder_code_schema": Text(
        ar="قيمة ناقصة أو غير مقبولة هنا (مثل نص بلغة واحدة).",
        en="A value missing or not allowed here (a text in one language only …).",
    ),
    "builder_code_invalid_json_schema": Text(
        ar="النموذج يخالف معيار JSON Schema.", en="The form breaks the JSON Schema standard."
    ),
    "builder_code_unsafe_pattern": Text(
        ar="نمط تحقق غير آمن أو غير صالح.", en="An unsafe or invalid pattern."
    ),
    "builder_code_schema_too_large": Text(ar="النموذج أكبر من المسموح.", en="The form is too large."),
    "builder_code_check_failed": Text(
        ar="تعذر فحص المسودة؛ لا يمكن نشرها كما هي.",
        en="The draft could not be checked; it cannot be published as it is.",
    ),
    "builder_code_bad_reference": Text(
        ar="إحالة غير مقبولة داخل النموذج.", en="A reference the form may not use."
    ),
    "builder_code_uncompilable_form": Text(
        ar="تعذر تجهيز النموذج للتحقق.", en="The form cannot be compiled for checking."
    ),
    "builder_code_bad_example": Text(
        ar="مثال النموذج لم يعد إدخالاً صحيحاً له.",
        en="An example of the form is no longer a valid submission.",
    ),
    "builder_code_missing_label": Text(
        ar="حقل أو خيار بلا عنوان، أو اسم غير موجود في قائمة الإلزامي/الترتيب.",
        en="A field or choice without a label, or a name in required/order that is not a field.",
    ),
    "builder_code_invalid_form": Text(ar="نموذج الإجراء غير صالح.", en="The action's form is not valid."),
    "builder_code_unknown_state": Text(ar="مرحلة غير موجودة.", en="A state that does not exist."),
    "builder_code_unknown_role": Text(
        ar="دور غير معرّف في الجهة.", en="A role the organisation does not have."
    ),
    "builder_code_unknown_department": Text(
        ar="قسم غير معرّف في الجهة.", en="A department the organisation does not have."
    ),
    "builder_code_unknown_channel": Text(ar="قناة غير معرّفة.", en="A channel that does not exist."),
    "builder_code_unknown_form": Text(ar="نموذج غير موجود.", en="A form that does not exist."),
    "builder_code_unknown_workflow": Text(ar="سير عمل غير موجود.", en="A workflow that does not exist."),
    "builder_code_unknown_survey": Text(ar="استبيان غير موجود.", en="A survey that does not exist."),
    "builder_code_unknown_guard": Text(ar="شرط غير معرّف.", en="A guard that does not exist."),
    "builder_code_unknown_template": Text(
        ar="قالب إشعار غير موجود.", en="A notification template that does not exist."
    ),
    "builder_code_unknown_variable": Text(
        ar="قيمة مسجلة غير معرّفة.", en="A recorded value that is not declared."
    ),
    "builder_code_unknown_link": Text(ar="رابط غير معرّف.", en="A link that is not declared."),
    "builder_code_unknown_column": Text(
        ar="عمود غير معرّف في الجدول.", en="A column the table does not have."
    ),
    "builder_code_unknown_timezone": Text(ar="منطقة زمنية غير معروفة.", en="An unknown time zone."),
    "builder_code_unknown_field": Text(
        ar="يُستعمل حقل غير موجود في النموذج (في قالب أو إسناد).",
        en="A field the form lacks is used (in a template or an assignment).",
    ),
    "builder_code_bad_expression": Text(
        ar="الشرط غير صحيح: حقل غير موجود أو قيمة من نوع آخر.",
        en="The condition is not valid: a field that does not exist or a value of another type.",
    ),
    "builder_code_template_syntax": Text(
        ar="نص الإشعار غير صحيح الصياغة.", en="The notification text does not parse."
    ),
    "builder_code_template_name": Text(
        ar="نص الإشعار يستعمل اسماً غير متاح.", en="The notification text uses a name it cannot."
    ),
    "builder_code_template_unsafe": Text(
        ar="نص الإشعار يستعمل ما لا يُسمح به.", en="The notification text uses what is not allowed."
    ),
    "builder_code_template_budget": Text(
        ar="نص الإشعار يتجاوز الحدود.", en="The notification text passes its limits."
    ),
    "builder_code_template_error": Text(
        ar="تعذر إنشاء نص الإشعار تجريبياً.", en="The notification text fails when tried."
    ),
    "builder_code_survey_not_attached": Text(
        ar="النص يستعمل رابط الاستبيان دون إرفاقه.", en="The text uses the survey link without attaching it."
    ),
    "builder_code_no_survey": Text(ar="الخدمة لا تحدد استبياناً.", en="The service names no survey."),
    "builder_code_unreachable_state": Text(
        ar="لا يوصل إلى هذه المرحلة أي إجراء.", en="No action leads to this state."
    ),
    "builder_code_undeclared_reopen": Text(
        ar="إجراء يخرج من مرحلة مغلقة دون إعلان إعادة الفتح.",
        en="An action leaves a closed state without declaring a reopen.",
    ),
    "builder_code_bad_reopen": Text(
        ar="إعادة فتح معلنة لإجراء لا يخرج من مرحلة مغلقة.",
        en="A reopen declared on an action that leaves no closed state.",
    ),
    "builder_code_bad_interval": Text(
        ar="فترة دوام تنتهي قبل أن تبدأ.", en="A working interval ends before it starts."
    ),
    "builder_code_wrong_service": Text(ar="المسودة تعرّف خدمة أخرى.", en="The draft defines another service."),
    "builder_code_too_many_files": Text(
        ar="ملفات الخدمة أكثر من المسموح.", en="The service has too many files."
    ),
}

BUILDER_MESSAGES: dict[str, Text] = {**_CONTROLS, **_KINDS, **_REFUSALS, **_CODES}
