"""Helpers for page tests: a real app on a real SQLite file or — in the ``[postgresql]`` run every test
that builds an app gets (tests/pg.py) — on PostgreSQL; HTML read with CSS selectors."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
from litestar.testing import AsyncTestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from server.app import create_app
from server.settings import Settings

DB_URL: str | None = None
"""A PostgreSQL database the apps of ``client_for`` use instead of the SQLite file (set by the
``backend`` fixture of tests/pg.py for the test's PostgreSQL run)."""


def settings_for(tmp_path: Path, **settings: Any) -> Settings:
    """The settings of a test's app: the SQLite file ``tmp_path/khidma.db``, or (in a test's PostgreSQL
    run) the schema ``DB_URL`` names with the attachments under ``tmp_path``."""
    return Settings(**{**db_settings_for(tmp_path), **settings})


def db_settings_for(tmp_path: Path) -> dict[str, Any]:
    if DB_URL is not None:
        return {"db_url": DB_URL, "attachments_dir": tmp_path / "khidma-attachments"}
    return {"db_path": tmp_path / "khidma.db"}


def db_for(tmp_path: Path) -> str:
    """The ``--db`` of a command run by a test: the SQLite file, or the PostgreSQL schema's URL."""
    return DB_URL or str(tmp_path / "khidma.db")


def run_sql(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    """One statement on the test's database from outside the app (the SQLite file, or the PostgreSQL
    schema of the test's ``[postgresql]`` run), committed; its rows."""
    if DB_URL is not None:
        with psycopg.connect(DB_URL, autocommit=True) as pg:
            cursor = pg.execute(sql.encode())
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    with contextlib.closing(sqlite3.connect(tmp_path / "khidma.db")) as conn, conn:
        return conn.execute(sql).fetchall()


@asynccontextmanager
async def client_for(tmp_path: Path, **settings: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(settings_for(tmp_path, **{"base_url": "http://testserver.local", **settings}))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


def html(text: str) -> HTMLParser:
    return HTMLParser(text)


def csrf_of(page: str) -> str:
    node = html(page).css_first("input[name=_csrf_token]")
    assert node is not None, "the page has no CSRF field"
    return str(node.attributes["value"])


def form_values(page: str, selector: str = "main form[method=post]") -> dict[str, list[str]]:
    """The values a browser would send for a form as rendered (text inputs, selects, checked boxes)."""
    form = html(page).css_first(selector)
    assert form is not None, f"no form matches {selector!r}"
    values: dict[str, list[str]] = {}
    for node in form.css("input, select, textarea"):
        name = node.attributes.get("name")
        if not name:
            continue
        kind = (node.attributes.get("type") or "text").lower()
        if node.tag == "select":
            chosen = [
                o.attributes.get("value") or "" for o in node.css("option") if "selected" in o.attributes
            ]
            values.setdefault(name, []).extend(chosen[:1] or [""])
        elif node.tag == "textarea":
            values.setdefault(name, []).append(node.text())
        elif kind in ("checkbox", "radio"):
            if "checked" in node.attributes:
                values.setdefault(name, []).append(node.attributes.get("value") or "on")
        elif kind in ("submit", "button", "file"):
            continue
        else:
            values.setdefault(name, []).append(node.attributes.get("value") or "")
    return values


def texts(page: str, selector: str) -> list[str]:
    return [re.sub(r"\s+", " ", n.text()).strip() for n in html(page).css(selector)]
