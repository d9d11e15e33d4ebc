"""A script of ``bench/`` loaded as a module, for the tests that check it or build data its way (``bench/``
is not a package: each script runs on its own)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any


def bench_module(script: str, name: str) -> Any:
    """``bench/<script>`` imported under ``name`` (kept in ``sys.modules``, as its dataclasses need)."""
    path = Path(__file__).resolve().parents[1] / "bench" / script
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
