"""The JSON shapes of the API (msgspec Structs), built from the catalogue."""

from __future__ import annotations

from typing import Any

import msgspec

from server.definitions.catalogue import CompiledService
from server.definitions.model import Text, Workflow


class ServiceSummary(msgspec.Struct, frozen=True):
    id: str
    name: Text
    department: str
    version: int
    login_required: bool


class ServiceDetail(msgspec.Struct, frozen=True):
    id: str
    name: Text
    department: str
    version: int
    login_required: bool
    service: dict[str, Any]
    form: dict[str, Any]
    workflow: Workflow


SHIPPED_VERSION = 1
"""The shipped definitions are each service's first published version (the store numbers later ones)."""


def service_summary(compiled: CompiledService) -> ServiceSummary:
    s = compiled.service
    return ServiceSummary(
        id=s.id,
        name=s.name,
        department=s.department,
        version=SHIPPED_VERSION,
        login_required=s.login_required,
    )


def service_detail(compiled: CompiledService) -> ServiceDetail:
    s = compiled.service
    return ServiceDetail(
        id=s.id,
        name=s.name,
        department=s.department,
        version=SHIPPED_VERSION,
        login_required=s.login_required,
        service=msgspec.to_builtins(s),
        form=compiled.form.schema,
        workflow=compiled.workflow,
    )
