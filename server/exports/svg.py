"""A workflow as an SVG diagram, in one language (``lang``): states as boxes, each action as a labelled
chip between the states it leaves and the state it leads to, laid out in layers (server/exports/layout.py)
left to right in English, right to left in Arabic. Boxes are sized to their measured text
(server/exports/textmeasure.py), long names wrapped onto several lines. Every text is escaped.

Accessible: ``role="img"``, a ``<title>`` and a ``<desc>`` (the states and actions in words) that
``aria-labelledby``/``aria-describedby`` name.
"""

from __future__ import annotations

import msgspec
from markupsafe import escape

from server.definitions.model import Workflow
from server.exports.layout import MARGIN, Box, Layout, LayoutTooLarge, initial_states, layered
from server.exports.textmeasure import SLACK, line_height, line_metrics, text_width, wrap
from server.i18n import t

STATE_FONT = 13.0
ACTION_FONT = 12.0
TITLE_FONT = 16.0
STATE_WRAP = 150.0
ACTION_WRAP = 120.0
STATE_PAD = (14.0, 6.0)
ACTION_PAD = (9.0, 2.0)
FONT_FAMILY = "'Noto Naskh Arabic', 'Noto Sans Arabic', 'DejaVu Sans', sans-serif"


class Label(msgspec.Struct):
    """A node's text: its lines and the box around them."""

    lines: list[str]
    size: float
    bold: bool
    width: float
    height: float


def label(text: str, size: float, wrap_at: float, pad: tuple[float, float], bold: bool = False) -> Label:
    lines = wrap(text, wrap_at, size, bold)
    widest = max(text_width(line, size, bold) for line in lines)
    return Label(lines, size, bold, widest * SLACK + 2 * pad[0], len(lines) * line_height(size) + 2 * pad[1])


def action_nodes(workflow: Workflow) -> list[tuple[str, str, list[str], str]]:
    """(node id, action id, the states it leaves, the state it leads to) — one node per action with a
    ``to``, one per ``from`` state for an action that keeps the state."""
    nodes = []
    for action_id, action in workflow.actions.items():
        if action.to is not None:
            nodes.append((f"a:{action_id}", action_id, list(action.from_), action.to))
        else:
            for source in action.from_:
                nodes.append((f"a:{action_id}:{source}", action_id, [source], source))
    return nodes


def diagram_layout(workflow: Workflow, lang: str) -> tuple[Layout, dict[str, Label]]:
    """The layout of the diagram's boxes (without the title band) and each box's text."""
    labels: dict[str, Label] = {}
    order = initial_states(workflow) + [s for s in workflow.states if s not in initial_states(workflow)]
    for state_id in order:
        labels[f"s:{state_id}"] = label(
            workflow.states[state_id].label.get(lang), STATE_FONT, STATE_WRAP, STATE_PAD
        )
    edges: list[tuple[str, str]] = []
    for node_id, action_id, sources, target in action_nodes(workflow):
        labels[node_id] = label(
            workflow.actions[action_id].label.get(lang), ACTION_FONT, ACTION_WRAP, ACTION_PAD
        )
        edges.extend((f"s:{source}", node_id) for source in sources)
        edges.append((node_id, f"s:{target}"))
    nodes = [(n, lab.width, lab.height, 0) for n, lab in labels.items()]
    return layered(nodes, edges, rtl=lang != "en"), labels


def _text(box: Box, lab: Label, css: str) -> str:
    ascent, _ = line_metrics()
    step = line_height(lab.size)
    top = box.y + (box.height - step * len(lab.lines)) / 2
    weight = ' font-weight="bold"' if lab.bold else ""
    return "".join(
        f'<text class="{css}" x="{box.x + box.width / 2:.1f}" y="{top + i * step + ascent * lab.size:.1f}" '
        f'font-size="{lab.size:g}"{weight} text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(lab.lines)
    )


def _description(workflow: Workflow, lang: str) -> str:
    states = [
        workflow.states[s].label.get(lang)
        + (f" ({t('diagram_closed', lang)})" if workflow.states[s].category == "closed" else "")
        for s in workflow.states
    ]
    starts = [workflow.states[s].label.get(lang) for s in initial_states(workflow)]
    actions = []
    for action in workflow.actions.values():
        sources = "، ".join(workflow.states[s].label.get(lang) for s in action.from_)
        target = workflow.states[action.to].label.get(lang) if action.to else t("diagram_keeps", lang)
        actions.append(f"{action.label.get(lang)}: {sources} → {target}")
    comma = "، " if lang != "en" else ", "
    return (
        f"{t('diagram_start', lang)}: {comma.join(starts)}. "
        f"{t('diagram_states', lang)}: {comma.join(states)}. "
        f"{t('diagram_actions', lang)}: {'; '.join(actions)}."
    )


