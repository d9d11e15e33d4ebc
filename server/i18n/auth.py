"""The words of the log-in and log-out pages, in Arabic and English (merged into ``server.i18n.MESSAGES``).

Keys start with ``auth_`` so they never collide with the other pages' keys.
"""

from __future__ import annotations

from server.definitions.model import Text

AUTH_MESSAGES: dict[str, Text] = {
    "auth_title": Text(ar="تسجيل الدخول", en="Log in"),
    "auth_intro": Text(
        ar="سجّل الدخول باسم المستخدم وكلمة المرور اللذين زوّدتك بهما الإدارة.",
        en="Log in with the username and password the administration gave you.",
    ),
    "auth_username": Text(ar="اسم المستخدم", en="Username"),
    "auth_password": Text(ar="كلمة المرور", en="Password"),
    "auth_submit": Text(ar="دخول", en="Log in"),
    "auth_there_is_a_problem": Text(ar="يوجد خطأ", en="There is a problem"),
    "auth_username_missing": Text(ar="أدخل اسم المستخدم", en="Enter your username"),
    "auth_password_missing": Text(ar="أدخل كلمة المرور", en="Enter your password"),
    "auth_failed": Text(
        ar="اسم المستخدم أو كلمة المرور غير صحيحة.",
        en="The username or the password is not correct.",
    ),
    "auth_throttled": Text(
        ar="محاولات دخول فاشلة كثيرة. انتظر {minutes} دقيقة ثم أعد المحاولة، أو تواصل مع خدمة العملاء.",
        en="Too many failed attempts to log in. Wait {minutes} minutes and try again, or contact customer service.",
    ),
    "auth_help": Text(
        ar="نسيت كلمة المرور؟ تواصل مع خدمة العملاء لإعادة تعيينها.",
        en="Forgotten your password? Contact customer service to have it reset.",
    ),
}
