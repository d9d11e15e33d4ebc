"""The JSON shapes of the API (msgspec Structs), built from published definitions."""

from __future__ import annotations

from typing import Any

import msgspec

from server.definitions.catalogue import CompiledService
from server.definitions.model import Text, Workflow
from server.definitions.served import served
from server.store.records import DefinitionVersion


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


def service_summary(version: DefinitionVersion, compiled: CompiledService) -> ServiceSummary:
    s = compiled.service
    return ServiceSummary(
        id=s.id,
        name=s.name,
        department=s.department,
        version=version.version,
        login_required=s.login_required,
    )


def service_detail(version: DefinitionVersion, compiled: CompiledService) -> ServiceDetail:
    s = compiled.service
    return ServiceDetail(
        id=s.id,
        name=s.name,
        department=s.department,
        version=version.version,
        login_required=s.login_required,
        service=msgspec.to_builtins(s),
        form=served(compiled.form.schema),
        workflow=compiled.workflow,
    )
