"""Changing a live service (issue 13, item 5): the supplies service with tickets open in every state,
and each kind of edit published over them — the report names it, the dry run flags exactly the
tickets that would break, and the move leaves no ticket invalid under its form, each held as its new
state's rule says and in that holder's queue.

Real SQLite file, the real ticket service (``server/tickets/service.py``) and the real migration
service (``server/admin/``); the expected sets of broken tickets are computed from the tickets' data
here, independently of the code under test."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from server.admin import compat, migrate
from server.definitions.bundle import compile_bundle, content_hash
from server.definitions.catalogue import CompiledService
from server.definitions.loader import load_tree
from server.engine.model import Actor, Refusal
from server.paths import shipped_root
from server.store.copy import copy_store
from server.store.interface import Store
from server.store.open import is_postgres_url, open_any
from server.store.records import ReadScope, TaskFilter, TaskOrder, Ticket
from server.store.sqlite import open_store
from server.tickets.service import Conflict, Created, TicketService
from server.validation import validate
from server.working_time import WorkingCalendar

START = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # a Wednesday, 09:00 in Riyadh
CS = Actor(id="cs", name="cs", roles=frozenset({"customer_service"}), department="customer_service")
HEAD = Actor(id="head", name="head", roles=frozenset({"department_head"}), department="classrooms")
REQUESTER = Actor(id="r1", name="Requester", roles=frozenset({"requester"}))
FORM = "form_schemas/supplies.json"
FLOW = "workflows/supplies.json"
OPEN_STATES = ("received", "awaiting_clarification", "with_department", "in_progress", "answered")


class Clock:
    now = START

    def __call__(self) -> dt.datetime:
        return self.now


@functools.cache
def _catalogue() -> Any:
    result = load_tree(shipped_root())
    assert result.catalogue is not None
    return result.catalogue


VARIANTS: list[dict[str, Any]] = [
    # a long college name (breaks a tighter maxLength), a room, the first choice
    {"college": "كلية الهندسة والعمارة الإسلامية", "room": "12", "body_type": "college"},
    # a short name, no room, a choice that a narrowed list drops
    {"college": "كلية الطب", "body_type": "related_sector"},
    # a branch with a room and a large quantity in the repeatable group
    {
        "college": "فرع القنفذة",
        "room": "204",
        "body_type": "branch",
        "requested_items": [{"item": "جهاز عرض", "quantity": 20}],
    },
]


async def _drive(service: TicketService, state: str, variant: dict[str, Any]) -> Ticket:
    catalogue_example = dict(_catalogue().services["supplies"].form.schema["examples"][0])
    catalogue_example.pop("room", None)
    created = await service.submit(
        "supplies", {**catalogue_example, **variant}, channel="web", actor=REQUESTER, requester_id="r1"
    )
    assert isinstance(created, Created)
    ticket = created.ticket
    steps = {
        "received": [],
        "awaiting_clarification": [(CS, "request_clarification", {"question": "ما رقم القاعة؟"})],
        "with_department": [(CS, "route_to_department", {})],
        "in_progress": [
            (CS, "route_to_department", {}),
            (HEAD, "delegate", {"assignee": "staff1", "note": "يرجى التوريد"}),
        ],
        "answered": [
            (CS, "route_to_department", {}),
            (HEAD, "return_to_customer_service", {"outcome": "done", "reply": "تم التوريد"}),
        ],
    }[state]
    for actor, action, data in steps:
        result = await service.act(ticket.id, action, data, actor=actor, expected_version=ticket.version)
        assert not isinstance(result, Refusal | Conflict), result
        ticket = result
    assert ticket.state == state
    return ticket


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the shipped services published and 15 supplies tickets: three in each open
    state (one per variant). Built once; each test works on its own copy."""
    import asyncio

    path = tmp_path_factory.mktemp("change-safety") / "template.db"

    async def build() -> None:
        store = await open_store(path)
        try:
            for uid, roles in (("staff1", ["department_staff"]), ("head", ["department_head"])):
                await store.add_user(
                    id=uid, username=uid, name=uid, roles=roles, department="classrooms", now=START
                )
            catalogue = _catalogue()
            calendar = WorkingCalendar.from_definition(catalogue.organisation.calendar)
            service = TicketService(store, calendar, clock=Clock())
            await service.publish_shipped(catalogue)
            for state in OPEN_STATES:
                for variant in VARIANTS:
                    await _drive(service, state, variant)
        finally:
            await store.close()

    asyncio.run(build())
    return path


