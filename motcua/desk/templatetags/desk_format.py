"""Numbers as Vietnamese staff read them (``8.000 đ``, whatever the page's language), phone numbers in
their national form, and the system's own step names in the page's language."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext

from motcua.domain.figures import format_vnd, group_digits
from motcua.domain.states import DEFAULT_STEPS, RESULT_STEP
from motcua.dossiers.services import SUPPLEMENT_STEP

register = template.Library()


@register.filter
def vnd(value: object) -> str:
    try:
        return format_vnd(int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


@register.filter
def digits(value: object) -> str:
    try:
        return group_digits(int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


# Steps the system itself names (an agency's own procedure steps are data and shown as entered).
SYSTEM_STEPS = frozenset({*DEFAULT_STEPS, RESULT_STEP, SUPPLEMENT_STEP})


@register.filter
def step_label(value: str) -> str:
    return pgettext("step", value) if value in SYSTEM_STEPS else value


@register.filter
def national_phone(value: str) -> str:
    """``84912345678`` → ``0912345678``."""
    return "0" + value[2:] if isinstance(value, str) and value.startswith("84") and len(value) == 11 else value
