"""Where the shipped definitions and templates are: beside the package in a source checkout,
or inside it (``server/_shipped``) in an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped_root() -> Path:
    """The directory holding ``service_definitions/``, ``form_schemas/``, ``workflows/``, ``templates/``."""
    checkout = PACKAGE.parent
    if (checkout / "service_definitions").is_dir() and (checkout / "workflows").is_dir():
        return checkout
    return PACKAGE / "_shipped"