@dataclass
class World:
    store: Store
    service: TicketService
    clock: Clock
    v1_id: int
    tickets: list[Ticket] = field(default_factory=list)


@pytest.fixture
async def world(template_db: Path, store_db: str, tmp_path: Path) -> AsyncIterator[World]:
    """The template's copy on the test's backend (``store_db``): the file copied, or copied into the
    PostgreSQL schema by ``khidma migrate-store``'s ``copy_store``."""
    if is_postgres_url(store_db):
        await copy_store(str(template_db), store_db)
    else:
        shutil.copy(template_db, store_db)
    store = await open_any(store_db, tmp_path / "files")
    clock = Clock()
    clock.now = START + dt.timedelta(hours=2)
    catalogue = _catalogue()
    service = TicketService(
        store, WorkingCalendar.from_definition(catalogue.organisation.calendar), clock=clock
    )
    v1 = await store.latest_definition("supplies")
    assert v1 is not None
    tickets = await store.open_tickets_on(v1.id)
    assert sorted({t.state for t in tickets}) == sorted(OPEN_STATES) and len(tickets) == 15
    try:
        yield World(store, service, clock, v1.id, tickets)
    finally:
        await store.close()


# --- the edits -----------------------------------------------------------------------------------

Files = dict[str, Any]


def _new_required_field(f: Files) -> None:
    f[FORM]["properties"]["cost_centre"] = {
        "type": "string",
        "minLength": 2,
        "maxLength": 20,
        "x-title": {"ar": "مركز التكلفة", "en": "Cost centre"},
    }
    f[FORM]["required"].append("cost_centre")
    for sample in f[FORM]["examples"]:
        sample["cost_centre"] = "CC-1"


def _tighter_max_length(f: Files) -> None:
    f[FORM]["properties"]["college"]["maxLength"] = 12


def _room_made_required(f: Files) -> None:
    f[FORM]["required"].append("room")


def _room_removed(f: Files) -> None:
    del f[FORM]["properties"]["room"]
    f[FORM]["x-order"].remove("room")
    for sample in f[FORM]["examples"]:
        sample.pop("room", None)


def _room_renamed(f: Files) -> None:
    f[FORM]["properties"]["hall"] = f[FORM]["properties"].pop("room")
    f[FORM]["x-order"] = ["hall" if n == "room" else n for n in f[FORM]["x-order"]]
    for sample in f[FORM]["examples"]:
        sample["hall"] = sample.pop("room")


def _choices_narrowed(f: Files) -> None:
    options = f[FORM]["properties"]["body_type"]["oneOf"]
    f[FORM]["properties"]["body_type"]["oneOf"] = [o for o in options if o["const"] != "related_sector"]


def _nested_maximum(f: Files) -> None:
    f[FORM]["properties"]["requested_items"]["items"]["properties"]["quantity"]["maximum"] = 5


def _state_and_actions_added(f: Files) -> None:
    flow = f[FLOW]
    flow["states"]["on_hold"] = {
        "label": {"ar": "معلقة لدى القسم", "en": "On hold at the department"},
        "category": "pending",
        "assignee": {"head_of": "$service"},
    }
    flow["actions"]["hold"] = {
        "label": {"ar": "تعليق", "en": "Put on hold"},
        "who": [{"role": "department_head", "department": "$ticket"}],
        "from": ["in_progress"],
        "to": "on_hold",
    }
    flow["actions"]["resume"] = {
        "label": {"ar": "استئناف", "en": "Resume"},
        "who": [{"role": "department_head", "department": "$ticket"}],
        "from": ["on_hold"],
        "to": "in_progress",
        "form": "delegation",
    }


def _actions_removed(f: Files) -> None:
    del f[FLOW]["actions"]["note_to_head"]
    del f[FLOW]["actions"]["work_note"]


def _state_renamed(f: Files) -> None:
    flow = f[FLOW]
    flow["states"]["replied"] = flow["states"].pop("answered")
    for action in flow["actions"].values():
        action["from"] = ["replied" if s == "answered" else s for s in action["from"]]
        if action.get("to") == "answered":
            action["to"] = "replied"


