"""Cells of exported CSV and Excel files that hold text someone else supplied.

OWASP's CSV-injection guidance: a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read as a formula by Excel and LibreOffice. Such text is prefixed with an apostrophe, which
both programs show as a plain string. Numbers we computed ourselves stay numbers."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: object) -> object:
    """``value`` unchanged unless it is text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_row(values: list[object] | tuple[object, ...]) -> list[object]:
    """:func:`safe_text` over a row."""
    return [safe_text(v) for v in values]
