"""The users' administration pages: the list and the add form, one user's page; adding, editing,
(de)activating a user and resetting a password. Each action answers None when done (the caller
redirects) or the page again with the problems beside the fields.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping

import msgspec

from server.accounts.passwords import MINIMUM_LENGTH, hash_password
from server.directory.outcome import Outcome, not_found, refused
from server.directory.users import (
    USER_LABELS,
    Choice,
    UserForm,
    check_user,
    department_choices,
    department_label,
    one,
    role_choices,
    role_label,
    summary,
    user_form,
    username_problem,
)
from server.i18n import t
from server.runtime import Runtime
from server.store.interface import AlreadyExists, NotFound
from server.store.records import User


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RoleRow(msgspec.Struct, frozen=True):
    id: str
    name: str
    scope: str
    read_only: bool


class UserRow(msgspec.Struct, frozen=True):
    id: str
    username: str
    name: str
    roles: str
    department: str
    active: bool


class UsersPage(msgspec.Struct, frozen=True):
    users: list[UserRow]
    form: UserForm
    role_choices: list[Choice]
    department_choices: list[Choice]
    roles: list[RoleRow]
    errors: list[tuple[str, str, str]]
    notice: str


class UserPage(msgspec.Struct, frozen=True):
    user: User
    form: UserForm
    role_choices: list[Choice]
    department_choices: list[Choice]
    errors: list[tuple[str, str, str]]
    password_error: str | None
    notice: str


async def users_page(
    runtime: Runtime, lang: str, form: UserForm | None = None, notice: str = ""
) -> UsersPage:
    org = runtime.org
    form = form or UserForm()
    separator = ", " if lang == "en" else "، "
    rows = [
        UserRow(
            id=u.id,
            username=u.username,
            name=u.name,
            roles=separator.join(role_label(org, r, lang) for r in u.roles),
            department=department_label(org, u.department, lang),
            active=u.active,
        )
        for u in await runtime.store.list_users()
    ]
    return UsersPage(
        users=rows,
        form=form,
        role_choices=role_choices(org, lang, form.roles),
        department_choices=department_choices(org, lang, form.department),
        roles=[
            RoleRow(role_id, role.name.get(lang), t(f"dir_scope_{role.scope}", lang), role.read_only)
            for role_id, role in org.roles.items()
        ],
        errors=summary(form.errors, USER_LABELS, lang),
        notice=notice,
    )


async def add_user(runtime: Runtime, lang: str, values: Mapping[str, list[str]]) -> Outcome[UsersPage]:
    """Adds the posted user (None), or answers the page with the problems (nothing is added)."""
    form = user_form(values)
    password = (values.get("password") or [""])[0]
    check_user(form, runtime.org, lang)
    problem = username_problem(form.username)
    if problem is not None:
        form.errors["username"] = t(problem, lang)
    elif await runtime.store.get_user_by_username(form.username) is not None:
        form.errors["username"] = t("dir_username_taken", lang)
    if len(password) < MINIMUM_LENGTH:
        form.errors["password"] = t("dir_password_short", lang)
    if form.errors:
        return refused(await users_page(runtime, lang, form))
    try:
        await runtime.store.add_user(
            username=form.username,
            name=form.name,
            roles=form.roles,
            email=form.email or None,
            phone=form.phone or None,
            department=form.department or None,
            password_hash=await asyncio.to_thread(hash_password, password),
            now=_now(),
        )
    except AlreadyExists:
        form.errors["username"] = t("dir_username_taken", lang)
        return refused(await users_page(runtime, lang, form))
    return Outcome(done="added")


def _user_page(
    runtime: Runtime,
    lang: str,
    user: User,
    form: UserForm | None = None,
    *,
    password_error: str | None = None,
    notice: str = "",
) -> UserPage:
    org = runtime.org
    form = form or UserForm(
        username=user.username,
        name=user.name,
        email=user.email or "",
        phone=user.phone or "",
        department=user.department or "",
        roles=list(user.roles),
    )
    errors = summary(form.errors, USER_LABELS, lang)
    if password_error:
        errors.append(("password", t("dir_new_password", lang), password_error))
    return UserPage(
        user=user,
        form=form,
        role_choices=role_choices(org, lang, form.roles),
        department_choices=department_choices(org, lang, form.department),
        errors=errors,
        password_error=password_error,
        notice=notice,
    )


async def user_page(runtime: Runtime, lang: str, user_id: str, notice: str = "") -> UserPage | None:
    """The user's page, or None for an unknown user."""
    user = await runtime.store.get_user(user_id)
    return None if user is None else _user_page(runtime, lang, user, notice=notice)


async def edit_user(
    runtime: Runtime, lang: str, user_id: str, values: Mapping[str, list[str]]
) -> Outcome[UserPage]:
    user = await runtime.store.get_user(user_id)
    if user is None:
        return not_found()
    form = user_form(values)
    form.username = user.username
    check_user(form, runtime.org, lang)
    if form.errors:
        return refused(_user_page(runtime, lang, user, form))
    try:
        await runtime.store.update_user(
            user.id,
            name=form.name,
            email=form.email or None,
            phone=form.phone or None,
            department=form.department or None,
            roles=form.roles,
        )
    except NotFound:
        return not_found()
    return Outcome(done="saved")


async def set_active(runtime: Runtime, user_id: str, values: Mapping[str, list[str]]) -> Outcome[UserPage]:
    """(De)activates the user (``done``: ``deactivated`` or ``reactivated``)."""
    active = one(values, "active") == "1"
    try:
        await runtime.store.set_user_active(user_id, active)
    except NotFound:
        return not_found()
    return Outcome(done="reactivated" if active else "deactivated")


async def reset_password(
    runtime: Runtime, lang: str, user_id: str, values: Mapping[str, list[str]]
) -> Outcome[UserPage]:
    """Sets a new password (which ends the user's sessions), or the page with the problem."""
    user = await runtime.store.get_user(user_id)
    if user is None:
        return not_found()
    password = (values.get("password") or [""])[0]
    if len(password) < MINIMUM_LENGTH:
        return refused(_user_page(runtime, lang, user, password_error=t("dir_password_short", lang)))
    await runtime.store.set_password(user.id, await asyncio.to_thread(hash_password, password))
    return Outcome(done="password")
