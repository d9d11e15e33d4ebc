"""The words of the staff task lists, in Arabic and English (merged into ``server.i18n.MESSAGES``).

Terms from seed/GLOSSARY.md: مفتوحة / معلقة / تحت الإجراء / مغلقة for the report categories.
"""

from __future__ import annotations

from server.definitions.model import Text

STAFF_TASK_MESSAGES: dict[str, Text] = {
    "tasks_title": Text(ar="قائمة المهام", en="Task list"),
    "tasks_views": Text(ar="القوائم", en="Lists"),
    "tasks_view_mine": Text(ar="مهامي", en="My tasks"),
    "tasks_view_department": Text(ar="تذاكر القسم", en="My department's queue"),
    "tasks_view_incoming": Text(ar="التذاكر الواردة", en="Incoming"),
    "tasks_view_all": Text(ar="كل التذاكر", en="All tickets"),
    "tasks_view_mine_help": Text(
        ar="التذاكر المسندة إليك باسمك، والتذاكر المنتظرة في قائمة دورك في قسمك.",
        en="Tickets assigned to you by name, and those waiting in your role's queue in your department.",
    ),
    "tasks_view_department_help": Text(
        ar="التذاكر التي لدى قسمك الآن.", en="The tickets your department holds now."
    ),
    "tasks_view_incoming_help": Text(
        ar="كل ما لدى وحدة خدمة العملاء، والتذاكر غير المسندة لأي قسم.",
        en="Everything with the customer service unit, and tickets no department holds.",
    ),
    "tasks_view_all_help": Text(ar="كل التذاكر التي يحق لك الاطلاع عليها.", en="Every ticket you may read."),
    "tasks_filters": Text(ar="تصفية التذاكر", en="Filter the tickets"),
    "tasks_any": Text(ar="الكل", en="Any"),
    "tasks_category": Text(ar="التصنيف", en="Category"),
    "tasks_state": Text(ar="الحالة", en="State"),
    "tasks_channel": Text(ar="القناة", en="Channel"),
    "tasks_created_from": Text(ar="تاريخ الإنشاء من", en="Created from"),
    "tasks_created_to": Text(ar="إلى", en="to"),
    "tasks_for_example": Text(ar="مثال:", en="For example"),
    "tasks_search": Text(ar="بحث", en="Search"),
    "tasks_search_hint": Text(
        ar="رقم التذكرة، أو اسم العميل، أو الموضوع", en="Ticket number, the requester's name, or the subject"
    ),
    "tasks_sort": Text(ar="الترتيب", en="Sort by"),
    "tasks_sort_-updated": Text(ar="آخر تحديث (الأحدث أولاً)", en="Last update (newest first)"),
    "tasks_sort_updated": Text(ar="آخر تحديث (الأقدم أولاً)", en="Last update (oldest first)"),
    "tasks_sort_-created": Text(ar="تاريخ الإنشاء (الأحدث أولاً)", en="Created (newest first)"),
    "tasks_sort_created": Text(ar="تاريخ الإنشاء (الأقدم أولاً)", en="Created (oldest first)"),
    "tasks_sort_due": Text(ar="موعد الإنجاز (الأقرب أولاً)", en="Due (soonest first)"),
    "tasks_sort_-due": Text(ar="موعد الإنجاز (الأبعد أولاً)", en="Due (latest first)"),
    "tasks_apply": Text(ar="تطبيق", en="Apply"),
    "tasks_clear": Text(ar="مسح التصفية", en="Clear the filters"),
    "tasks_all_categories": Text(ar="الكل", en="All"),
    "category_open": Text(ar="مفتوحة", en="Open"),
    "category_pending": Text(ar="معلقة", en="Pending"),
    "category_in_progress": Text(ar="تحت الإجراء", en="In progress"),
    "category_closed": Text(ar="مغلقة", en="Closed"),
    "tasks_count": Text(ar="عدد التذاكر: {n}", en="{n} tickets"),
    "tasks_count_more": Text(ar="عدد التذاكر: أكثر من {n}", en="More than {n} tickets"),
    "tasks_tab_more": Text(ar="أكثر من {n}", en="{n}+"),
    "tasks_none": Text(ar="لا توجد تذاكر تطابق التصفية.", en="No ticket matches the filters."),
    "tasks_past_end": Text(
        ar="هذه الصفحة بعد نهاية القائمة؛ ارجع إلى الصفحة السابقة.",
        en="This page is past the end of the list; go back to the previous page.",
    ),
    "tasks_table": Text(ar="التذاكر", en="Tickets"),
    "tasks_number": Text(ar="رقم التذكرة", en="Number"),
    "tasks_assignee": Text(ar="المسند إليه", en="Assigned to"),
    "tasks_requester": Text(ar="مقدم الطلب", en="Requester"),
    "tasks_subject": Text(ar="الموضوع", en="Subject"),
    "tasks_age": Text(ar="العمر", en="Age"),
    "tasks_age_now": Text(ar="الآن", en="just now"),
    "tasks_age_minute_one": Text(ar="دقيقة", en="1 min"),
    "tasks_age_minute_two": Text(ar="دقيقتان", en="2 min"),
    "tasks_age_minute_few": Text(ar="{n} دقائق", en="{n} min"),
    "tasks_age_minute_many": Text(ar="{n} دقيقة", en="{n} min"),
    "tasks_age_hour_one": Text(ar="ساعة", en="1 h"),
    "tasks_age_hour_two": Text(ar="ساعتان", en="2 h"),
    "tasks_age_hour_few": Text(ar="{n} ساعات", en="{n} h"),
    "tasks_age_hour_many": Text(ar="{n} ساعة", en="{n} h"),
    "tasks_age_day_one": Text(ar="يوم", en="1 d"),
    "tasks_age_day_two": Text(ar="يومان", en="2 d"),
    "tasks_age_day_few": Text(ar="{n} أيام", en="{n} d"),
    "tasks_age_day_many": Text(ar="{n} يوماً", en="{n} d"),
    "tasks_list_updated": Text(ar="تم تحديث القائمة. {count}", en="The list was updated. {count}"),
    "tasks_more_filters": Text(ar="تصفية إضافية", en="More filters"),
    "tasks_filters_active": Text(ar="(المفعّل: {n})", en="({n} set)"),
    "tasks_search_key": Text(ar="اختصار لوحة المفاتيح: /", en="Keyboard shortcut: /"),
    "tasks_shortcuts": Text(ar="اختصارات لوحة المفاتيح", en="Keyboard shortcuts"),
    "tasks_shortcut_move": Text(
        ar="التذكرة التالية أو السابقة في القائمة", en="Move to the next or previous ticket in the list"
    ),
    "tasks_shortcut_open": Text(ar="فتح التذكرة المحددة", en="Open the highlighted ticket"),
    "tasks_shortcut_search": Text(ar="الانتقال إلى البحث", en="Go to the search box"),
    "tasks_shortcut_next": Text(
        ar="في صفحة التذكرة: فتح التذكرة التالية في القائمة",
        en="On a ticket's page: open the next ticket of the list",
    ),
    "tasks_due": Text(ar="موعد الإنجاز", en="Due"),
    "tasks_unassigned": Text(ar="غير مسندة", en="Unassigned"),
    "tasks_overdue": Text(ar="متأخرة", en="Overdue"),
    "tasks_due_in": Text(ar="خلال {n} ساعة عمل", en="Due in {n} working hours"),
    "tasks_due_in_one": Text(ar="خلال ساعة عمل واحدة", en="Due in 1 working hour"),
    "tasks_due_in_two": Text(ar="خلال ساعتَي عمل", en="Due in 2 working hours"),
    "tasks_due_in_few": Text(ar="خلال {n} ساعات عمل", en="Due in {n} working hours"),
    "tasks_due_within_hour": Text(ar="خلال أقل من ساعة عمل", en="Due in under a working hour"),
    "tasks_pages": Text(ar="صفحات النتائج", en="Result pages"),
    "tasks_page_of": Text(ar="الصفحة {page} من {pages}", en="Page {page} of {pages}"),
    "tasks_page": Text(ar="الصفحة {page}", en="Page {page}"),
    "tasks_previous": Text(ar="السابقة", en="Previous"),
    "tasks_next": Text(ar="التالية", en="Next"),
    "tasks_invalid_date": Text(
        ar="أدخل تاريخاً صحيحاً بالصيغة سنة-شهر-يوم", en="Enter a real date, as year-month-day"
    ),
    "tasks_filter_ignored": Text(
        ar="تم تجاهل قيمة غير صالحة في الرابط.", en="An invalid value in the address was ignored."
    ),
}
