"""The administration of the directory: users, ready replies (the knowledge bank), lookup tables.

Administrators only (``admin_required``: the ``administer`` capability): anyone else logged in gets
the 403 page, an anonymous visitor the log-in page.

* ``/admin/users`` — the users, adding one; ``/admin/users/{id}`` — editing the contact details,
  roles and department, deactivating / reactivating, resetting the password;
* ``/admin/replies`` — the ready replies, searched in either language; adding, editing, deactivating;
* ``/admin/lookups/{table}`` — a lookup table declared in the organisation: its rows (paged), CSV
  export and CSV import.

The rules and the pages' data are the directory's (``server/directory/``); these handlers parse the
request, call one service and answer. Form errors come back as 422 with the page again.
"""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Redirect, Template

from server.directory import lookups, replies, user_pages
from server.directory.lookup_csv import MAX_CSV_BYTES
from server.directory.outcome import done_notice
from server.web.admin_forms import AnyRequest, answer, found
from server.web.deps import Lang, RuntimeDep
from server.web.forms import read_post
from server.web.guards import admin_required
from server.web.params import PathInt, PathStr, QueryInt, QueryOptStr, QueryStr
from server.web.rendering import page_context, render

page_context("admin_directory/users.html")(user_pages.UsersPage)
page_context("admin_directory/user.html")(user_pages.UserPage)
page_context("admin_directory/replies.html")(replies.RepliesPage)
page_context("admin_directory/reply.html")(replies.ReplyPage)
page_context("admin_directory/lookups.html")(lookups.LookupsPage)
page_context("admin_directory/table.html")(lookups.TablePage)


class AdminDirectoryPages(Controller):
    path = "/admin"
    include_in_schema = False
    guards = [admin_required]  # noqa: RUF012 (Litestar's declared class attribute)

    # --- users ---------------------------------------------------------------------------

    @get("/users")
    async def users(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, done: QueryOptStr = None
    ) -> Template:
        page = await user_pages.users_page(runtime, page_lang, notice=done_notice(done, page_lang))
        return render(request, "admin_directory/users.html", page)

    @post("/users")
    async def add_user(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang
    ) -> Template | Redirect:
        outcome = await user_pages.add_user(runtime, page_lang, (await read_post(request)).values)
        return answer(request, outcome, "admin_directory/users.html", "/admin/users?done={done}")

    @get("/users/{user_id:str}")
    async def user(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        user_id: PathStr,
        done: QueryOptStr = None,
    ) -> Template:
        page = await user_pages.user_page(runtime, page_lang, user_id, notice=done_notice(done, page_lang))
        return render(request, "admin_directory/user.html", found(page))

    @post("/users/{user_id:str}")
    async def edit_user(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, user_id: PathStr
    ) -> Template | Redirect:
        outcome = await user_pages.edit_user(runtime, page_lang, user_id, (await read_post(request)).values)
        return answer(
            request, outcome, "admin_directory/user.html", f"/admin/users/{quote(user_id)}?done={{done}}"
        )

    @post("/users/{user_id:str}/active")
    async def set_active(
        self, request: AnyRequest, runtime: RuntimeDep, user_id: PathStr
    ) -> Template | Redirect:
        outcome = await user_pages.set_active(runtime, user_id, (await read_post(request)).values)
        return answer(
            request, outcome, "admin_directory/user.html", f"/admin/users/{quote(user_id)}?done={{done}}"
        )

    @post("/users/{user_id:str}/password")
    async def reset_password(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, user_id: PathStr
    ) -> Template | Redirect:
        values = (await read_post(request)).values
        outcome = await user_pages.reset_password(runtime, page_lang, user_id, values)
        return answer(
            request, outcome, "admin_directory/user.html", f"/admin/users/{quote(user_id)}?done={{done}}"
        )

    # --- ready replies -------------------------------------------------------------------

    @get("/replies")
    async def replies(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        q: QueryStr = "",
        done: QueryOptStr = None,
    ) -> Template:
        page = await replies.replies_page(runtime, page_lang, q, notice=done_notice(done, page_lang))
        return render(request, "admin_directory/replies.html", page)

    @post("/replies")
    async def add_reply(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang
    ) -> Template | Redirect:
        outcome = await replies.add_reply(runtime, page_lang, (await read_post(request)).values)
        return answer(request, outcome, "admin_directory/replies.html", "/admin/replies?done={done}")

    @get("/replies/{reply_id:int}")
    async def reply(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        reply_id: PathInt,
        done: QueryOptStr = None,
    ) -> Template:
        page = await replies.reply_page(runtime, page_lang, reply_id, notice=done_notice(done, page_lang))
        return render(request, "admin_directory/reply.html", found(page))

    @post("/replies/{reply_id:int}")
    async def edit_reply(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, reply_id: PathInt
    ) -> Template | Redirect:
        outcome = await replies.edit_reply(runtime, page_lang, reply_id, (await read_post(request)).values)
        return answer(
            request, outcome, "admin_directory/reply.html", f"/admin/replies/{reply_id}?done={{done}}"
        )

    # --- lookup tables -------------------------------------------------------------------

    @get("/lookups")
    async def lookups(self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang) -> Template:
        return render(request, "admin_directory/lookups.html", await lookups.lookups_page(runtime, page_lang))

    @get("/lookups/{table_id:str}")
    async def table(
        self,
        request: AnyRequest,
        runtime: RuntimeDep,
        page_lang: Lang,
        table_id: PathStr,
        page: QueryInt = 1,
        done: QueryOptStr = None,
    ) -> Template:
        shown = await lookups.table_page(
            runtime, page_lang, table_id, page_number=page, notice=done_notice(done, page_lang)
        )
        return render(request, "admin_directory/table.html", found(shown))

    @get("/lookups/{table_id:str}/export.csv")
    async def export(self, runtime: RuntimeDep, table_id: PathStr) -> Response[bytes]:
        csv = found(await lookups.table_csv(runtime, table_id))
        return Response(
            csv.content,
            media_type="text/csv",  # Litestar adds "; charset=utf-8"
            headers={
                "content-disposition": f'attachment; filename="{csv.name}"',
                "cache-control": "no-store",
            },
        )

    @post("/lookups/{table_id:str}/import")
    async def import_csv(
        self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang, table_id: PathStr
    ) -> Template | Redirect:
        try:
            upload = next(iter((await read_post(request)).files.get("file", [])), None)
        except RequestEntityTooLarge:
            outcome = await lookups.import_csv(runtime, page_lang, table_id, None, too_big=True)
        else:
            content = None if upload is None else await upload.read(MAX_CSV_BYTES + 1)
            outcome = await lookups.import_csv(runtime, page_lang, table_id, content)
        return answer(
            request, outcome, "admin_directory/table.html", f"/admin/lookups/{quote(table_id)}?done={{done}}"
        )