def _assignee_rule(f: Files) -> None:
    f[FLOW]["states"]["with_department"]["assignee"] = {"role": "department_staff", "department": "$service"}


def _condition(f: Files) -> None:
    f[FLOW]["guards"]["supply_was_unavailable"]["expr"] = 'vars.outcome != "done"'
    f[FLOW]["actions"]["reply_and_close"]["effects"][1]["when"] = 'vars.outcome != "done"'


def _notification_text(f: Files) -> None:
    body = f[FLOW]["notifications"]["received_notice"]["body"]
    body["en"] = body["en"].replace("Dear customer", "Dear requester")


def _timer_added(f: Files) -> None:
    f[FLOW]["timers"] = {
        "answer_due": {
            "state": "answered",
            "after_working_hours": 8,
            "label": {"ar": "مهلة الرد", "en": "Reply due"},
            "effects": [{"notify": "received_notice", "to": "assignee", "channel": "email"}],
        }
    }


def _who_changed(f: Files) -> None:
    f[FLOW]["actions"]["route_to_department"]["who"] = [
        {"role": "customer_service"},
        {"role": "department_head"},
    ]


def _removed_state(f: Files) -> None:
    flow = f[FLOW]
    del flow["states"]["awaiting_clarification"]
    del flow["actions"]["request_clarification"]
    del flow["actions"]["answer_clarification"]
    # every other action into or out of the state goes too, or loses the state from its "from"
    for name, action in list(flow["actions"].items()):
        if action.get("to") == "awaiting_clarification":
            del flow["actions"][name]
        elif "awaiting_clarification" in action.get("from", []):
            action["from"].remove("awaiting_clarification")


def _action_renamed(f: Files) -> None:
    actions = f[FLOW]["actions"]
    actions["transfer_to_department"] = actions.pop("route_to_department")


def _conditionally_required(f: Files) -> None:
    f[FORM]["allOf"] = [
        {
            "if": {"properties": {"body_type": {"const": "related_sector"}}, "required": ["body_type"]},
            "then": {"required": ["room"]},
        }
    ]


def _hint(f: Files) -> None:
    f[FORM]["properties"]["college"]["x-help"] = {"ar": "اسم الكلية كاملاً", "en": "The college's full name"}


def _department_changed(f: Files) -> None:
    f["service_definitions/supplies.json"]["department"] = "maintenance_center"


def _long(t: Ticket) -> bool:
    return len(t.data["college"]) > 12


def _no_room(t: Ticket) -> bool:
    return not t.data.get("room")


def _has_room(t: Ticket) -> bool:
    return bool(t.data.get("room"))


def _sector(t: Ticket) -> bool:
    return t.data["body_type"] == "related_sector"


def _many(t: Ticket) -> bool:
    return any(row["quantity"] > 5 for row in t.data["requested_items"])


def _none(t: Ticket) -> bool:
    return False


def _all(t: Ticket) -> bool:
    return True


def _clarifying(t: Ticket) -> bool:
    return t.state == "awaiting_clarification"


@dataclass(frozen=True)
class Edit:
    name: str
    change: Callable[[Files], None]
    kinds: set[str]
    """The report's kinds that name it."""
    breaks: Callable[[Ticket], bool]
    """Which tickets the dry run must flag, before any choice is made."""
    remedy: Callable[[list[Ticket]], migrate.Choices]
    """What the administrator chooses to move every ticket (some perhaps left on their version)."""


def _none_chosen(_: list[Ticket]) -> migrate.Choices:
    return migrate.Choices()


def _values_for_long(tickets: list[Ticket]) -> migrate.Choices:
    """A value typed for each long name, except one ticket left on its version."""
    long = [t for t in tickets if _long(t)]
    return migrate.Choices(
        values={(t.id, "college"): "كلية" for t in long[1:]},
        leave=frozenset({long[0].id}),
    )


