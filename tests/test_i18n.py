"""The interface texts: one catalogue per area, every key in both languages, none defined twice."""

from __future__ import annotations

import importlib
import pkgutil

import server.i18n
from server.definitions.model import Text
from server.i18n import MESSAGES


def catalogues() -> dict[str, dict[str, Text]]:
    found = {}
    for module in pkgutil.iter_modules(server.i18n.__path__):
        loaded = importlib.import_module(f"server.i18n.{module.name}")
        for name, value in vars(loaded).items():
            if name.endswith("_MESSAGES") and isinstance(value, dict):
                found[f"{module.name}.{name}"] = value
    return found


def test_no_key_is_defined_in_two_catalogues() -> None:
    owner: dict[str, str] = {}
    twice = []
    for name, catalogue in catalogues().items():
        for key in catalogue:
            if key in owner:
                twice.append((key, owner[key], name))
            owner[key] = name
    assert not twice, twice


def test_every_catalogue_is_merged() -> None:
    for catalogue in catalogues().values():
        for key, text in catalogue.items():
            assert MESSAGES[key] is text, key


def test_every_message_has_both_languages() -> None:
    for key, text in MESSAGES.items():
        assert text.ar.strip() and text.en.strip(), key
