"""Staff task lists, SQLite side: a :class:`~server.tickets.tasks.TaskFilter` as one WHERE clause over
``tickets t`` (and the lists' orders); how a page or a count is read — which index, which way a free
text is matched — is chosen in ``sqlite_tasks``. Values are always bound parameters, never spliced into
the SQL."""

from __future__ import annotations

import json
from typing import Any, Literal

from server.store.records import TaskFilter
from server.store.sqlite_codec import like_pattern, time_text
from server.store.task_clauses import SQLITE, scope_clause, view_clauses

TRIGRAM = 3
"""The shortest free text the trigram index can match."""


def text_match(text: str) -> str:
    """``text`` as an FTS5 query matching it as a substring: one phrase (quotes doubled inside it),
    in the search-text column only unless the text has a digit (ticket numbers are digits)."""
    phrase = '"' + text.replace('"', '""') + '"'
    return phrase if any(c.isdigit() for c in text) else "search_text : " + phrase


TextWay = Literal["index", "set", "row"]
"""How a free text of three characters or more is matched: ``index`` — the trigram index's matches
are the rows to read (few matches); ``set`` — they are a set each ticket the list's index walk reaches
is looked up in (``+t.id IN``: built whole, then the walk needs no row); ``row`` — each ticket the walk
reaches is read and its number / search text tested with ``LIKE`` (no set built: the walk stops at the
page's end). Shorter text is ``row`` too, unless few tickets hold it (``Way.ids``)."""


def short_text_clause(text: str) -> tuple[str, list[Any]]:
    """The ``LIKE`` test of a text shorter than a trigram over ``tickets t``: the search text, and the
    number when the text has a digit (numbers are digits and a hyphen)."""
    pattern = like_pattern(text)
    if any(c.isdigit() for c in text):
        return "(t.number LIKE ? ESCAPE '\\' OR t.search_text LIKE ? ESCAPE '\\')", [pattern, pattern]
    return "t.search_text LIKE ? ESCAPE '\\'", [pattern]


def where(
    task_filter: TaskFilter,
    *,
    with_category: bool = True,
    text_way: TextWay = "index",
    date_index: bool = True,
    text_ids: tuple[int, ...] | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause (without the keyword) of ``task_filter`` over ``tickets t``, and its parameters.
    ``text_way``: how a free text of three characters or more is matched.
    ``date_index`` False: the creation dates are tested on each row the walk reaches (``+``), so the
    planner does not read a wide range of the date index and sort it.
    ``text_ids``: the tickets a text shorter than a trigram matches (``short_text_ids``), read by id."""
    params: list[Any] = []
    clauses = []
    scope = scope_clause(task_filter, params, SQLITE)
    if scope is not None:
        clauses.append(scope)
    clauses += view_clauses(task_filter, params, SQLITE)
    for column, value in (
        ("t.service_id", task_filter.service),
        ("t.category", task_filter.category if with_category else None),
        ("t.state", task_filter.state),
        ("t.channel", task_filter.channel),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    created = "t.created_at" if date_index else "+t.created_at"
    if task_filter.created_from is not None:
        clauses.append(f"{created} >= ?")
        params.append(time_text(task_filter.created_from))
        if not date_index:
            # no ticket created since the range's start was updated before it (migration 0016): the walk
            # of ``tickets_updated`` starts there oldest first, and stops there newest first
            clauses.append("t.updated_at >= ?")
            params.append(time_text(task_filter.created_from))
    if task_filter.created_before is not None:
        clauses.append(f"{created} < ?")
        params.append(time_text(task_filter.created_before))
    if task_filter.text and len(task_filter.text) >= TRIGRAM and text_way != "row":
        matches = "IN (SELECT rowid FROM tickets_text WHERE tickets_text MATCH ?)"
        clauses.append(("+t.id " if text_way == "set" else "t.id ") + matches)
        params.append(text_match(task_filter.text))
    elif task_filter.text and text_ids is not None and len(task_filter.text) < TRIGRAM:
        clauses.append("t.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(text_ids))
    elif task_filter.text:
        text_clause, text_params = short_text_clause(task_filter.text)
        clauses.append(text_clause)
        params += text_params
    return " AND ".join(clauses) or "1", params
