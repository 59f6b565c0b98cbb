"""Numbers as Vietnamese staff read them: ``8.000 đ``, whatever the page's language."""

from __future__ import annotations

from django import template

from motcua.domain.figures import format_vnd, group_digits

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
