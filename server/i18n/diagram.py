"""The workflow diagram's words: its text alternative (issue 13)."""

from __future__ import annotations

from server.definitions.model import Text

DIAGRAM_MESSAGES: dict[str, Text] = {
    "diagram_title": Text(ar="مخطط سير العمل: {name}", en="Workflow diagram: {name}"),
    "diagram_states": Text(ar="المراحل", en="States"),
    "diagram_start": Text(ar="البداية", en="Starts at"),
    "diagram_closed": Text(ar="مغلقة", en="closed"),
    "diagram_actions": Text(ar="الإجراءات", en="Actions"),
    "diagram_keeps": Text(ar="تبقى في المرحلة نفسها", en="stays in the same state"),
    "diagram_too_large": Text(
        ar="سير العمل أكبر من أن يُرسم ({states} مرحلة، {actions} إجراء): الوصف النصي أعلاه يسرد مراحله وإجراءاته.",
        en="This workflow is too large to draw ({states} states, {actions} actions): "
        "its text description lists its states and actions.",
    ),
}
