"""The view-model of a rendered form: plain data the templates read, no HTML."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import msgspec

from server.forms.widgets import INPUT_TYPES

GROUP_BUTTON = "_group"
"""The name of the add/remove row buttons; their value is ``add:/POINTER/INDEX`` or ``remove:/POINTER/INDEX``."""


class Option(NamedTuple):
    value: str
    label: str
    selected: bool


class SummaryItem(NamedTuple):
    """One line of the error summary: a link to ``#field_id`` (none when ``""``), the label and the message."""

    field_id: str
    label: str
    message: str


class FieldView(msgspec.Struct, eq=False):
    """One field as the templates render it.

    ``kind`` is one of text, textarea, email, tel, date, time, datetime, url, number, integer,
    checkbox (a boolean), select, radio, checkboxes, file, hidden, fieldset (an object), group (an
    array of objects or of single values), password.
    """

    kind: str
    name: str
    """The HTML form name: ``college``, ``address[city]``, ``requested_items[0][item]``."""
    id: str
    """The HTML id of the input (of the first option for radios and checkboxes, of the fieldset for
    objects and groups): the target of the error summary's link."""
    pointer: str
    """The JSON pointer of the value in the data, as in validation errors: ``/requested_items/0/item``."""
    label: str
    lang: str
    ui: Mapping[str, str]
    """The renderer's own words in the page language (see ``messages.py``)."""
    help: str = ""
    placeholder: str = ""
    required: bool = False
    readonly: bool = False
    value: str = ""
    """What the input shows: the submitted value if any, else the default (as text)."""
    checked: bool = False
    """For a checkbox (a boolean field): whether it is ticked."""
    error: str | None = None
    options: list[Option] = msgspec.field(default_factory=list)
    children: list[FieldView] = msgspec.field(default_factory=list)
    """The fields of an object (a fieldset)."""
    rows: list[list[FieldView]] = msgspec.field(default_factory=list)
    """The rows of a group, each a list of fields."""
    row_labels: list[str] = msgspec.field(default_factory=list)
    add_label: str = ""
    remove_label: str = ""
    can_add: bool = False
    can_remove: bool = False
    attrs: dict[str, str] = msgspec.field(default_factory=dict)
    """HTML attributes carrying constraints and hints: minlength, maxlength, pattern, min, max, step,
    rows, accept, inputmode, dir, autocomplete (only those that apply)."""
    conditional: bool = False
    """The field belongs to an ``if``/``then``/``else``, ``dependentSchemas`` or ``dependentRequired``
    branch: whether it applies, or is required, depends on other answers."""
    visible: bool = True
    """Whether it applies to the current data. Fields that do not apply are not in the view at all."""
    trigger: bool = False
    """A condition reads this field: changing it may show, hide or require others (re-render on change)."""
    filename: str = ""
    """For a file field holding an attachment id: the uploaded file's name."""
    summary_label: str = ""
    """The label in the error summary (a group row's fields name their row)."""
    ready_replies: bool = False
    department_member: bool = False
    hx_url: str | None = None
    form_id: str = ""
    """The id of the element holding all the fields (what a conditional re-render replaces)."""
    autofocus: bool = False
    """Focus lands here when the page or fragment is shown (the first input of a row just added)."""
    focus_add: bool = False
    """For a group: focus lands on its "add" button (after a row was removed)."""

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.kind, "text")

    @property
    def dir(self) -> str | None:
        return self.attrs.get("dir")

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def current_file_id(self) -> str:
        return f"{self.id}-current"

    @property
    def describedby(self) -> str:
        """The ids for ``aria-describedby``: the help, the current file, the error."""
        ids = []
        if self.help:
            ids.append(self.help_id)
        if self.kind == "file" and self.value:
            ids.append(self.current_file_id)
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def show_empty_option(self) -> bool:
        """A select offers an empty "choose…" option unless it is required and already answered."""
        return not (self.required and any(o.selected for o in self.options))

    def walk(self) -> Iterator[FieldView]:
        """This field and every field inside it, in page order."""
        yield self
        for child in self.children:
            yield from child.walk()
        for row in self.rows:
            for child in row:
                yield from child.walk()


class FormView(msgspec.Struct, eq=False):
    id: str
    """The id of the element holding the fields."""
    title: str
    lang: str
    ui: Mapping[str, str]
    fields: list[FieldView]
    error_summary: list[tuple[str, str, str]] = msgspec.field(default_factory=list)
    """(field id, label, message) per line, each a :class:`SummaryItem`."""
    hx_url: str | None = None

    @property
    def dir(self) -> str:
        return "ltr" if self.lang == "en" else "rtl"

    def walk(self) -> Iterator[FieldView]:
        for f in self.fields:
            yield from f.walk()

    @property
    def multipart(self) -> bool:
        """The form holds a file field: its ``<form>`` needs ``enctype="multipart/form-data"``."""
        return any(f.kind == "file" for f in self.walk())

    @property
    def has_groups(self) -> bool:
        return any(f.kind == "group" for f in self.walk())

    def find(self, pointer: str) -> FieldView | None:
        """The field whose value is at ``pointer`` (``/requested_items``), if it is rendered."""
        return next((f for f in self.walk() if f.pointer == pointer), None)

    def focus_after(self, action: tuple[str, str, int]) -> FieldView | None:
        """Mark where focus goes after a group button's ``action`` (from ``coerce.group_action``): the
        first input of the row added, or the group's add button after a removal. Returns the group."""
        verb, pointer, index = action
        group = self.find(pointer)
        if group is None or group.kind != "group":
            return None
        if verb == "remove" or not group.rows:
            group.focus_add = True
            return group
        row = group.rows[min(index, len(group.rows) - 1)]
        first = next(
            (f for child in row for f in child.walk() if f.kind not in ("fieldset", "group", "hidden")), None
        )
        if first is not None:
            first.autofocus = True
        return group
