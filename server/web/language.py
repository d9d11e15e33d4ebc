"""Switching the page language."""

from __future__ import annotations

from litestar import get
from litestar.response import Redirect

from server.i18n import LANG_COOKIE_MAX_AGE
from server.web.deps import LANG_COOKIE
from server.web.guards import safe_next
from server.web.params import PathStr, QueryOptStr


@get("/lang/{code:str}", include_in_schema=False)
async def set_language(code: PathStr, next: QueryOptStr = None) -> Redirect:
    """Switch the page language (remembered in a cookie) and go back where the user was."""
    response = Redirect(safe_next(next), status_code=303)
    if code in ("ar", "en"):
        response.set_cookie(LANG_COOKIE, code, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", httponly=True)
    return response
