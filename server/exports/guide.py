"""The human-readable service guide, regenerated from the published definitions (Arabic and English).

Per service, in the order of the seed guide: name, department, description, requirements, steps,
audience, channels, contact, hours. Standalone HTML, autoescaped (Jinja2 with autoescape on).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

from server.definitions.catalogue import CompiledService
from server.definitions.model import Contact, Organisation

HEADINGS = {
    "ar": {
        "title": "دليل الخدمات",
        "department": "الإدارة / القسم",
        "description": "وصف الخدمة",
        "requirements": "متطلبات الخدمة",
        "steps": "خطوات الحصول على الخدمة",
        "audience": "الفئة المستهدفة",
        "channels": "قنوات تقديم الخدمة",
        "contact": "للتواصل",
        "hours": "أوقات العمل",
        "contents": "فهرس المحتويات",
        "extension": "تحويلة",
    },
    "en": {
        "title": "Service guide",
        "department": "Department",
        "description": "Description",
        "requirements": "Requirements",
        "steps": "Steps",
        "audience": "Audience",
        "channels": "Channels",
        "contact": "Contact",
        "hours": "Working hours",
        "contents": "Contents",
        "extension": "ext.",
    },
}

TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}" dir="{{ 'rtl' if lang == 'ar' else 'ltr' }}">
<head>
<meta charset="utf-8">
<title>{{ h.title }} — {{ org.name.get(lang) }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.6; }
section.service { border-top: 2px solid #0b6e4f; margin-top: 2rem; padding-top: 1rem; }
dt { font-weight: bold; margin-top: .75rem; }
</style>
</head>
<body>
<header>
<p>{{ org.parent.get(lang) if org.parent else '' }}</p>
<h1>{{ h.title }} — {{ org.name.get(lang) }}</h1>
</header>
<nav><h2>{{ h.contents }}</h2><ol>
{% for s in services %}<li><a href="#{{ s.id }}">{{ s.name }}</a></li>
{% endfor %}</ol></nav>
{% for s in services %}
<section class="service" id="{{ s.id }}">
<h2>{{ s.name }}</h2>
<dl>
<dt>{{ h.department }}</dt><dd>{{ s.department }}</dd>
<dt>{{ h.description }}</dt><dd><ul>{% for t in s.description %}<li>{{ t }}</li>{% endfor %}</ul></dd>
<dt>{{ h.requirements }}</dt><dd><ul>{% for t in s.requirements %}<li>{{ t }}</li>{% endfor %}</ul></dd>
<dt>{{ h.steps }}</dt><dd><ol>{% for t in s.steps %}<li>{{ t }}</li>{% endfor %}</ol></dd>
<dt>{{ h.audience }}</dt><dd>{{ s.audience }}</dd>
<dt>{{ h.channels }}</dt><dd><ul>{% for t in s.channels %}<li>{{ t }}</li>{% endfor %}</ul></dd>
<dt>{{ h.contact }}</dt><dd>{% if s.unit %}{{ s.unit }}<br>{% endif %}
{% for p in s.phones %}<span dir="ltr">{{ p }}</span><br>{% endfor %}
{% if s.email %}<a href="mailto:{{ s.email }}" dir="ltr">{{ s.email }}</a>{% endif %}</dd>
<dt>{{ h.hours }}</dt><dd>{{ s.hours }}</dd>
</dl>
</section>
{% endfor %}
</body>
</html>
"""


@cache
def _template() -> Template:
    """The guide's template, compiled with the first guide asked for (not with every start)."""
    return Environment(autoescape=True, undefined=StrictUndefined).from_string(TEMPLATE)


def _service(compiled: CompiledService, lang: str) -> dict[str, Any]:
    service, organisation = compiled.service, compiled.organisation
    contact: Contact = service.contact or organisation.contact
    department = organisation.departments.get(service.department)
    extension = HEADINGS[lang]["extension"]
    hours = contact.hours or organisation.contact.hours
    return {
        "id": service.id,
        "name": service.name.get(lang),
        "department": department.name.get(lang) if department else service.department,
        "description": [t.get(lang) for t in service.description],
        "requirements": [t.get(lang) for t in service.requirements],
        "steps": [t.get(lang) for t in service.steps],
        "audience": service.audience.get(lang),
        "channels": [
            organisation.channels[c].name.get(lang) if c in organisation.channels else c
            for c in service.channels
        ],
        "unit": contact.unit.get(lang) if contact.unit else "",
        "phones": [
            p.number + (f" ({extension} {p.extension})" if p.extension else "") for p in contact.phones
        ],
        "email": contact.email or "",
        "hours": hours.get(lang) if hours else "",
    }


def service_guide(services: Sequence[CompiledService], organisation: Organisation, lang: str = "ar") -> str:
    """The guide as a standalone HTML page, ``dir=rtl`` in Arabic."""
    lang = "en" if lang == "en" else "ar"
    return _template().render(
        lang=lang,
        h=HEADINGS[lang],
        org=organisation,
        services=[_service(s, lang) for s in services if s.service.published],
    )
