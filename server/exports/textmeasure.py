"""How wide a text is drawn, for sizing a diagram's boxes: the advance widths of the shipped Noto Naskh
Arabic (server/static/vendor/fonts, the pages' font), read with fontTools.

Arabic letters change shape with their neighbours; rather than shape the text, each character counts as
its widest form (isolated, initial, medial or final — the font's ``isol``/``init``/``medi``/``fina``
substitutions), so a measured width is an upper bound of the drawn one; ligatures (lam-alef) only make
the drawn text narrower. A character missing from both fonts counts as the widest Latin letter.

``wrap`` breaks a long name at spaces onto several lines, each no wider than asked when the words allow.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any


def _font(path: Path) -> Any:
    """The font at ``path`` (fontTools, imported with the first diagram measured, not with the server)."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    return TTFont(str(path))


FONTS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "fonts"
FACES = {
    False: ("noto-naskh-arabic-latin-400-normal.woff2", "noto-naskh-arabic-arabic-400-normal.woff2"),
    True: ("noto-naskh-arabic-latin-700-normal.woff2", "noto-naskh-arabic-arabic-700-normal.woff2"),
}
POSITIONAL = ("isol", "init", "medi", "fina")
SLACK = 1.08
"""Boxes are this much wider than their measured text: room for a fallback font a little wider."""


def _widest_forms(font: Any) -> dict[int, float]:
    """code point → its widest advance over the positional forms, in em."""
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    forms: dict[str, set[tuple[str, ...]]] = {}
    if "GSUB" in font:
        table = font["GSUB"].table
        lookups = table.LookupList.Lookup
        for record in table.FeatureList.FeatureRecord:
            if record.FeatureTag not in POSITIONAL:
                continue
            for index in record.Feature.LookupListIndex:
                for subtable in lookups[index].SubTable:
                    mapping = getattr(subtable, "mapping", None)
                    if mapping is None and hasattr(subtable, "ExtSubTable"):
                        mapping = getattr(subtable.ExtSubTable, "mapping", None)
                    for source, target in (mapping or {}).items():  # single or multiple substitution
                        glyphs = (target,) if isinstance(target, str) else tuple(target)
                        forms.setdefault(source, set()).add(glyphs)
    widths: dict[int, float] = {}
    for code, glyph in font.getBestCmap().items():
        variants = {(glyph,), *forms.get(glyph, ())}
        advance = max(sum(metrics[g][0] for g in glyphs if g in metrics) for glyphs in variants)
        widths[code] = advance / units
    return widths


@lru_cache(maxsize=2)
def _table(bold: bool) -> dict[int, float]:
    widths: dict[int, float] = {}
    for name in FACES[bold]:
        with _font(FONTS / name) as font:
            for code, width in _widest_forms(font).items():
                widths[code] = max(width, widths.get(code, 0.0))
    return widths


@lru_cache(maxsize=1)
def line_metrics() -> tuple[float, float]:
    """(ascent, descent) of a line, in em: the fonts' own, the tallest of the two subsets."""
    ascent = descent = 0.0
    for name in FACES[False]:
        with _font(FONTS / name) as font:
            units = font["head"].unitsPerEm
            ascent = max(ascent, font["hhea"].ascent / units)
            descent = max(descent, -font["hhea"].descent / units)
    return ascent, descent


def line_height(size: float) -> float:
    ascent, descent = line_metrics()
    return (ascent + descent) * size


def _fallback(bold: bool) -> float:
    table = _table(bold)
    return max(table.get(ord(c), 0.6) for c in "MW")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` at font size ``size`` (an upper bound for the shipped font)."""
    table = _table(bold)
    fallback = _fallback(bold)
    return sum(table.get(ord(c), fallback) for c in text) * size


def wrap(text: str, max_width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``max_width`` (a longer word keeps its own line)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size, bold) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current or not lines:
        lines.append(current)
    return lines