EDITS = [
    Edit(
        "new_required_field",
        _new_required_field,
        {"field_added"},
        _all,
        lambda _: migrate.Choices(defaults={"cost_centre": "CC-100"}),
    ),
    Edit("tighter_max_length", _tighter_max_length, {"constraint_tightened"}, _long, _values_for_long),
    Edit(
        "field_made_required",
        _room_made_required,
        {"field_required"},
        _no_room,
        lambda _: migrate.Choices(defaults={"room": "غير محدد"}),
    ),
    Edit(
        "field_removed",
        _room_removed,
        {"field_removed"},
        _has_room,
        lambda _: migrate.Choices(drop=frozenset({"room"})),
    ),
    Edit(
        "field_renamed",
        _room_renamed,
        {"field_renamed", "field_added", "field_removed"},
        _has_room,
        lambda _: migrate.Choices(renames={"room": "hall"}),
    ),
    Edit(
        "choices_narrowed",
        _choices_narrowed,
        {"choices_narrowed"},
        _sector,
        lambda _: migrate.Choices(defaults={"body_type": "college"}),
    ),
    Edit(
        "nested_maximum",
        _nested_maximum,
        {"constraint_tightened"},
        _many,
        lambda ts: migrate.Choices(
            values={(t.id, "requested_items"): '[{"item": "جهاز", "quantity": 5}]' for t in ts if _many(t)}
        ),
    ),
    Edit(
        "state_and_actions_added",
        _state_and_actions_added,
        {"state_added", "action_added"},
        _none,
        _none_chosen,
    ),
    Edit("actions_removed", _actions_removed, {"action_removed"}, _none, _none_chosen),
    Edit(
        "state_renamed",
        _state_renamed,
        {"state_renamed", "state_removed", "state_added", "action_to", "action_from"},
        lambda t: t.state == "answered",
        lambda _: migrate.Choices(mapping={"answered": "replied"}),
    ),
    Edit(
        "state_removed",
        _removed_state,
        {"state_removed", "action_removed", "action_from"},
        _clarifying,
        lambda _: migrate.Choices(mapping={"awaiting_clarification": "received"}),
    ),
    Edit("assignee_rule", _assignee_rule, {"state_assignee"}, _none, _none_chosen),
    Edit(
        "condition",
        _condition,
        {"condition_changed", "effect_condition", "action_effects"},
        _none,
        _none_chosen,
    ),
    Edit("notification_text", _notification_text, {"notification_text"}, _none, _none_chosen),
    Edit("timer_added", _timer_added, {"timer_added"}, _none, _none_chosen),
    Edit("who_changed", _who_changed, {"action_who"}, _none, _none_chosen),
    Edit(
        "conditionally_required",
        _conditionally_required,
        {"field_other"},
        _sector,
        lambda _: migrate.Choices(defaults={"room": "غير محدد"}),
    ),
    Edit("hint", _hint, {"field_other"}, _none, _none_chosen),
    Edit("department_changed", _department_changed, {"service_changed"}, _none, _none_chosen),
    Edit(
        "action_renamed",
        _action_renamed,
        {"action_renamed", "action_added", "action_removed"},
        _none,
        _none_chosen,
    ),
]


def _edit(name: str) -> Edit:
    return next(e for e in EDITS if e.name == name)


async def _publish(world: World, edit: Edit) -> tuple[CompiledService, CompiledService, int]:
    v1 = await world.store.get_definition(world.v1_id)
    assert v1 is not None
    files = {path: json.loads(text) for path, text in v1.bundle.items()}
    edited = copy.deepcopy(files)
    edit.change(edited)
    bundle = {path: json.dumps(doc, ensure_ascii=False, indent=2) for path, doc in edited.items()}
    compile_bundle(bundle)  # the edit is a valid service: the loader accepts it
    v2 = await world.store.publish_definition(
        "supplies", bundle, content_hash(bundle), created_by="admin", note=edit.name, now=world.clock()
    )
    assert v2.id != world.v1_id
    old = await world.service.compiled_version(world.v1_id)
    new = await world.service.compiled_version(v2.id)
    return old, new, v2.id


def _holder(
    compiled: CompiledService, state: str, before: Ticket
) -> tuple[str | None, str | None, str | None]:
    """Who the new state's rule says holds the ticket (department, role, user), worked out here."""
    rule = compiled.workflow.states[state].assignee
    service_dept = compiled.service.department

    def dept(ref: str | None) -> str | None:
        if ref in (None, "$ticket"):
            return before.department
        return service_dept if ref == "$service" else ref

    if rule.kind == "role":
        return dept(rule.department), rule.role, None
    if rule.kind == "head":
        department = dept(rule.head_of)
        return department, compiled.organisation.departments[department or ""].head_role, None
    if rule.kind == "user":
        return dept(rule.department), None, before.assignee_user
    return before.department, before.assignee_role, before.assignee_user


