"""Where the files of a definitions tree live, and the decoded tree the cross-reference checks read.

Owns the file names of a tree (:data:`ORGANISATION_FILE`, :func:`service_file`, :func:`workflow_file`,
:func:`form_file`) and the :class:`Tree` record.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from server.definitions.model import Form, Organisation, Service, Workflow

ORGANISATION_FILE = "service_definitions/organisation.json"


def service_file(service_id: str) -> str:
    return f"service_definitions/{service_id}.json"


def workflow_file(workflow_id: str) -> str:
    return f"workflows/{workflow_id}.json"


def form_file(form_id: str) -> str:
    return f"form_schemas/{form_id}.json"


class Tree(msgspec.Struct, frozen=True):
    """The decoded definitions of a tree, and the ids of files that exist but failed earlier checks
    (so a reference to them is not reported a second time as unknown)."""

    organisation: Organisation | None
    services: Mapping[str, Service]
    forms: Mapping[str, Form]
    workflows: Mapping[str, Workflow]
    broken_forms: frozenset[str] = frozenset()
    broken_workflows: frozenset[str] = frozenset()
