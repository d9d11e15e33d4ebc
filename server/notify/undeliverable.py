"""Why a notification could not even be addressed — kept on its outbox row, never dropped.

A notification whose recipient has no address on its channel (a requester known by a mobile number
only, told by e-mail), whose address is not one (a number that is no telephone number), or whose
recipient spec names nobody (a role no active user holds) becomes an outbox row in the ``dead`` state
with an empty recipient and ``last_error`` ``undeliverable (CODE): WHO``. The staff ticket page, the
outbox page and ``/healthz`` read it back with :func:`parse`; the dispatcher never claims it.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

Code = Literal["no_address", "invalid_address", "no_recipient"]
CODES: tuple[Code, ...] = ("no_address", "invalid_address", "no_recipient")

_PATTERN = re.compile(r"undeliverable \((no_address|invalid_address|no_recipient)\): (.*)", re.S)
MARKS: tuple[str, ...] = tuple(f"undeliverable ({code}): " for code in CODES)
"""How the ``last_error`` of an undeliverable row starts, one text per code (what :func:`parse` reads; the
store counts such rows by it: ``Store.count_outbox``)."""


class Undeliverable(msgspec.Struct, frozen=True):
    code: Code
    who: str
    """The recipient as the workflow named it: ``requester``, ``user:ID``, ``role:ID``…"""

    def text(self) -> str:
        return f"undeliverable ({self.code}): {self.who}"


def parse(error: str | None) -> Undeliverable | None:
    """The reason of an undeliverable row; ``None`` for any other error (a gateway's)."""
    found = _PATTERN.fullmatch(error or "")
    if found is None:
        return None
    code = next(c for c in CODES if c == found.group(1))
    return Undeliverable(code=code, who=found.group(2))
