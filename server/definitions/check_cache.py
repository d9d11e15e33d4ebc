"""Definition documents that passed their checks, remembered by content hash (issue 14: start-up).

Checking a document against its meta-schema (jsonschema, in Python) and the form checks of
``loader._validate`` is a third of loading the shipped tree, and its outcome depends only on the
document and on the code and meta-schemas that check it. A document that passed is remembered under a
key hashing its canonical JSON, its kind, and a version of the checking code — every ``.py`` and
meta-schema file of ``server/definitions`` and the versions of Python, jsonschema and jsonschema-rs — so
any change there checks everything again. Only passes are remembered: a document with problems is
checked every time, and reports them as before.

Kinds beside the documents' own (``service``, ``form``, ``workflow``, ``organisation``): ``json``, a
file's text that parsed without duplicate keys or excess depth (``loader._parse`` then reads it with the
plain C parser); ``template_uses``, a service with its form, workflow, organisation and action forms
whose notification templates rendered against sample data without a problem
(``WorkflowChecker.for_service``).

In memory and on disk beside the template cache (``template_cache.directory()``): one empty file per
document that passed. A directory that cannot be written is a cache miss, never an error.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec

from server.definitions import template_cache

_HERE = Path(__file__).resolve().parent
_passed: set[str] = set()


def _code_version() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for package in ("jsonschema", "jsonschema-rs"):
        try:
            digest.update(f"\0{package} {metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{package} none".encode())
    files = sorted([*_HERE.glob("*.py"), *_HERE.glob("metaschemas/*.json")])
    if not files:
        return ""
    for path in files:
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            return ""
    return digest.hexdigest()


_VERSION = _code_version()


def _key(kind: str, document: Any) -> str:
    """The document's key: its canonical JSON, or — a file's text (``bytes``) — that text as it is."""
    if isinstance(document, bytes):
        canonical = document
    else:
        try:
            canonical = msgspec.json.encode(document, order="sorted")
        except (TypeError, msgspec.EncodeError):
            return ""
    return hashlib.sha256(f"{_VERSION}\0{kind}\0".encode() + canonical).hexdigest()


def _directory() -> Path | None:
    templates = template_cache.directory()
    return None if templates is None or not _VERSION else templates.parent / "checked"


def passed(kind: str, document: Any) -> bool:
    """Whether this very document of this kind passed the checks of this very code before (a file's
    text, as ``bytes``, is remembered as it is: the checks of its syntax)."""
    key = _key(kind, document)
    if not key:
        return False
    if key in _passed:
        return True
    where = _directory()
    if where is not None and (where / key).exists():
        _passed.add(key)
        return True
    return False


def remember(kind: str, document: Any) -> None:
    key = _key(kind, document)
    if not key:
        return
    _passed.add(key)
    where = _directory()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        (where / key).touch()
    except OSError:
        return