def _prefix(workflow: Workflow, lang: str) -> str:
    return f"diagram-{escape(workflow.id)}-{'en' if lang == 'en' else 'ar'}"


def _head(workflow: Workflow, lang: str, width: float, height: float) -> list[str]:
    """The ``<svg>`` element's opening, its title and its text alternative."""
    prefix = _prefix(workflow, lang)
    name = escape(t("diagram_title", lang).format(name=workflow.name.get(lang)))
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT_FAMILY}" '
        f'direction="{"ltr" if lang == "en" else "rtl"}" lang="{"en" if lang == "en" else "ar"}" role="img" '
        f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc">',
        f'<title id="{prefix}-title">{name}</title>',
        f'<desc id="{prefix}-desc">{escape(_description(workflow, lang))}</desc>',
    ]


def _too_large(workflow: Workflow, lang: str, title: Label) -> str:
    """No drawing: the title and a note saying why (the text alternative still lists everything)."""
    text = t("diagram_too_large", lang).format(states=len(workflow.states), actions=len(workflow.actions))
    note = label(text, STATE_FONT, 600, (0, 4))
    width = max(title.width, note.width) + 2 * MARGIN
    height = MARGIN + title.height + note.height + MARGIN
    return (
        "\n".join(
            [
                *_head(workflow, lang, width, height),
                _text(Box(0, MARGIN, width, title.height), title, "title"),
                _text(Box(0, MARGIN + title.height, width, note.height), note, "note"),
                "</svg>",
            ]
        )
        + "\n"
    )


def workflow_svg(workflow: Workflow, lang: str = "ar") -> str:
    """The diagram; for a workflow too large to lay out, its title, text alternative and a note saying so."""
    title = label(workflow.name.get(lang), TITLE_FONT, 10_000, (0, 4), bold=True)
    try:
        layout, labels = diagram_layout(workflow, lang)
    except LayoutTooLarge:
        return _too_large(workflow, lang, title)
    width = max(layout.width, title.width + 2 * MARGIN)
    dx, dy = (width - layout.width) / 2, MARGIN + title.height
    height = layout.height + dy
    prefix = _prefix(workflow, lang)
    parts = [
        *_head(workflow, lang, width, height),
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
        _text(Box(0, MARGIN, width, title.height), title, "title"),
        f'<g transform="translate({dx:.1f} {dy:.1f})">',
    ]
    edges: list[tuple[str, str, str, bool]] = []
    for node_id, action_id, sources, target in action_nodes(workflow):
        edges.extend((f"s:{source}", node_id, action_id, False) for source in sources)
        edges.append((node_id, f"s:{target}", action_id, True))
    for (_, _, action_id, arrow), route in zip(edges, layout.routes, strict=True):
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(route))
        marker = f' marker-end="url(#{prefix}-arrow)"' if arrow else ""
        parts.append(
            f'<path class="edge" data-action="{escape(action_id)}" d="{d}" fill="none" stroke="#555" '
            f'stroke-width="1.3"{marker}/>'
        )
    initials = set(initial_states(workflow))
    for node_id, action_id, _, _ in action_nodes(workflow):
        box = layout.boxes[node_id]
        parts.append(
            f'<g class="action" data-action="{escape(action_id)}">'
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
            f'rx="{box.height / 2:.1f}" fill="#fafafa" stroke="#999" stroke-width="1"/>'
            f"{_text(box, labels[node_id], 'label')}</g>"
        )
    for state_id, state in workflow.states.items():
        box = layout.boxes[f"s:{state_id}"]
        closed = state.category == "closed"
        fill = "#e8f5e9" if closed else "#fff3e0" if state_id in initials else "#e3f2fd"
        parts.append(
            f'<g class="state" data-state="{escape(state_id)}" data-category="{escape(state.category)}">'
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
            f'rx="{14 if closed else 6}" fill="{fill}" stroke="#333" '
            f'stroke-width="{3 if state_id in initials else 1.5}"/>'
            f"{_text(box, labels[f's:{state_id}'], 'name')}</g>"
        )
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"
