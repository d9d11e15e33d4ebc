"""Telephone numbers as the SMS and WhatsApp gateways need them: E.164 (``+966551234567``).

A number is read the way people write it — local (``0551234567``), international with or without
``+``/``00``, spaced or dashed, in Arabic-Indic (``٠٥٥…``) or Persian digits — with ``phonenumbers``
(Google's libphonenumber metadata, kept current upstream) and the Saudi region as the default for a
number written without a country code. A number that cannot be a telephone number gives ``None``:
the caller records the message as undeliverable instead of sending it to a wrong address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers

DEFAULT_REGION = "SA"

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as ASCII; everything else as it was."""
    return text.translate(_DIGITS)


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """``raw`` in E.164, or ``None`` when it is not a possible telephone number."""
    if not raw or not raw.strip():
        return None
    text = ascii_digits(raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def telephone_fields_ascii(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with the top-level telephone fields (``x-widget: tel``, or the form's requester mobile)
    in ASCII digits — what a page post gets from the form coercion, for JSON clients too."""
    properties = schema.get("properties") or {}
    mobile = (schema.get("x-requester") or {}).get("mobile")
    fixed = dict(data)
    for name, value in data.items():
        field = properties.get(name)
        tel = name == mobile or (isinstance(field, Mapping) and field.get("x-widget") == "tel")
        if tel and isinstance(value, str):
            fixed[name] = ascii_digits(value)
    return fixed
