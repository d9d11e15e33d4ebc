"""The words of the administration pages: users, ready replies, lookup tables (``admin_directory``)."""

from __future__ import annotations

from server.definitions.model import Text

DIRECTORY_MESSAGES: dict[str, Text] = {
    "dir_administration": Text(ar="الإدارة", en="Administration"),
    "dir_users": Text(ar="المستخدمون", en="Users"),
    "dir_replies": Text(ar="الردود الجاهزة", en="Ready replies"),
    "dir_lookups": Text(ar="الجداول المرجعية", en="Lookup tables"),
    "dir_username": Text(ar="اسم المستخدم", en="Username"),
    "dir_name": Text(ar="الاسم", en="Name"),
    "dir_email": Text(ar="البريد الإلكتروني", en="E-mail"),
    "dir_phone": Text(ar="الجوال", en="Mobile"),
    "dir_roles": Text(ar="الأدوار", en="Roles"),
    "dir_department": Text(ar="القسم", en="Department"),
    "dir_no_department": Text(ar="— بدون قسم —", en="— no department —"),
    "dir_active": Text(ar="نشط", en="Active"),
    "dir_inactive": Text(ar="معطّل", en="Deactivated"),
    "dir_yes": Text(ar="نعم", en="Yes"),
    "dir_no": Text(ar="لا", en="No"),
    "dir_initial_password": Text(ar="كلمة المرور الأولى", en="Initial password"),
    "dir_new_password": Text(ar="كلمة المرور الجديدة", en="New password"),
    "dir_add_user": Text(ar="إضافة مستخدم", en="Add a user"),
    "dir_edit_user": Text(ar="تعديل المستخدم", en="Edit the user"),
    "dir_edit": Text(ar="تعديل", en="Edit"),
    "dir_save": Text(ar="حفظ", en="Save"),
    "dir_add": Text(ar="إضافة", en="Add"),
    "dir_deactivate": Text(ar="تعطيل الحساب", en="Deactivate"),
    "dir_reactivate": Text(ar="إعادة تفعيل الحساب", en="Reactivate"),
    "dir_deactivate_note": Text(
        ar="لا يستطيع المستخدم المعطّل تسجيل الدخول، وتنتهي جلساته المفتوحة.",
        en="A deactivated user can no longer log in, and their open sessions end.",
    ),
    "dir_reset_password": Text(ar="إعادة تعيين كلمة المرور", en="Reset the password"),
    "dir_reset_note": Text(
        ar="تنتهي جميع جلسات المستخدم المفتوحة عند تغيير كلمة المرور.",
        en="Every open session of the user ends when the password changes.",
    ),
    "dir_roles_and_departments": Text(ar="الأدوار والأقسام", en="Roles and departments"),
    "dir_org_readonly_note": Text(
        ar="تُعرَّف الأدوار والأقسام في تعريف الجهة، وتُعدَّل من محرر التعريفات.",
        en="Roles and departments belong to the organisation definition and are edited in the definitions editor.",
    ),
    "dir_scope": Text(ar="النطاق", en="Scope"),
    "dir_scope_organisation": Text(ar="الجهة كاملة", en="Whole organisation"),
    "dir_scope_department": Text(ar="القسم", en="Department"),
    "dir_scope_requester": Text(ar="المستفيد", en="Requester"),
    "dir_read_only": Text(ar="اطلاع فقط", en="read only"),
    "dir_saved": Text(ar="تم الحفظ", en="Saved"),
    "dir_user_added": Text(ar="تمت إضافة المستخدم", en="The user was added"),
    "dir_password_reset_done": Text(ar="تم تغيير كلمة المرور", en="The password was changed"),
    "dir_deactivated_done": Text(ar="تم تعطيل الحساب", en="The account was deactivated"),
    "dir_reactivated_done": Text(ar="تمت إعادة تفعيل الحساب", en="The account was reactivated"),
    "dir_reply_added": Text(ar="تمت إضافة الرد", en="The reply was added"),
    "dir_imported": Text(
        ar="تم استيراد الملف واستبدال الجدول", en="The file was imported; the table replaced"
    ),
    # validation
    "dir_required": Text(ar="هذا الحقل مطلوب", en="This field is required"),
    "dir_username_invalid": Text(
        ar="يتكون اسم المستخدم من حروف (عربية أو لاتينية) وأرقام و . _ + - @ فقط، بلا مسافات، وبحد أقصى 150 حرفاً",
        en="A username has only letters (Arabic or Latin), digits and . _ + - @, no spaces, at most 150 characters",
    ),
    "dir_username_taken": Text(ar="اسم المستخدم مستخدم من قبل", en="This username is already taken"),
    "dir_email_invalid": Text(ar="أدخل بريداً إلكترونياً صحيحاً", en="Enter a valid e-mail address"),
    "dir_choose_a_role": Text(ar="اختر دوراً واحداً على الأقل", en="Choose at least one role"),
    "dir_unknown_choice": Text(ar="اختر من القائمة", en="Choose from the list"),
    "dir_department_needed": Text(
        ar="أدوار الأقسام تتطلب تحديد القسم", en="Department roles require a department"
    ),
    "dir_password_short": Text(
        ar="تتكون كلمة المرور من 8 أحرف على الأقل", en="A password has at least 8 characters"
    ),
    "dir_too_long": Text(ar="النص أطول من المسموح", en="The text is too long"),
    # ready replies
    "dir_search": Text(ar="بحث", en="Search"),
    "dir_search_replies": Text(
        ar="ابحث في الردود (بالعربية أو الإنجليزية)", en="Search the replies (Arabic or English)"
    ),
    "dir_title_ar": Text(ar="العنوان بالعربية", en="Arabic title"),
    "dir_title_en": Text(ar="العنوان بالإنجليزية", en="English title"),
    "dir_body_ar": Text(ar="النص بالعربية", en="Arabic text"),
    "dir_body_en": Text(ar="النص بالإنجليزية", en="English text"),
    "dir_tags": Text(ar="الوسوم (مفصولة بفواصل)", en="Tags (comma-separated)"),
    "dir_title": Text(ar="العنوان", en="Title"),
    "dir_add_reply": Text(ar="إضافة رد جاهز", en="Add a ready reply"),
    "dir_edit_reply": Text(ar="تعديل الرد الجاهز", en="Edit the ready reply"),
    "dir_no_replies": Text(ar="لا توجد ردود مطابقة", en="No matching replies"),
    # lookup tables
    "dir_rows": Text(ar="عدد الصفوف", en="Rows"),
    "dir_no_rows": Text(ar="الجدول فارغ", en="The table is empty"),
    "dir_export_csv": Text(ar="تصدير CSV", en="Export CSV"),
    "dir_import_csv": Text(
        ar="استيراد CSV (يستبدل الجدول بالكامل)", en="Import CSV (replaces the whole table)"
    ),
    "dir_csv_file": Text(ar="ملف CSV", en="CSV file"),
    "dir_import": Text(ar="استيراد", en="Import"),
    "dir_csv_help": Text(
        ar="ملف CSV بترميز UTF-8 وصف عناوين يحمل أسماء الأعمدة التالية. لا يُستبدل شيء إذا كان في الملف أي خطأ.",
        en="A UTF-8 CSV file whose header row names the columns below. Nothing is replaced if the file has any error.",
    ),
    "dir_csv_refused": Text(
        ar="رُفض الملف ولم يتغير الجدول. الأخطاء:",
        en="The file was refused and the table is unchanged. Errors:",
    ),
    "dir_choose_file": Text(ar="اختر ملف CSV", en="Choose a CSV file"),
    "dir_max_size": Text(ar="الحد الأقصى {mb} ميغابايت", en="at most {mb} MB"),
    "dir_column": Text(ar="العمود", en="Column"),
    "dir_type": Text(ar="النوع", en="Type"),
    "dir_key": Text(ar="المفتاح", en="key"),
    "dir_previous": Text(ar="السابق", en="Previous"),
    "dir_next": Text(ar="التالي", en="Next"),
    "dir_page_of": Text(ar="صفحة {page} من {pages}", en="Page {page} of {pages}"),
}
