"""The loaded, checked definitions: what the engine and the web layer run on."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from jinja2 import Template

from server.definitions.expressions import Expression
from server.definitions.model import Form, Language, Organisation, Service, Workflow


class NotificationTemplate(msgspec.Struct, frozen=True):
    """A notification template compiled per language: subject (optional) and body."""

    id: str
    subject: Mapping[Language, Template]
    body: Mapping[Language, Template]
    assigned_plainly: bool = False
    """Every text of it quotes a new ticket's number only whole (``texts.References.assigned_plainly``):
    it can be rendered before the ticket's transaction."""


class CompiledService(msgspec.Struct, frozen=True):
    """One service with everything it runs on, compiled once at load."""

    service: Service
    form: Form
    workflow: Workflow
    organisation: Organisation
    action_forms: Mapping[str, Form]
    """action id → its action form (from ``form_schemas/`` or inline)."""
    guards: Mapping[str, Expression]
    """guard id → the guard's expression, type-checked against this service's form."""
    conditions: Mapping[str, Expression]
    """JSON pointer of an effect in the workflow → its ``when`` expression."""
    templates: Mapping[str, NotificationTemplate]


class Catalogue(msgspec.Struct, frozen=True):
    organisation: Organisation
    services: Mapping[str, CompiledService]
    forms: Mapping[str, Form]
    workflows: Mapping[str, Workflow]
    sources: Mapping[str, str] = msgspec.field(default_factory=dict)
    """relative file path → its text, as loaded (for content hashes and exports)."""
