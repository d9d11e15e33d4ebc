"""Department members: the fields of an action form that name a member of the ticket's department.

A field marked ``x-department-member`` (the head's delegation: "assign to a member of the department")
offers the active members of the department holding the ticket, and only such a member is accepted.
The rule is enforced by :meth:`server.tickets.service.TicketService.act` for every caller — the staff
page, the API and any other — and the pages use :func:`member_choices` to draw the choices.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from server.definitions.model import Form, Text
from server.engine.model import Refusal
from server.store.interface import Store
from server.store.records import Ticket
from server.validation import FieldError

INVALID_DATA = Text(ar="البيانات المدخلة غير صحيحة", en="The data entered is not valid")
NOT_A_MEMBER = Text(
    ar="اختر أحد منسوبي القسم من القائمة", en="Choose a member of the department from the list"
)


def member_pointers(schema: Mapping[str, Any], base: str = "") -> Iterator[str]:
    """The JSON pointers (without array indices) of the fields marked ``x-department-member``."""
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        here = f"{base}/{name}"
        if sub.get("x-department-member") is True:
            yield here
        yield from member_pointers(sub, here)
        items = sub.get("items")
        if isinstance(items, Mapping):
            yield from member_pointers(items, here)
    for key in ("then", "else"):
        branch = schema.get(key)
        if isinstance(branch, Mapping):
            yield from member_pointers(branch, base)
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, Mapping):
                yield from member_pointers(branch, base)
    for branch in (schema.get("dependentSchemas") or {}).values():
        if isinstance(branch, Mapping):
            yield from member_pointers(branch, base)


async def member_choices(
    store: Store, ticket: Ticket, forms: Sequence[Form | None]
) -> dict[str, list[tuple[str, str]]]:
    """The options of the ``x-department-member`` fields of ``forms``: the active members of the
    department holding the ticket, as (user id, name) pairs, by pointer."""
    pointers = {p for form in forms if form is not None for p in member_pointers(form.schema)}
    if not pointers or not ticket.department:
        return {p: [] for p in pointers}
    members = [(u.id, u.name) for u in await store.users_in_department(ticket.department)]
    return dict.fromkeys(pointers, members)


def member_errors(
    form: Form | None, data: Mapping[str, Any], choices: Mapping[str, Sequence[tuple[str, str]]]
) -> list[FieldError]:
    """A department-member field must name a member of the ticket's department (top-level fields)."""
    if form is None:
        return []
    errors = []
    for pointer in member_pointers(form.schema):
        name = pointer.removeprefix("/")
        if "/" in name or name not in data:
            continue
        allowed = {value for value, _label in choices.get(pointer, ())}
        if str(data[name]) not in allowed:
            errors.append(FieldError(path=pointer, message=NOT_A_MEMBER))
    return errors


async def members_refusal(
    store: Store, ticket: Ticket, form: Form | None, data: Mapping[str, Any]
) -> Refusal | None:
    """The refusal of ``data`` when a department-member field of ``form`` names anyone but an active
    member of the department holding ``ticket``; None when there is nothing to refuse."""
    if form is None or next(member_pointers(form.schema), None) is None:
        return None
    errors = member_errors(form, data, await member_choices(store, ticket, [form]))
    if not errors:
        return None
    return Refusal(reason="invalid_data", message=INVALID_DATA, field_errors=tuple(errors))