async def _in_queue(store: Store, ticket: Ticket) -> bool:
    everything = ReadScope(everything=True)
    if ticket.assignee_user is not None:
        task_filter = TaskFilter(scope=everything, assigned_user=ticket.assignee_user)
    else:
        assert ticket.assignee_role is not None
        task_filter = TaskFilter(
            scope=everything,
            queue_roles=frozenset({ticket.assignee_role}),
            queue_department=ticket.department,
        )
    ids = await store.list_task_ids(task_filter, TaskOrder(key="created"), offset=0, limit=100)
    return ticket.id in ids


@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
async def test_each_edit_is_reported_flagged_and_moved_with_no_ticket_left_invalid(
    world: World, edit: Edit
) -> None:
    old, new, v2_id = await _publish(world, edit)
    tickets = world.tickets

    # the report names the edit, with the open tickets it concerns
    report = compat.report(old, new, tickets)
    assert edit.kinds <= report.kinds, (edit.name, report.kinds)
    expected_broken = {t.number for t in tickets if edit.breaks(t)}
    if expected_broken:
        concerned = [d for d in report.differences if d.breaking and d.affected]
        assert concerned and max(d.affected for d in concerned) >= 1

    # the dry run flags exactly the tickets that would break; it writes nothing
    ctx = await world.service.context(new, [], world.clock())
    dry = migrate.plan(tickets, new, migrate.Choices(), ctx)
    assert {p.number for p in dry if not p.ok} == expected_broken, edit.name
    for item in dry:
        if not item.ok:
            assert item.problems and all(p.message.ar and p.message.en for p in item.problems)
    assert [t.definition_version_id for t in await world.store.open_tickets_on(world.v1_id)] == [
        world.v1_id
    ] * 15

    # with the administrator's choices, the move: every ticket moved (or left), none invalid
    choices = edit.remedy(tickets)
    plans = migrate.plan(tickets, new, choices, ctx)
    assert all(p.ok or p.left for p in plans), [(p.number, p.problems) for p in plans if not p.ok]
    new_version = await world.store.get_definition(v2_id)
    assert new_version is not None
    outcomes = await migrate.run(
        world.store,
        tickets,
        plans,
        new_version,
        new,
        world.service.calendar,
        actor_id="admin",
        actor_name="Admin",
        now=world.clock(),
    )
    assert {o for _, o in outcomes} <= {"moved", "left"}
    left = {p.ticket_id for p, o in outcomes if o == "left"}
    assert left == set(choices.leave)
    before = {t.id: t for t in tickets}
    for original in tickets:
        ticket = await world.store.get_ticket(original.id)
        assert ticket is not None
        compiled = await world.service.compiled_version(ticket.definition_version_id)
        assert validate(compiled.form, ticket.data) == [], (edit.name, ticket.number)
        if ticket.id in left:
            assert ticket.definition_version_id == world.v1_id
            continue
        assert ticket.definition_version_id == v2_id
        assert ticket.state == choices.mapping.get(original.state, original.state)
        holder = (ticket.department, ticket.assignee_role, ticket.assignee_user)
        assert holder == _holder(new, ticket.state, before[ticket.id]), (edit.name, ticket.state)
        assert await _in_queue(world.store, ticket), (edit.name, ticket.number, holder)
        events = await world.store.list_events(ticket.id)
        assert events[-1].kind == "migration" and events[-1].definition_version_id == v2_id
        assert events[0].definition_version_id == world.v1_id


async def test_a_renamed_field_carries_its_values(world: World) -> None:
    _, new, v2_id = await _publish(world, _edit("field_renamed"))
    ctx = await world.service.context(new, [], world.clock())
    plans = migrate.plan(world.tickets, new, migrate.Choices(renames={"room": "hall"}), ctx)
    new_version = await world.store.get_definition(v2_id)
    assert new_version is not None
    await migrate.run(
        world.store,
        world.tickets,
        plans,
        new_version,
        new,
        world.service.calendar,
        actor_id="admin",
        actor_name="Admin",
        now=world.clock(),
    )
    for original in world.tickets:
        moved = await world.store.get_ticket(original.id)
        assert moved is not None and "room" not in moved.data
        assert moved.data.get("hall") == original.data.get("room")


