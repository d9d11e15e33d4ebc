"""The administration of the directory: users, ready replies (the knowledge bank), lookup tables.

Administrators only: anyone else logged in gets the 403 page, an anonymous visitor the log-in page.

* ``/admin/users`` — the users, adding one; ``/admin/users/{id}`` — editing the contact details,
  roles and department, deactivating / reactivating (a deactivated user cannot log in and their
  sessions end), resetting the password (which also ends their sessions). Roles and departments are
  the organisation's (``organisation.json``), shown read-only: they are edited with the definitions.
* ``/admin/replies`` — the ready replies, searched in either language; adding, editing, deactivating.
* ``/admin/lookups/{table}`` — a lookup table declared in the organisation: its rows (paged), CSV
  export and CSV import (``server.admin_lookups``: a file with any error replaces nothing).

Form errors come back as 422 with the page again, the errors beside the fields and the input kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts.passwords import MINIMUM_LENGTH, hash_password
from server.admin_lookups import MAX_CSV_BYTES, CsvRefused, LineError, export_csv, parse_csv, too_large
from server.definitions.model import LookupTable, Organisation
from server.i18n import t
from server.i18n.directory import DIRECTORY_MESSAGES
from server.store.interface import AlreadyExists, NotFound
from server.store.records import ReadyReply, User
from server.web.auth import current_user, login_redirect
from server.web.deps import language, runtime_of
from server.web.rendering import page_context, render

AnyRequest = Request[Any, Any, State]

ADMIN_ROLE = "administrator"
ROWS_PER_PAGE = 50
REPLIES_SHOWN = 100
MAX_TEXT = 200
MAX_BODY = 10_000
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,150}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

DONE = {
    "added": "dir_user_added",
    "saved": "dir_saved",
    "password": "dir_password_reset_done",
    "deactivated": "dir_deactivated_done",
    "reactivated": "dir_reactivated_done",
    "reply": "dir_reply_added",
    "imported": "dir_imported",
}


def admin_or_redirect(request: AnyRequest) -> User | Redirect:
    """The administrator making the request; the log-in redirect when anonymous; 403 otherwise."""
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    if ADMIN_ROLE not in user.roles:
        raise PermissionDeniedException("administrators only / للمشرفين على النظام فقط")
    return user


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _done(lang: str, key: str | None) -> str:
    return t(DONE[key], lang) if key in DONE else ""


async def _form(request: AnyRequest) -> dict[str, list[str]]:
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if not isinstance(value, UploadFile):
            values.setdefault(key, []).append(str(value))
    return values


def _one(values: Mapping[str, list[str]], name: str) -> str:
    return (values.get(name) or [""])[0].strip()


# --- users -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool = False


@dataclass(frozen=True)
class RoleRow:
    id: str
    name: str
    scope: str
    read_only: bool


@dataclass
class UserForm:
    username: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    department: str = ""
    roles: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)


@dataclass(frozen=True)
class UserRow:
    id: str
    username: str
    name: str
    roles: str
    department: str
    active: bool


@page_context("admin_directory/users.html")
@dataclass(frozen=True)
class UsersPage:
    users: list[UserRow]
    form: UserForm
    role_choices: list[Choice]
    department_choices: list[Choice]
    roles: list[RoleRow]
    errors: list[tuple[str, str, str]]
    notice: str


@page_context("admin_directory/user.html")
@dataclass(frozen=True)
class UserPage:
    user: User
    form: UserForm
    role_choices: list[Choice]
    department_choices: list[Choice]
    errors: list[tuple[str, str, str]]
    password_error: str | None
    notice: str


def _role_label(org: Organisation, role: str, lang: str) -> str:
    known = org.roles.get(role)
    return known.name.get(lang) if known else role


def _department_label(org: Organisation, department: str | None, lang: str) -> str:
    if not department:
        return ""
    known = org.departments.get(department)
    return known.name.get(lang) if known else department


def _role_choices(org: Organisation, lang: str, chosen: list[str]) -> list[Choice]:
    other = "en" if lang != "en" else "ar"
    return [
        Choice(role_id, f"{role.name.get(lang)} — {role.name.get(other)}", role_id in chosen)
        for role_id, role in org.roles.items()
    ]


def _department_choices(org: Organisation, lang: str, chosen: str) -> list[Choice]:
    other = "en" if lang != "en" else "ar"
    return [
        Choice(dep_id, f"{dep.name.get(lang)} — {dep.name.get(other)}", dep_id == chosen)
        for dep_id, dep in org.departments.items()
    ]


def _summary(form: UserForm, labels: Mapping[str, str]) -> list[tuple[str, str, str]]:
    return [(name, labels.get(name, name), message) for name, message in form.errors.items()]


USER_LABELS = {
    "username": "dir_username",
    "name": "dir_name",
    "email": "dir_email",
    "phone": "dir_phone",
    "roles": "dir_roles",
    "department": "dir_department",
    "password": "dir_initial_password",
}


def _user_form(values: Mapping[str, list[str]]) -> UserForm:
    return UserForm(
        username=_one(values, "username"),
        name=_one(values, "name"),
        email=_one(values, "email"),
        phone=_one(values, "phone"),
        department=_one(values, "department"),
        roles=[r for r in values.get("roles", []) if r],
    )


def _check_user(form: UserForm, org: Organisation, lang: str) -> None:
    """Fills ``form.errors`` (field → message in ``lang``) for the fields shared by add and edit."""
    problems: dict[str, str] = {}
    if not form.name:
        problems["name"] = "dir_required"
    elif len(form.name) > MAX_TEXT:
        problems["name"] = "dir_too_long"
    if form.email and (not _EMAIL.match(form.email) or len(form.email) > MAX_TEXT):
        problems["email"] = "dir_email_invalid"
    if len(form.phone) > 40:
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


class AdminDirectoryPages(Controller):
    path = "/admin"
    include_in_schema = False

    # --- users ---------------------------------------------------------------------------

    async def _users_page(
        self, request: AnyRequest, form: UserForm, *, notice: str = "", status_code: int = 200
    ) -> Template:
        lang = language(request)
        org = runtime_of(request).org
        users = await runtime_of(request).store.list_users()
        rows = [
            UserRow(
                id=u.id,
                username=u.username,
                name=u.name,
                roles=(", " if lang == "en" else "، ").join(_role_label(org, r, lang) for r in u.roles),
                department=_department_label(org, u.department, lang),
                active=u.active,
            )
            for u in users
        ]
        labels = {name: t(key, lang) for name, key in USER_LABELS.items()}
        page = UsersPage(
            users=rows,
            form=form,
            role_choices=_role_choices(org, lang, form.roles),
            department_choices=_department_choices(org, lang, form.department),
            roles=[
                RoleRow(role_id, role.name.get(lang), t(f"dir_scope_{role.scope}", lang), role.read_only)
                for role_id, role in org.roles.items()
            ],
            errors=_summary(form, labels),
            notice=notice,
        )
        return render(request, "admin_directory/users.html", page, status_code=status_code, lang=lang)

    @get("/users")
    async def users(self, request: AnyRequest, done: FromQuery[str | None] = None) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        return await self._users_page(request, UserForm(), notice=_done(language(request), done))

    @post("/users")
    async def add_user(self, request: AnyRequest) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        lang = language(request)
        runtime = runtime_of(request)
        values = await _form(request)
        form = _user_form(values)
        password = (values.get("password") or [""])[0]
        _check_user(form, runtime.org, lang)
        if not form.username:
            form.errors["username"] = t("dir_required", lang)
        elif not _USERNAME.match(form.username):
            form.errors["username"] = t("dir_username_invalid", lang)
        elif await runtime.store.get_user_by_username(form.username) is not None:
            form.errors["username"] = t("dir_username_taken", lang)
        if len(password) < MINIMUM_LENGTH:
            form.errors["password"] = t("dir_password_short", lang)
        if form.errors:
            return await self._users_page(request, form, status_code=422)
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
            return await self._users_page(request, form, status_code=422)
        return Redirect("/admin/users?done=added", status_code=303)

    async def _user(self, request: AnyRequest, user_id: str) -> User:
        user = await runtime_of(request).store.get_user(user_id)
        if user is None:
            raise NotFoundException()
        return user

    async def _user_page(
        self,
        request: AnyRequest,
        user: User,
        form: UserForm | None = None,
        *,
        password_error: str | None = None,
        notice: str = "",
        status_code: int = 200,
    ) -> Template:
        lang = language(request)
        org = runtime_of(request).org
        form = form or UserForm(
            username=user.username,
            name=user.name,
            email=user.email or "",
            phone=user.phone or "",
            department=user.department or "",
            roles=list(user.roles),
        )
        labels = {name: t(key, lang) for name, key in USER_LABELS.items()}
        errors = _summary(form, labels)
        if password_error:
            errors.append(("password", t("dir_new_password", lang), password_error))
        page = UserPage(
            user=user,
            form=form,
            role_choices=_role_choices(org, lang, form.roles),
            department_choices=_department_choices(org, lang, form.department),
            errors=errors,
            password_error=password_error,
            notice=notice,
        )
        return render(request, "admin_directory/user.html", page, status_code=status_code, lang=lang)

    @get("/users/{user_id:str}")
    async def user(
        self, request: AnyRequest, user_id: FromPath[str], done: FromQuery[str | None] = None
    ) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        user = await self._user(request, user_id)
        return await self._user_page(request, user, notice=_done(language(request), done))

    @post("/users/{user_id:str}")
    async def edit_user(self, request: AnyRequest, user_id: FromPath[str]) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        runtime = runtime_of(request)
        user = await self._user(request, user_id)
        form = _user_form(await _form(request))
        form.username = user.username
        _check_user(form, runtime.org, language(request))
        if form.errors:
            return await self._user_page(request, user, form, status_code=422)
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
            raise NotFoundException() from None
        return Redirect(f"/admin/users/{quote(user.id)}?done=saved", status_code=303)

    @post("/users/{user_id:str}/active")
    async def set_active(self, request: AnyRequest, user_id: FromPath[str]) -> Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        user = await self._user(request, user_id)
        active = _one(await _form(request), "active") == "1"
        await runtime_of(request).store.set_user_active(user.id, active)
        done = "reactivated" if active else "deactivated"
        return Redirect(f"/admin/users/{quote(user.id)}?done={done}", status_code=303)

    @post("/users/{user_id:str}/password")
    async def reset_password(self, request: AnyRequest, user_id: FromPath[str]) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        user = await self._user(request, user_id)
        password = (((await _form(request)).get("password")) or [""])[0]
        if len(password) < MINIMUM_LENGTH:
            return await self._user_page(
                request, user, password_error=t("dir_password_short", language(request)), status_code=422
            )
        await runtime_of(request).store.set_password(
            user.id, await asyncio.to_thread(hash_password, password)
        )
        return Redirect(f"/admin/users/{quote(user.id)}?done=password", status_code=303)

    # --- ready replies -------------------------------------------------------------------

    async def _replies_page(
        self,
        request: AnyRequest,
        form: ReplyForm,
        *,
        query: str = "",
        notice: str = "",
        status_code: int = 200,
    ) -> Template:
        lang = language(request)
        replies = await runtime_of(request).store.list_ready_replies(query, limit=REPLIES_SHOWN)
        page = RepliesPage(
            replies=replies,
            query=query,
            form=form,
            errors=_summary(form.as_user_errors(), {k: t(v, lang) for k, v in REPLY_LABELS.items()}),
            notice=notice,
        )
        return render(request, "admin_directory/replies.html", page, status_code=status_code, lang=lang)

    @get("/replies")
    async def replies(
        self, request: AnyRequest, q: FromQuery[str] = "", done: FromQuery[str | None] = None
    ) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        return await self._replies_page(
            request, ReplyForm(), query=q.strip()[:MAX_TEXT], notice=_done(language(request), done)
        )

    @post("/replies")
    async def add_reply(self, request: AnyRequest) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        form = _reply_form(await _form(request), language(request))
        if form.errors:
            return await self._replies_page(request, form, status_code=422)
        await runtime_of(request).store.add_ready_reply(
            title_ar=form.title_ar,
            title_en=form.title_en,
            body_ar=form.body_ar,
            body_en=form.body_en,
            tags=form.tag_list(),
        )
        return Redirect("/admin/replies?done=reply", status_code=303)

    @get("/replies/{reply_id:int}")
    async def reply(
        self, request: AnyRequest, reply_id: FromPath[int], done: FromQuery[str | None] = None
    ) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        reply = await runtime_of(request).store.get_ready_reply(reply_id)
        if reply is None:
            raise NotFoundException()
        form = ReplyForm(
            title_ar=reply.title_ar,
            title_en=reply.title_en,
            body_ar=reply.body_ar,
            body_en=reply.body_en,
            tags=", ".join(reply.tags),
            active=reply.active,
        )
        return self._reply_page(request, reply, form, notice=_done(language(request), done))

    def _reply_page(
        self,
        request: AnyRequest,
        reply: ReadyReply,
        form: ReplyForm,
        *,
        notice: str = "",
        status_code: int = 200,
    ) -> Template:
        lang = language(request)
        page = ReplyPage(
            reply=reply,
            form=form,
            errors=_summary(form.as_user_errors(), {k: t(v, lang) for k, v in REPLY_LABELS.items()}),
            notice=notice,
        )
        return render(request, "admin_directory/reply.html", page, status_code=status_code, lang=lang)

    @post("/replies/{reply_id:int}")
    async def edit_reply(self, request: AnyRequest, reply_id: FromPath[int]) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        store = runtime_of(request).store
        reply = await store.get_ready_reply(reply_id)
        if reply is None:
            raise NotFoundException()
        values = await _form(request)
        form = _reply_form(values, language(request))
        form.active = _one(values, "active") == "1"
        if form.errors:
            return self._reply_page(request, reply, form, status_code=422)
        await store.update_ready_reply(
            reply.id,
            title_ar=form.title_ar,
            title_en=form.title_en,
            body_ar=form.body_ar,
            body_en=form.body_en,
            tags=form.tag_list(),
            active=form.active,
        )
        return Redirect(f"/admin/replies/{reply.id}?done=saved", status_code=303)

    # --- lookup tables -------------------------------------------------------------------

    def _table(self, request: AnyRequest, table_id: str) -> LookupTable:
        table = runtime_of(request).org.lookups.get(table_id)
        if table is None:
            raise NotFoundException()
        return table

    @get("/lookups")
    async def lookups(self, request: AnyRequest) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        lang = language(request)
        runtime = runtime_of(request)
        tables = [
            TableLink(table_id, table.name.get(lang), await runtime.store.count_lookup_rows(table_id))
            for table_id, table in runtime.org.lookups.items()
        ]
        return render(request, "admin_directory/lookups.html", LookupsPage(tables=tables), lang=lang)

    async def _table_page(
        self,
        request: AnyRequest,
        table_id: str,
        *,
        page_number: int = 1,
        csv_errors: list[str] | None = None,
        notice: str = "",
        status_code: int = 200,
    ) -> Template:
        lang = language(request)
        table = self._table(request, table_id)
        store = runtime_of(request).store
        total = await store.count_lookup_rows(table_id)
        pages = max(1, -(-total // ROWS_PER_PAGE))
        page_number = min(max(1, page_number), pages)
        rows = await store.list_lookup_table(
            table_id, offset=(page_number - 1) * ROWS_PER_PAGE, limit=ROWS_PER_PAGE
        )
        columns = [
            ColumnHead(name, column.label.get(lang), column.type, name == table.key)
            for name, column in table.columns.items()
        ]
        page = TablePage(
            id=table_id,
            name=table.name.get(lang),
            columns=columns,
            rows=[[_show(row.get(c.name)) for c in columns] for row in rows],
            total=total,
            page=page_number,
            pages=pages,
            csv_errors=csv_errors or [],
            notice=notice,
            max_mb=MAX_CSV_BYTES // (1024 * 1024),
        )
        return render(request, "admin_directory/table.html", page, status_code=status_code, lang=lang)

    @get("/lookups/{table_id:str}")
    async def table(
        self,
        request: AnyRequest,
        table_id: FromPath[str],
        page: FromQuery[int] = 1,
        done: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        return await self._table_page(
            request, table_id, page_number=page, notice=_done(language(request), done)
        )

    @get("/lookups/{table_id:str}/export.csv")
    async def export(self, request: AnyRequest, table_id: FromPath[str]) -> Response[bytes] | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        table = self._table(request, table_id)
        rows = await runtime_of(request).store.list_lookup_table(table_id)
        return Response(
            export_csv(table, rows),
            media_type="text/csv",  # Litestar adds "; charset=utf-8"
            headers={
                "content-disposition": f'attachment; filename="{table_id}.csv"',
                "cache-control": "no-store",
            },
        )

    @post("/lookups/{table_id:str}/import")
    async def import_csv(self, request: AnyRequest, table_id: FromPath[str]) -> Template | Redirect:
        admin = admin_or_redirect(request)
        if isinstance(admin, Redirect):
            return admin
        lang = language(request)
        table = self._table(request, table_id)

        def refused(errors: list[LineError]) -> Awaitable[Template]:
            return self._table_page(
                request, table_id, csv_errors=[e.describe(lang) for e in errors], status_code=422
            )

        try:
            form = await request.form()
        except RequestEntityTooLarge:
            return await refused([LineError(0, None, too_large())])
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await refused([LineError(0, None, DIRECTORY_MESSAGES["dir_choose_file"])])
        content = await upload.read(MAX_CSV_BYTES + 1)
        try:
            rows = await asyncio.to_thread(parse_csv, table, content)
        except CsvRefused as exc:
            return await refused(exc.errors)
        await runtime_of(request).store.replace_lookup_table(table_id, table.key, rows)
        return Redirect(f"/admin/lookups/{quote(table_id)}?done=imported", status_code=303)


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- ready replies: the form -------------------------------------------------------------------


REPLY_LABELS = {
    "title_ar": "dir_title_ar",
    "title_en": "dir_title_en",
    "body_ar": "dir_body_ar",
    "body_en": "dir_body_en",
    "tags": "dir_tags",
}


@dataclass
class ReplyForm:
    title_ar: str = ""
    title_en: str = ""
    body_ar: str = ""
    body_en: str = ""
    tags: str = ""
    active: bool = True
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in re.split(r"[,،]", self.tags) if tag.strip()]

    def as_user_errors(self) -> UserForm:
        return UserForm(errors=self.errors)


def _reply_form(values: Mapping[str, list[str]], lang: str) -> ReplyForm:
    form = ReplyForm(
        title_ar=_one(values, "title_ar"),
        title_en=_one(values, "title_en"),
        body_ar=_one(values, "body_ar"),
        body_en=_one(values, "body_en"),
        tags=_one(values, "tags"),
    )
    for name in ("title_ar", "title_en", "body_ar", "body_en"):
        value = getattr(form, name)
        if not value:
            form.errors[name] = t("dir_required", lang)
        elif len(value) > (MAX_TEXT if name.startswith("title") else MAX_BODY):
            form.errors[name] = t("dir_too_long", lang)
    if len(form.tags) > MAX_TEXT:
        form.errors["tags"] = t("dir_too_long", lang)
    return form


@page_context("admin_directory/replies.html")
@dataclass(frozen=True)
class RepliesPage:
    replies: list[ReadyReply]
    query: str
    form: ReplyForm
    errors: list[tuple[str, str, str]]
    notice: str


@page_context("admin_directory/reply.html")
@dataclass(frozen=True)
class ReplyPage:
    reply: ReadyReply
    form: ReplyForm
    errors: list[tuple[str, str, str]]
    notice: str


# --- lookup tables: the pages ------------------------------------------------------------------


@dataclass(frozen=True)
class TableLink:
    id: str
    name: str
    rows: int


@page_context("admin_directory/lookups.html")
@dataclass(frozen=True)
class LookupsPage:
    tables: list[TableLink]
    notice: str = ""


@dataclass(frozen=True)
class ColumnHead:
    name: str
    label: str
    type: str
    key: bool


@page_context("admin_directory/table.html")
@dataclass(frozen=True)
class TablePage:
    id: str
    name: str
    columns: list[ColumnHead]
    rows: list[list[str]]
    total: int
    page: int
    pages: int
    csv_errors: list[str]
    notice: str
    max_mb: int
