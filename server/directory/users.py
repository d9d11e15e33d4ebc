"""Users: the one username rule (the web form and ``khidma user add`` both use it), and the checks of a
user's contact details, roles and department against the organisation.

The username rule: after NFC normalisation and trimming, 1–150 characters, each a Unicode letter, a
decimal digit or one of ``. _ + - @`` (so ``ali+1``, ``head.cls@example.org`` and ``علي`` are
usernames; a space, a control character, a symbol like ``#`` or ``/`` is not). Uniqueness is the
store's: case-insensitive for ASCII letters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import msgspec

from server.definitions.model import Organisation
from server.i18n import other, t

__all__ = [
    "MAX_TEXT",
    "USERNAME_MAX",
    "USERNAME_SYMBOLS",
    "USER_LABELS",
    "Choice",
    "UserForm",
    "check_user",
    "department_choices",
    "department_label",
    "normalise_username",
    "one",
    "role_choices",
    "role_label",
    "summary",
    "user_form",
    "username_problem",
]

USERNAME_MAX = 150
USERNAME_SYMBOLS = frozenset("._+-@")
_LETTERS_AND_DIGITS = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})
MAX_TEXT = 200
MAX_PHONE = 40
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_username(raw: str) -> str:
    """A username as stored: NFC-normalised, without surrounding white space."""
    return unicodedata.normalize("NFC", raw).strip()


def username_problem(username: str) -> str | None:
    """The i18n key of what is wrong with ``username`` (already normalised), or None when it is valid."""
    if not username:
        return "dir_required"
    if len(username) > USERNAME_MAX:
        return "dir_username_invalid"
    for char in username:
        if char not in USERNAME_SYMBOLS and unicodedata.category(char) not in _LETTERS_AND_DIGITS:
            return "dir_username_invalid"
    return None


# --- the form shared by adding and editing ------------------------------------------------------


class Choice(msgspec.Struct, frozen=True):
    value: str
    label: str
    checked: bool = False


class UserForm(msgspec.Struct):
    username: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    department: str = ""
    roles: list[str] = msgspec.field(default_factory=list)
    errors: dict[str, str] = msgspec.field(default_factory=dict)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)


USER_LABELS = {
    "username": "dir_username",
    "name": "dir_name",
    "email": "dir_email",
    "phone": "dir_phone",
    "roles": "dir_roles",
    "department": "dir_department",
    "password": "dir_initial_password",
}


def one(values: Mapping[str, list[str]], name: str) -> str:
    """The first value posted under ``name``, trimmed."""
    return (values.get(name) or [""])[0].strip()


def user_form(values: Mapping[str, list[str]]) -> UserForm:
    return UserForm(
        username=normalise_username(one(values, "username")),
        name=one(values, "name"),
        email=one(values, "email"),
        phone=one(values, "phone"),
        department=one(values, "department"),
        roles=[r for r in values.get("roles", []) if r],
    )


def check_user(form: UserForm, org: Organisation, lang: str) -> None:
    """Fills ``form.errors`` (field → message in ``lang``) for the fields shared by add and edit."""
    problems: dict[str, str] = {}
    if not form.name:
        problems["name"] = "dir_required"
    elif len(form.name) > MAX_TEXT:
        problems["name"] = "dir_too_long"
    if form.email and (not _EMAIL.match(form.email) or len(form.email) > MAX_TEXT):
        problems["email"] = "dir_email_invalid"
    if len(form.phone) > MAX_PHONE:
        problems["phone"] = "dir_too_long"
    if not form.roles:
        problems["roles"] = "dir_choose_a_role"
    elif any(r not in org.roles for r in form.roles):
        problems["roles"] = "dir_unknown_choice"
    if form.department and form.department not in org.departments:
        problems["department"] = "dir_unknown_choice"
    elif not form.department and any(
        org.roles[r].scope == "department" for r in form.roles if r in org.roles
    ):
        problems["department"] = "dir_department_needed"
    form.errors.update({name: t(key, lang) for name, key in problems.items()})


def summary(errors: Mapping[str, str], labels: Mapping[str, str], lang: str) -> list[tuple[str, str, str]]:
    """The error summary's lines: (input id, label, message)."""
    return [(name, t(labels[name], lang) if name in labels else name, text) for name, text in errors.items()]


# --- the organisation's names ---------------------------------------------------------------------


def role_label(org: Organisation, role: str, lang: str) -> str:
    known = org.roles.get(role)
    return known.name.get(lang) if known else role


def department_label(org: Organisation, department: str | None, lang: str) -> str:
    if not department:
        return ""
    known = org.departments.get(department)
    return known.name.get(lang) if known else department


def role_choices(org: Organisation, lang: str, chosen: list[str]) -> list[Choice]:
    second = other(lang)
    return [
        Choice(role_id, f"{role.name.get(lang)} — {role.name.get(second)}", role_id in chosen)
        for role_id, role in org.roles.items()
    ]


def department_choices(org: Organisation, lang: str, chosen: str) -> list[Choice]:
    second = other(lang)
    return [
        Choice(dep_id, f"{dep.name.get(lang)} — {dep.name.get(second)}", dep_id == chosen)
        for dep_id, dep in org.departments.items()
    ]
