"""The requester's pages: the catalogue, a service, its form, tracking, the survey."""

from __future__ import annotations

from server.definitions.model import Text

REQUESTER_MESSAGES: dict[str, Text] = {
    # catalogue and service page
    "catalogue_title": Text(
        ar="خدمات إدارة الخدمات التعليمية", en="Services of the Educational Services Administration"
    ),
    "catalogue_intro": Text(
        ar="اختر الخدمة لقراءة وصفها ومتطلباتها وخطوات تقديمها، ثم قدّم طلبك إلكترونياً.",
        en="Choose a service to read its description, requirements and steps, then submit your request online.",
    ),
    "department": Text(ar="القسم", en="Department"),
    "description": Text(ar="وصف الخدمة", en="Service description"),
    "requirements": Text(ar="المتطلبات", en="Requirements"),
    "steps": Text(ar="خطوات التقديم", en="Submission steps"),
    "audience": Text(ar="الفئة المستهدفة", en="Target audience"),
    "channels": Text(ar="قنوات تقديم الخدمة", en="Delivery channels"),
    "contact": Text(ar="التواصل", en="Contact"),
    "phone": Text(ar="الهاتف", en="Phone"),
    "extension": Text(ar="تحويلة", en="ext."),
    "email": Text(ar="البريد الإلكتروني", en="E-mail"),
    "working_hours": Text(ar="ساعات العمل", en="Working hours"),
    "login_required_note": Text(
        ar="تتطلب هذه الخدمة تسجيل الدخول قبل تعبئة النموذج.",
        en="This service requires you to log in before filling the form.",
    ),
    "staff_intake_note": Text(
        ar="يسجّل هذه الطلبات ممثلو خدمة العملاء نيابة عن العميل.",
        en="These requests are recorded by customer-service representatives on the customer's behalf.",
    ),
    "start_now": Text(ar="ابدأ الآن", en="Start now"),
    "view_service": Text(ar="تفاصيل الخدمة", en="Service details"),
    # form page
    "fill_the_form": Text(ar="تعبئة النموذج", en="Fill in the form"),
    "send": Text(ar="إرسال", en="Send"),
    "there_is_a_problem": Text(ar="يوجد خطأ", en="There is a problem"),
    "check_the_fields": Text(
        ar="راجع الحقول الموضحة أدناه ثم أعد الإرسال.", en="Check the fields shown below, then send again."
    ),
    "upload_too_large": Text(
        ar="حجم الملف أكبر من المسموح ({limit})", en="The file is larger than allowed ({limit})"
    ),
    "upload_content_refused": Text(
        ar="محتوى الملف من نوع {found}، وهو ليس من الأنواع المقبولة هنا ({accepted})",
        en="The file's content is {found}, which is not one of the types accepted here ({accepted})",
    ),
    "request_too_large": Text(
        ar="حجم المرفقات أكبر من المسموح؛ أعد اختيار ملفات أصغر.",
        en="The attachments are too large; choose smaller files.",
    ),
    "session_expired": Text(
        ar="انتهت صلاحية الصفحة؛ أعدنا عرضها بما أدخلته، أعد الإرسال.",
        en="The page expired; it is shown again with what you entered. Please send again.",
    ),
    # confirmation and tracking
    "request_sent": Text(ar="تم إرسال طلبك", en="Your request has been sent"),
    "ticket_number": Text(ar="رقم التذكرة", en="Ticket number"),
    "tracking_code": Text(ar="رمز المتابعة", en="Tracking code"),
    "keep_these": Text(
        ar="احتفظ برقم التذكرة ورمز المتابعة؛ تحتاجهما لمتابعة طلبك.",
        en="Keep the ticket number and the tracking code: you need both to follow your request.",
    ),
    "what_happens_next": Text(ar="ماذا يحدث بعد ذلك", en="What happens next"),
    "next_steps_text": Text(
        ar="تصل التذكرة إلى الجهة المختصة وتُعالج حسب سير العمل المعتمد، وتصلك الإفادة عند الرد.",
        en="The ticket reaches the responsible unit and is handled along the approved steps; you are told when it is answered.",
    ),
    "follow_this_ticket": Text(ar="متابعة هذه التذكرة", en="Follow this ticket"),
    "track_intro": Text(
        ar="أدخل رقم التذكرة ورمز المتابعة الواردين في رسالة الاستلام.",
        en="Enter the ticket number and the tracking code from your confirmation.",
    ),
    "not_found_ticket": Text(
        ar="لم نجد تذكرة بهذا الرقم ورمز المتابعة.",
        en="We found no ticket with this number and tracking code.",
    ),
    "status": Text(ar="الحالة", en="Status"),
    "service": Text(ar="الخدمة", en="Service"),
    "submitted_on": Text(ar="تاريخ التقديم", en="Submitted on"),
    "last_update": Text(ar="آخر تحديث", en="Last update"),
    "timeline": Text(ar="سير التذكرة", en="Timeline"),
    "replies": Text(ar="الردود", en="Replies"),
    "your_request": Text(ar="بيانات الطلب", en="Your request"),
    "answer_clarification": Text(ar="الرد على الاستيضاح", en="Answer the clarification"),
    "rate_the_service": Text(ar="تقييم الخدمة", en="Rate the service"),
    "survey_thanks": Text(ar="شكراً لتقييمك", en="Thank you for your rating"),
    "survey_done_already": Text(ar="سبق تقييم هذه التذكرة", en="This ticket has already been rated"),
    "survey_after_closing": Text(
        ar="يتاح التقييم بعد إغلاق التذكرة.", en="The rating opens once the ticket is closed."
    ),
    "comment": Text(ar="ملاحظات", en="Comments"),
    "choose_a_rating": Text(ar="اختر تقييماً", en="Choose a rating"),
    "rating_scale": Text(ar="من 1 (ضعيف) إلى {n} (ممتاز)", en="From 1 (poor) to {n} (excellent)"),
    "created": Text(ar="تم استلام التذكرة", en="Ticket received"),
    "state_changed_to": Text(ar="انتقلت التذكرة إلى", en="The ticket moved to"),
    "stale_action": Text(
        ar="تغيّرت التذكرة منذ فتحها؛ هذه حالتها الآن، راجعها ثم أعد المحاولة.",
        en="The ticket changed since you opened it; this is how it stands now — check it and try again.",
    ),
    "action_done": Text(ar="تم تنفيذ الإجراء", en="Done"),
    # the catalogue's card of a service that needs a log-in (shown to a visitor not logged in)
    "login_needed_tag": Text(ar="يتطلب تسجيل الدخول", en="Log-in needed"),
    # check your answers
    "check_your_answers": Text(ar="راجع إجاباتك قبل الإرسال", en="Check your answers before sending"),
    "change": Text(ar="تغيير", en="Change"),
    "now_send": Text(ar="أرسل طلبك الآن", en="Now send your request"),
    "now_send_text": Text(
        ar="بإرسال الطلب تؤكد أن البيانات أعلاه صحيحة حسب علمك.",
        en="By sending the request you confirm that the details above are correct to the best of your knowledge.",
    ),
    "confirm_and_send": Text(ar="تأكيد وإرسال", en="Confirm and send"),
    "answers_expired": Text(
        ar="تعذّر استرجاع إجاباتك؛ عبّئ النموذج مرة أخرى من فضلك.",
        en="Your answers could not be recovered; please fill in the form again.",
    ),
    # my tickets
    "no_tickets_yet": Text(ar="لم تقدّم أي طلب بعد.", en="You have not sent any request yet."),
    "previous_page": Text(ar="الصفحة السابقة", en="Previous page"),
    "next_page": Text(ar="الصفحة التالية", en="Next page"),
}
