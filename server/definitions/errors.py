"""Definition errors and warnings: each names the file, the JSON pointer and what is wrong.

An error refuses the tree (nothing is published); a warning does not — it says what a reader would
miss (a label in one language only, shown as written in both) and ``khidma check`` prints it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec


class DefinitionError(msgspec.Struct, frozen=True, kw_only=True):
    file: str
    """The file, relative to the tree's root (``workflows/supplies.json``)."""
    pointer: str
    """A JSON pointer into the file (``/states/closed/assignee``); ``""`` is the whole file."""
    message: str
    code: str
    """A stable, machine-readable kind of mistake (``unknown_state``, ``template_unsafe`` …)."""
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.level == "warning" else ""
        return f"{prefix}{self.file}#{self.pointer}: {self.message} [{self.code}]"


def pointer(*parts: str | int) -> str:
    """Build a JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_from_path(path: Iterable[str | int]) -> str:
    return pointer(*path)


class ErrorSink:
    """Collects every error (and warning) of a load; nothing stops at the first."""

    def __init__(self) -> None:
        self.errors: list[DefinitionError] = []
        self.warnings: list[DefinitionError] = []

    def add(self, file: str, ptr: str, message: str, code: str) -> None:
        self.errors.append(DefinitionError(file=file, pointer=ptr, message=message, code=code))

    def warn(self, file: str, ptr: str, message: str, code: str) -> None:
        self.warnings.append(
            DefinitionError(file=file, pointer=ptr, message=message, code=code, level="warning")
        )

    def __bool__(self) -> bool:
        return bool(self.errors)
