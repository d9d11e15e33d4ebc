"""The words of the service editor (administration), in Arabic and English (merged into ``server.i18n``)."""

from __future__ import annotations

from server.definitions.model import Text

ADMIN_MESSAGES: dict[str, Text] = {
    "admin_organisation": Text(
        ar="المنظمة: الأدوار والأقسام والتقويم", en="The organisation: roles, departments, calendar"
    ),
    "admin_organisation_intro": Text(
        ar="يُتحقق من الملف مقابل كل خدمة، ويُنشر إصداراً جديداً لكل الخدمات؛ تبقى التذاكر على إصداراتها.",
        en="The file is checked against every service and published as a new version of every service; tickets keep their versions.",
    ),
    "admin_organisation_published": Text(
        ar="نُشرت المنظمة إصداراً جديداً لكل الخدمات",
        en="The organisation was published as a new version of every service",
    ),
    "admin_check": Text(ar="تحقق", en="Check"),
    "admin_publish_all": Text(ar="نشر لكل الخدمات", en="Publish for every service"),
    "admin_service_form": Text(ar="تعريف الخدمة", en="Service definition"),
    "admin_service_form_intro": Text(
        ar="نموذج مولَّد من المخطط الوصفي للخدمة؛ يُحفظ في المسودة ولا يُنشر إلا بعد التحقق من كل شيء.",
        en="A form drawn from the service meta-schema; it saves to the draft, which is published only once everything checks.",
    ),
    "admin_back_to_draft": Text(ar="العودة إلى المسودة", en="Back to the draft"),
    "admin_save_to_draft": Text(ar="حفظ في المسودة", en="Save to the draft"),
    "admin_edit_as_form": Text(ar="تحرير تعريف الخدمة بنموذج", en="Edit the service definition as a form"),
    "admin_diagram": Text(ar="مخطط سير العمل", en="Workflow diagram"),
    "admin_diagram_none": Text(
        ar="يظهر المخطط حين يخلو ملف سير العمل من الأخطاء.",
        en="The diagram appears once the workflow file has no errors.",
    ),
    "admin_services": Text(ar="إدارة الخدمات", en="Services administration"),
    "admin_service_id": Text(ar="المعرّف", en="Id"),
    "admin_service_name": Text(ar="الاسم", en="Name"),
    "admin_latest_version": Text(ar="آخر إصدار", en="Latest version"),
    "admin_draft": Text(ar="مسودة", en="Draft"),
    "admin_has_draft": Text(ar="توجد مسودة", en="Has a draft"),
    "admin_status": Text(ar="الحالة", en="Status"),
    "admin_published": Text(ar="منشورة", en="Published"),
    "admin_disabled": Text(ar="معطّلة", en="Disabled"),
    "admin_not_published": Text(ar="لم تُنشر بعد", en="Not published yet"),
    "admin_edit": Text(ar="تحرير", en="Edit"),
    "admin_versions": Text(ar="الإصدارات", en="Versions"),
    "admin_disable": Text(ar="تعطيل", en="Disable"),
    "admin_enable": Text(ar="تفعيل", en="Enable"),
    "admin_new_service": Text(ar="خدمة جديدة", en="New service"),
    "admin_new_id_hint": Text(
        ar="حروف إنجليزية صغيرة وأرقام و _ ، تبدأ بحرف",
        en="Lower-case letters, digits and _, starting with a letter",
    ),
    "admin_create": Text(ar="إنشاء", en="Create"),
    "admin_copy": Text(ar="نسخ بمعرّف جديد", en="Copy under a new id"),
    "admin_bad_id": Text(ar="المعرّف غير صالح", en="The id is not valid"),
    "admin_id_taken": Text(ar="هذا المعرّف مستخدم", en="This id is already used"),
    "admin_editing": Text(ar="تحرير الخدمة", en="Editing the service"),
    "admin_check_hint": Text(
        ar="يُتحقق من الملفات أثناء الكتابة؛ يُحفظ ما تكتبه في المسودة حتى لو كان فيه أخطاء.",
        en="The files are checked as you type; saving keeps what you typed in the draft, even with errors.",
    ),
    "admin_save_draft": Text(ar="حفظ المسودة", en="Save the draft"),
    "admin_draft_saved": Text(ar="حُفظت المسودة", en="The draft was saved"),
    "admin_change_note": Text(ar="ملاحظة التغيير", en="Change note"),
    "admin_publish": Text(ar="نشر إصدار جديد", en="Publish a new version"),
    "admin_publish_refused": Text(
        ar="لم يُنشر شيء: صحّح الأخطاء أولاً. الإصدار المنشور لم يتغير.",
        en="Nothing was published: correct the errors first. The published version is unchanged.",
    ),
    "admin_published_version": Text(ar="نُشر الإصدار", en="Published version"),
    "admin_nothing_changed": Text(ar="لا تغيير عن آخر إصدار", en="No change from the latest version"),
    "admin_no_errors": Text(ar="لا أخطاء: يمكن النشر.", en="No errors: ready to publish."),
    "admin_errors": Text(ar="الأخطاء", en="Errors"),
    "admin_preview": Text(ar="معاينة النموذج", en="Form preview"),
    "admin_preview_none": Text(
        ar="تظهر المعاينة حين يخلو النموذج من الأخطاء.", en="The preview shows once the form has no errors."
    ),
    "admin_file_service": Text(ar="تعريف الخدمة", en="Service definition"),
    "admin_file_form": Text(ar="نموذج الطلب", en="Form schema"),
    "admin_file_workflow": Text(ar="سير العمل", en="Workflow"),
    "admin_file_action_form": Text(ar="نموذج إجراء", en="Action form"),
    "admin_history": Text(ar="سجل الإصدارات", en="Version history"),
    "admin_version": Text(ar="الإصدار", en="Version"),
    "admin_when": Text(ar="التاريخ", en="When"),
    "admin_who": Text(ar="بواسطة", en="By"),
    "admin_note": Text(ar="الملاحظة", en="Note"),
    "admin_compare": Text(ar="مقارنة", en="Compare"),
    "admin_no_difference": Text(ar="لا فرق", en="No difference"),
    "admin_migrate": Text(ar="نقل التذاكر الجارية", en="Move running tickets"),
    "admin_fields_added": Text(ar="حقول أضيفت", en="Fields added"),
    "admin_fields_removed": Text(ar="حقول حُذفت", en="Fields removed"),
    "admin_fields_renamed": Text(ar="حقول يُحتمل أنها أعيدت تسميتها", en="Fields possibly renamed"),
    "admin_states_gone": Text(ar="حالات لم تعد موجودة", en="States that no longer exist"),
    "admin_open_tickets": Text(
        ar="التذاكر المفتوحة على الإصدار القديم", en="Open tickets on the old version"
    ),
    "admin_state_mapping": Text(ar="ربط الحالات", en="State mapping"),
    "admin_drop_field": Text(ar="حذف الحقل", en="Drop the field"),
    "admin_dry_run": Text(ar="تجربة دون تنفيذ", en="Dry run"),
    "admin_run_migration": Text(ar="نقل التذاكر", en="Move the tickets"),
    "admin_plan": Text(ar="ما سيحدث", en="What would happen"),
    "admin_moved": Text(ar="نُقلت", en="Moved"),
    "admin_refused": Text(ar="مرفوض", en="Refused"),
    "admin_none": Text(ar="لا شيء", en="None"),
}
