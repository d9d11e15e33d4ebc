"""Validating submitted data against a form schema, with field errors in Arabic and English.

jsonschema is the reference validator; issue 4 picks the fastest safe one by a benchmark and
plugs it in behind :func:`validate`. Messages never show the validator's English: each JSON
Schema keyword maps to a bilingual sentence, attached to the JSON pointer of the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
import msgspec
from jsonschema.exceptions import ValidationError

from server.definitions.errors import pointer_from_path
from server.definitions.forms import fields
from server.definitions.model import Form, Text


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    """A JSON pointer into the submitted data (``/items/0/quantity``); ``""`` is the whole form."""
    message: Text


_validators: dict[int, tuple[Form, jsonschema.Draft202012Validator]] = {}
_fields: dict[int, tuple[Form, frozenset[str]]] = {}


def _declared(form: Form) -> frozenset[str]:
    cached = _fields.get(id(form))
    if cached is None or cached[0] is not form:
        cached = (form, frozenset(fields(form.schema)))
        _fields[id(form)] = cached
    return cached[1]


def _validator(form: Form) -> jsonschema.Draft202012Validator:
    cached = _validators.get(id(form))
    if cached is None or cached[0] is not form:
        validator = jsonschema.Draft202012Validator(
            form.schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        cached = (form, validator)
        _validators[id(form)] = cached
    return cached[1]


def _n(value: Any) -> str:
    return str(value)


def message_for(error: ValidationError) -> Text:
    v, limit = error.validator, error.validator_value
    if v == "required":
        return Text(ar="هذا الحقل مطلوب", en="This field is required")
    if v == "type":
        return Text(ar="القيمة ليست من النوع المطلوب", en="The value is not of the expected kind")
    if v == "minLength":
        if limit == 1:
            return Text(ar="هذا الحقل مطلوب", en="This field is required")
        return Text(ar=f"يجب ألا يقل النص عن {_n(limit)} أحرف", en=f"Enter at least {_n(limit)} characters")
    if v == "maxLength":
        return Text(ar=f"يجب ألا يزيد النص عن {_n(limit)} حرفاً", en=f"Enter at most {_n(limit)} characters")
    if v == "pattern":
        return Text(ar="الصيغة غير صحيحة", en="The format is not valid")
    if v == "format":
        names = {
            "email": ("بريداً إلكترونياً صحيحاً", "a valid e-mail address"),
            "date": ("تاريخاً صحيحاً", "a valid date"),
            "time": ("وقتاً صحيحاً", "a valid time"),
            "date-time": ("تاريخاً ووقتاً صحيحين", "a valid date and time"),
            "uri": ("رابطاً صحيحاً", "a valid link"),
        }
        ar, en = names.get(str(limit), ("قيمة بالصيغة المطلوبة", "a value in the expected format"))
        return Text(ar=f"أدخل {ar}", en=f"Enter {en}")
    if v in ("enum", "const", "oneOf") and _is_choice(error):
        return Text(ar="اختر أحد الخيارات المتاحة", en="Choose one of the options")
    if v in ("minimum", "exclusiveMinimum"):
        return Text(ar=f"يجب ألا تقل القيمة عن {_n(limit)}", en=f"Enter a value of at least {_n(limit)}")
    if v in ("maximum", "exclusiveMaximum"):
        return Text(ar=f"يجب ألا تزيد القيمة عن {_n(limit)}", en=f"Enter a value of at most {_n(limit)}")
    if v == "minItems":
        return Text(ar=f"أضف {_n(limit)} عنصراً على الأقل", en=f"Add at least {_n(limit)} item(s)")
    if v == "maxItems":
        return Text(ar=f"لا يزيد العدد عن {_n(limit)}", en=f"Add at most {_n(limit)} item(s)")
    if v == "uniqueItems":
        return Text(ar="لا تكرر العناصر", en="Do not repeat items")
    if v == "additionalProperties":
        return Text(ar="يحتوي النموذج على حقول غير متوقعة", en="The form holds unexpected fields")
    if v in ("anyOf", "oneOf"):
        return Text(ar="أكمل أحد الخيارات المطلوبة", en="Complete one of the required alternatives")
    if v == "dependentRequired":
        return Text(ar="هذا الحقل مطلوب", en="This field is required")
    return Text(ar="القيمة غير صحيحة", en="The value is not valid")


def _is_choice(error: ValidationError) -> bool:
    if error.validator in ("enum", "const"):
        return True
    options = error.validator_value
    return isinstance(options, list) and all(isinstance(o, Mapping) and "const" in o for o in options)


def _path(error: ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    elif error.validator == "dependentRequired":
        # "'x' is a dependency of 'y'": the missing field is the first name
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return pointer_from_path(path)


def apply_defaults(form: Form, data: Mapping[str, Any]) -> dict[str, Any]:
    """Fill top-level fields that are absent and declare a ``default`` (hidden and read-only fields)."""
    filled = dict(data)
    for name, sub in (form.schema.get("properties") or {}).items():
        if name not in filled and isinstance(sub, Mapping) and "default" in sub:
            filled[name] = sub["default"]
    return filled


def validate(form: Form, data: Any) -> list[FieldError]:
    """Every problem of ``data`` against ``form``, one per field (the first found for that field).

    A top-level field the form does not declare (anywhere, conditional fields included) is an error
    too: what is stored is what the form asked for, nothing else."""
    errors: dict[str, FieldError] = {}
    if isinstance(data, Mapping):
        declared = _declared(form)
        for name in data:
            if name not in declared:
                path = pointer_from_path([name])
                errors[path] = FieldError(
                    path=path,
                    message=Text(ar="حقل غير موجود في النموذج", en="This field is not part of the form"),
                )
    for error in sorted(_validator(form).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = _path(error)
        if path not in errors:
            errors[path] = FieldError(path=path, message=message_for(error))
    return list(errors.values())
