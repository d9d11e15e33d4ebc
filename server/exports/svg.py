"""A workflow as an SVG diagram: states as boxes in layers (BFS depth from the initial state), actions as
labelled arrows; labels in one language (``lang``); every text escaped."""

from __future__ import annotations

from markupsafe import escape

from server.definitions.model import Workflow
from server.exports.layout import initial_states, layers

BOX_W, BOX_H = 180, 48
COL_W, ROW_H = 300, 110
MARGIN = 40


def workflow_svg(workflow: Workflow, lang: str = "ar") -> str:
    grouped = layers(workflow)
    position: dict[str, tuple[float, float]] = {}
    for depth, states in enumerate(grouped):
        for row, state_id in enumerate(states):
            position[state_id] = (MARGIN + depth * COL_W, MARGIN + 30 + row * ROW_H)
    width = MARGIN * 2 + max(len(grouped), 1) * COL_W
    height = MARGIN * 2 + 30 + max((len(s) for s in grouped), default=1) * ROW_H
    rtl = lang != "en"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" '
        f'direction="{"rtl" if rtl else "ltr"}" lang="{escape(lang)}">',
        f"<title>{escape(workflow.name.get(lang))}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
        f'<text x="{MARGIN}" y="{MARGIN}" font-size="16" font-weight="bold" direction="ltr">'
        f"{escape(workflow.name.get(lang))}</text>",
    ]
    initials = set(initial_states(workflow))
    # arrows first, so the boxes are drawn over their ends
    loops: dict[str, int] = {}
    for action_id, action in workflow.actions.items():
        label = escape(action.label.get(lang))
        for source in action.from_:
            sx, sy = position[source]
            if action.to is None or action.to == source:
                index = loops.get(source, 0)
                loops[source] = index + 1
                top = sy - 8 - index * 4
                parts.append(
                    f'<path class="action" data-action="{escape(action_id)}" d="M{sx + 40},{sy} '
                    f'C{sx + 40},{top - 24} {sx + 140},{top - 24} {sx + 140},{sy}" fill="none" '
                    f'stroke="#777" marker-end="url(#arrow)"/>'
                )
                parts.append(
                    f'<text x="{sx + 90}" y="{top - 26 - index * 12}" text-anchor="middle" fill="#333">{label}</text>'
                )
                continue
            tx, ty = position[action.to]
            x1, y1 = sx + BOX_W, sy + BOX_H / 2
            x2, y2 = tx, ty + BOX_H / 2
            if tx <= sx:  # backwards: leave from the bottom, come back in at the bottom
                x1, y1, x2, y2 = sx + BOX_W / 2, sy + BOX_H, tx + BOX_W / 2, ty + BOX_H
            parts.append(
                f'<line class="action" data-action="{escape(action_id)}" x1="{x1:g}" y1="{y1:g}" '
                f'x2="{x2:g}" y2="{y2:g}" stroke="#444" marker-end="url(#arrow)"/>'
            )
            parts.append(
                f'<text x="{(x1 + x2) / 2:g}" y="{(y1 + y2) / 2 - 4:g}" text-anchor="middle" '
                f'fill="#333">{label}</text>'
            )
    for state_id, state in workflow.states.items():
        x, y = position[state_id]
        closed = state.category == "closed"
        fill = "#e8f5e9" if closed else "#fff3e0" if state_id in initials else "#e3f2fd"
        stroke_width = 3 if state_id in initials else 1.5
        parts.append(
            f'<g class="state" data-state="{escape(state_id)}" data-category="{escape(state.category)}">'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="{14 if closed else 6}" '
            f'fill="{fill}" stroke="#333" stroke-width="{stroke_width}"/>'
            f'<text x="{x + BOX_W / 2:g}" y="{y + BOX_H / 2 + 4:g}" text-anchor="middle">'
            f"{escape(state.label.get(lang))}</text></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