async def test_a_changed_assignee_rule_moves_tickets_to_the_new_queue(world: World) -> None:
    _, new, v2_id = await _publish(world, _edit("assignee_rule"))
    ctx = await world.service.context(new, [], world.clock())
    plans = migrate.plan(world.tickets, new, migrate.Choices(), ctx)
    new_version = await world.store.get_definition(v2_id)
    assert new_version is not None
    await migrate.run(
        world.store,
        world.tickets,
        plans,
        new_version,
        new,
        world.service.calendar,
        actor_id="admin",
        actor_name="Admin",
        now=world.clock(),
    )
    staff_queue = TaskFilter(
        scope=ReadScope(everything=True),
        queue_roles=frozenset({"department_staff"}),
        queue_department="classrooms",
    )
    ids = await world.store.list_task_ids(staff_queue, TaskOrder(key="created"), offset=0, limit=100)
    at_department = [t.id for t in world.tickets if t.state == "with_department"]
    assert sorted(ids) == sorted(at_department) and len(ids) == 3
    head_queue = TaskFilter(
        scope=ReadScope(everything=True),
        queue_roles=frozenset({"department_head"}),
        queue_department="classrooms",
    )
    assert not set(at_department) & set(
        await world.store.list_task_ids(head_queue, TaskOrder(key="created"), offset=0, limit=100)
    )
    assignments = await world.store.list_assignments(at_department[0])
    assert (assignments[-1].role, assignments[-1].department) == ("department_staff", "classrooms")


async def test_a_new_timer_is_scheduled_from_when_the_ticket_entered_its_state(world: World) -> None:
    _, new, v2_id = await _publish(world, _edit("timer_added"))
    world.clock.now = START + dt.timedelta(days=1)
    ctx = await world.service.context(new, [], world.clock())
    plans = migrate.plan(world.tickets, new, migrate.Choices(), ctx)
    new_version = await world.store.get_definition(v2_id)
    assert new_version is not None
    await migrate.run(
        world.store,
        world.tickets,
        plans,
        new_version,
        new,
        world.service.calendar,
        actor_id="admin",
        actor_name="Admin",
        now=world.clock(),
    )
    answered = [t for t in world.tickets if t.state == "answered"]
    for ticket in answered:
        entered = next(e for e in await world.store.list_events(ticket.id) if e.to_state == "answered").at
        due = await world.store.ticket_due(ticket.id)
        assert due == world.service.calendar.add_working_hours(entered, 8)
    others = [t for t in world.tickets if t.state != "answered"]
    assert [await world.store.ticket_due(t.id) for t in others] == [None] * len(others)
    # the timer fires on the new version's definition
    world.clock.now = START + dt.timedelta(days=5)
    assert await world.service.fire_due_timers() == len(answered)


async def test_a_ticket_mapped_into_a_state_whose_holder_is_chosen_by_an_action_goes_to_the_head(
    world: World,
) -> None:
    """``in_progress`` is held by the person a head delegates to; a ticket moved there by the
    administrator has no such person yet, so it waits in the department head's queue; one already
    held by a person keeps that person."""
    _, new, v2_id = await _publish(world, _edit("notification_text"))
    ctx = await world.service.context(new, [], world.clock())
    choices = migrate.Choices(mapping={"with_department": "in_progress"})
    plans = migrate.plan(world.tickets, new, choices, ctx)
    new_version = await world.store.get_definition(v2_id)
    assert new_version is not None
    await migrate.run(
        world.store,
        world.tickets,
        plans,
        new_version,
        new,
        world.service.calendar,
        actor_id="admin",
        actor_name="Admin",
        now=world.clock(),
    )
    for original in world.tickets:
        ticket = await world.store.get_ticket(original.id)
        assert ticket is not None
        if original.state == "with_department":
            assert (ticket.state, ticket.department, ticket.assignee_role, ticket.assignee_user) == (
                "in_progress",
                "classrooms",
                "department_head",
                None,
            )
            assert await _in_queue(world.store, ticket)
        elif original.state == "in_progress":
            assert (ticket.department, ticket.assignee_user) == ("classrooms", "staff1")
