"""Compiled notification templates cached by content hash (issue 14: start-up does not recompile).

Compiling a template — parsing it, the static checks of ``texts.compile_template``, and Jinja's
generation and ``compile()`` of its Python code — is most of what loading a definitions tree costs. The
outcome depends only on the template's text and on the code that checks and compiles it, so it is kept
under a key hashing the text, Python's and Jinja's versions and the source of the modules that decide
it (``texts.py``, ``text_plan.py``, ``sandbox.py``, this one): a change to any of them is a new key. A template that fails
its checks is never cached (it raises, as before).

Kept in memory (one process compiles a text once, whichever services share it) and on disk, in
``$KHIDMA_CACHE_DIR`` or ``$XDG_CACHE_HOME/khidma`` (``~/.cache/khidma``), one ``marshal`` file per
template, written atomically, in a directory only this user can write (``0700``) — as Python's own
``__pycache__`` and Jinja's bytecode cache do. A directory that cannot be written, or a file that
cannot be read back, is a cache miss, never an error.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

Entry = tuple[
    CodeType,
    tuple[
        tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], bool, bool, tuple[Any, ...] | None
    ],
]
"""The template's compiled code and its references (data, action, vars, links, survey, assigned plainly)
and its straight-line plan (``text_plan``), if it has one."""

_HERE = Path(__file__).resolve().parent
_memory: dict[str, Entry] = {}


def _code_version() -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version}\0{jinja2.__version__}\0".encode())
    for name in ("texts.py", "text_plan.py", "sandbox.py", "template_cache.py"):
        try:
            digest.update((_HERE / name).read_bytes())
        except OSError:  # an installed tree without sources: no disk cache
            return ""
    return digest.hexdigest()


_VERSION = _code_version()


def directory() -> Path | None:
    if not _VERSION:
        return None
    configured = os.environ.get("KHIDMA_CACHE_DIR")
    if configured:
        return Path(configured) / "templates"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "khidma" / "templates"


def _key(source: str) -> str:
    return hashlib.sha256(f"{_VERSION}\0{source}".encode()).hexdigest()


def load(source: str) -> Entry | None:
    key = _key(source)
    found = _memory.get(key)
    if found is not None:
        return found
    where = directory()
    if where is None:
        return None
    try:
        entry = marshal.loads((where / key[:2] / key).read_bytes())  # noqa: S302 (our own 0700 cache)
        code, refs = entry
        if not isinstance(code, CodeType):
            return None
    except (OSError, ValueError, EOFError, TypeError):
        return None
    _memory[key] = (code, refs)
    return code, refs


def store(source: str, entry: Entry) -> None:
    key = _key(source)
    _memory[key] = entry
    where = directory()
    if where is None:
        return
    try:
        folder = where / key[:2]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(handle, "wb") as file:
            file.write(marshal.dumps(entry))
        Path(temporary).replace(folder / key)
    except OSError:
        return
