"""The form renderer: JSON Schema 2020-12 forms with khidma's ``x-`` hints as server-side HTML.

- ``view.build_form`` turns a form, its data and its errors into a view-model (no HTML);
- ``html.render_form_fields`` (and ``render_field``, ``render_group``) render it with
  ``templates/forms/_fields.html``;
- ``coerce.coerce`` turns a form post back into JSON data typed by the schema, ``coerce.group_action``
  and ``coerce.apply_group_action`` handle the add/remove row buttons without JavaScript.
"""

from server.forms.coerce import apply_group_action, coerce, group_action
from server.forms.fields import GROUP_BUTTON, FieldView, FormView, Option, SummaryItem
from server.forms.html import (
    environment,
    render_error_summary,
    render_field,
    render_form_fields,
    render_group,
)
from server.forms.view import build_form

__all__ = [
    "GROUP_BUTTON",
    "FieldView",
    "FormView",
    "Option",
    "SummaryItem",
    "apply_group_action",
    "build_form",
    "coerce",
    "environment",
    "group_action",
    "render_error_summary",
    "render_field",
    "render_form_fields",
    "render_group",
]
