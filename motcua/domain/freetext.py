"""Free text from outside (vendors' payloads, gateway parameters, desk forms) checked once before it is
stored or logged.

Why one function: a lone surrogate has no UTF-8 form and makes the database driver raise; PostgreSQL
refuses NUL in any text value; a line break in a logged parameter forges log lines. Every path into the
database calls :func:`clean` (or :func:`problem` to answer 400) so that none of these can reach a query
or a log as a server error.
"""

from __future__ import annotations

import unicodedata

# C0 and C1 control characters except TAB/LF/CR, which multi-line fields (notes) may legitimately hold.
_MULTILINE_OK = frozenset("\t\n\r")


class FreeTextError(ValueError):
    """The text cannot be stored as given; ``reason`` is a short Vietnamese sentence for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def problem(value: str, *, max_length: int | None = None, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored, or None if it can.

    Surrogates and control characters are refused rather than silently removed: a vendor that sends
    them has a bug it should see, and a silently altered name or step is worse than a clear 400."""
    for ch in value:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return "Văn bản chứa ký tự không hợp lệ (surrogate)."
        if (code < 0x20 or 0x7F <= code < 0xA0) and not (multiline and ch in _MULTILINE_OK):
            return "Văn bản chứa ký tự điều khiển."
    if max_length is not None and len(value) > max_length:
        return f"Văn bản dài quá {max_length} ký tự."
    return None


def clean(value: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    """``value`` in NFC with its ends stripped, or :class:`FreeTextError` if it cannot be stored.

    NFC because vendors' software and macOS send decomposed Vietnamese (NFD); stored text is compared
    and displayed as one form."""
    reason = problem(value, max_length=None, multiline=multiline)
    if reason:
        raise FreeTextError(reason)
    text = unicodedata.normalize("NFC", value).strip()
    if max_length is not None and len(text) > max_length:
        raise FreeTextError(f"Văn bản dài quá {max_length} ký tự.")
    return text


def for_log(value: object, limit: int = 64) -> str:
    """A repr-like, single-line, bounded rendering of an untrusted value for a log line."""
    text = str(value)[:limit]
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")
