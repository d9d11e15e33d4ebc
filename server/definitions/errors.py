"""Definition errors: each names the file, the JSON pointer and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


class DefinitionError(msgspec.Struct, frozen=True, kw_only=True):
    file: str
    """The file, relative to the tree's root (``workflows/supplies.json``)."""
    pointer: str
    """A JSON pointer into the file (``/states/closed/assignee``); ``""`` is the whole file."""
    message: str
    code: str
    """A stable, machine-readable kind of mistake (``unknown_state``, ``template_unsafe`` …)."""

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}: {self.message} [{self.code}]"


def pointer(*parts: str | int) -> str:
    """Build a JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_from_path(path: Iterable[str | int]) -> str:
    return pointer(*path)


class ErrorSink:
    """Collects every error of a load; nothing stops at the first."""

    def __init__(self) -> None:
        self.errors: list[DefinitionError] = []

    def add(self, file: str, ptr: str, message: str, code: str) -> None:
        self.errors.append(DefinitionError(file=file, pointer=ptr, message=message, code=code))

    def __bool__(self) -> bool:
        return bool(self.errors)
