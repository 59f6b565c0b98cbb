"""Receipt codes (mã số biên nhận) and the access codes printed beside them.

Two kinds of receipt code live side by side:

* codes supplied by the one-stop software, in whatever format it uses (national codes such as
  ``G09.20-20260609-0092637``). They are kept as given: we never reformat a code a citizen holds
  on paper;
* codes we issue ourselves, built from a per-deployment format. The default,
  ``"{agency}{yy}{serial:05d}"``, reproduces the 2017 Khánh Hòa codes: agency ``016``, year 2017,
  serial 1234 → ``0161701234``.

Citizens then type these codes back, by SMS or on the web, with spaces, dots, full-width digits
or lower case. :func:`normalise_code` gives the one canonical form under which a code is stored
*and* looked up, so that every way of typing the same code finds the same dossier.

Nothing here imports Django: these are pure functions, used by the models, the SMS parser and the
public lookup page alike.
"""

from __future__ import annotations

import functools
import re
import secrets
import string
import unicodedata
from collections.abc import Iterable
from typing import Protocol

DEFAULT_CODE_FORMAT = "{agency}{yy}{serial:05d}"

# Characters allowed in the literal parts of a format and in agency codes. Anything else (spaces,
# lower case, "_", "/") would be rewritten or split by citizens' phones and by our SMS parser, and
# the code we printed could then not be found again.
_SAFE_LITERAL = re.compile(r"[A-Z0-9.\-]*")
_AGENCY_CODE = re.compile(r"[A-Z0-9](?:[A-Z0-9.\-]*[A-Z0-9])?")
_SERIAL_SPEC = re.compile(r"0([1-9][0-9]?)d")
_MAX_SERIAL_WIDTH = 12
_PLAIN_FIELDS = frozenset({"agency", "yy", "yyyy"})

# Unicode dashes phones and word processors substitute for "-" (hyphen, non-breaking hyphen,
# figure dash, en/em dash, horizontal bar, minus sign). NFKC leaves them alone.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")

_NUMERIC_CODE = re.compile(r"[0-9]{6,20}")
_MIXED_CODE = re.compile(r"[A-Z0-9]+(?:[.\-][A-Z0-9]+)*")
_MAX_CODE_LENGTH = 40
_MIN_CODE_DIGITS = 6

# Access codes: no 0/O, 1/I/L, so a code read aloud or copied from a faint receipt is unambiguous.
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCESS_CODE_LENGTH = 6


def _format_error(fmt: str, reason: str) -> ValueError:
    return ValueError(
        f"Mẫu mã số biên nhận {fmt!r} không hợp lệ: {reason}. "
        "Chỉ dùng các trường {agency}, {yy}, {yyyy} và bắt buộc {serial:0Nd} (ví dụ {serial:05d}); "
        "phần chữ cố định chỉ gồm chữ in hoa, chữ số, dấu chấm và gạch ngang."
    )


def validate_code_format(fmt: str) -> int:
    """Check a per-deployment receipt-code format; return the serial's width (digits).

    Raises ValueError with a Vietnamese message, because the administrator who typed the format
    is the one who reads it. Rejected: unknown or positional fields, format specs on anything but
    the serial, a missing or repeated ``{serial:0Nd}``, literal text a citizen could not type back
    unchanged (spaces, lower case, ``_``, ``/``), and formats whose codes would be too short for
    the SMS parser to recognise as a code (fewer than 6 digits).
    """
    if not isinstance(fmt, str) or not fmt:
        raise _format_error(str(fmt), "mẫu trống")
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError:
        raise _format_error(fmt, "dấu ngoặc nhọn { } không khớp") from None
    width: int | None = None
    for literal, field, spec, conversion in parts:
        if not _SAFE_LITERAL.fullmatch(literal):
            raise _format_error(fmt, f"phần chữ cố định {literal!r} có ký tự không dùng được")
        if field is None:
            continue
        if conversion is not None:
            raise _format_error(fmt, f"trường {{{field}!{conversion}}} không được hỗ trợ")
        if field == "serial":
            match = _SERIAL_SPEC.fullmatch(spec or "")
            if match is None or int(match.group(1)) > _MAX_SERIAL_WIDTH:
                raise _format_error(
                    fmt, f"số thứ tự phải viết {{serial:0Nd}} với N từ 1 đến {_MAX_SERIAL_WIDTH}"
                )
            if width is not None:
                raise _format_error(fmt, "trường {serial} xuất hiện nhiều lần")
            width = int(match.group(1))
        elif field in _PLAIN_FIELDS:
            if spec:
                raise _format_error(fmt, f"trường {{{field}}} không nhận định dạng {spec!r}")
        else:
            raise _format_error(fmt, f"trường {{{field}}} không được hỗ trợ")
    if width is None:
        raise _format_error(fmt, "thiếu trường số thứ tự {serial:0Nd}")
    sample = fmt.format(agency="000", yy="00", yyyy="2000", serial=0)
    if not looks_like_code(sample):
        raise _format_error(
            fmt, f"mã sinh ra (ví dụ {sample!r}) quá ngắn, cần ít nhất {_MIN_CODE_DIGITS} chữ số"
        )
    return width


def format_receipt_code(fmt: str, agency_code: str, year: int, serial: int) -> str:
    """Build the receipt code we issue for the ``serial``-th dossier of an agency in a year.

    A serial wider than the format's width is refused rather than printed longer: the fixed
    layout (agency, year, serial) is what keeps codes of different agencies and years distinct.
    Store the result under :func:`normalise_code` as every other code (a format such as
    ``{agency}-{yy}-{serial:05d}`` prints ``016-17-01234`` but is looked up as ``0161701234``).
    """
    width = validate_code_format(fmt)
    agency = agency_code.strip().upper() if isinstance(agency_code, str) else ""
    if not _AGENCY_CODE.fullmatch(agency):
        raise ValueError(
            f"Mã cơ quan {agency_code!r} không hợp lệ: chỉ gồm chữ, chữ số, dấu chấm và gạch ngang"
        )
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"Năm {year!r} không hợp lệ: cần năm có 4 chữ số")
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise ValueError(f"Số thứ tự {serial!r} không hợp lệ: cần số nguyên không âm")
    if len(str(serial)) > width:
        raise ValueError(f"Số thứ tự {serial} vượt quá {width} chữ số của mẫu mã số biên nhận {fmt!r}")
    return fmt.format(agency=agency, yy=f"{year % 100:02d}", yyyy=f"{year:04d}", serial=serial)


def normalise_code(raw: str) -> str:
    """Return the canonical form of a receipt code: the key codes are stored and looked up by.

    Steps, and why:

    1. NFKC, so full-width characters typed on CJK/Vietnamese keyboards (``０１６``) become ASCII;
       Unicode dashes (en dash, minus sign, …) become ``-``.
    2. Remove every whitespace (spaces, tabs, NBSP, ideographic space) and invisible format
       character (zero-width space, soft hyphen): no receipt code contains a space.
    3. Upper-case: citizens type codes in any case.
    4. Only if what remains without dots and dashes is all digits, drop the dots and dashes:
       ``016.17.01234`` and ``016-17-01234`` are the 10-digit code ``0161701234`` written in
       groups. A code with letters (national ``G09.20-20260609-0092637``) keeps its dots and
       dashes, since they are part of the code the software gave us.
    """
    text = raw
    for _ in range(3):  # removing a space or upper-casing can un-normalise exotic input ("A´")
        previous = text
        text = unicodedata.normalize("NFKC", text).translate(_DASHES)
        text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
        text = text.upper()
        if text == previous:
            break
    compact = text.replace(".", "").replace("-", "")
    if compact.isascii() and compact.isdigit():
        return compact
    return text


def looks_like_code(s: str) -> bool:
    """Tell whether ``s`` could be a receipt code, so a typo can be told apart from a word.

    True for 6–20 digits (the 10-digit 2017 codes and other numeric formats) and for ASCII
    letters and digits in groups joined by single dots or dashes, at most 40 characters, with at
    least 6 digits (national codes). Words, years and short numbers are not codes.
    """
    code = normalise_code(s)
    if _NUMERIC_CODE.fullmatch(code):
        return True
    return (
        len(code) <= _MAX_CODE_LENGTH
        and _MIXED_CODE.fullmatch(code) is not None
        and not code.isdigit()
        and sum(ch.isdigit() for ch in code) >= _MIN_CODE_DIGITS
    )


class _Chooser(Protocol):
    def choice(self, seq: str, /) -> str: ...


def generate_access_code(rng: _Chooser = secrets) -> str:
    """A 6-character access code printed on the receipt for the public web lookup.

    The receipt code alone is guessable (agency + year + serial), so the web page also asks for
    this code. 31^6 ≈ 887 million values, drawn with ``secrets`` by default; pass a seeded
    ``random.Random`` in tests.
    """
    return "".join(rng.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def normalise_access_code(raw: str) -> str:
    """Canonical form of a typed access code: NFKC, no spaces/dots/dashes, upper case.

    Characters outside the alphabet (0, O, 1, I, L) are kept, not guessed at: the code never
    contains them, so the comparison simply fails and the citizen is asked to check the receipt.
    Compare with ``hmac.compare_digest``.
    """
    text = unicodedata.normalize("NFKC", raw).translate(_DASHES)
    return "".join(
        ch for ch in text if not ch.isspace() and ch not in ".-" and unicodedata.category(ch) != "Cf"
    ).upper()


def issued_serial(fmt: str, code: str, agency_code: str) -> tuple[int | None, int] | None:
    """(year or None, serial) when ``code`` lies in the series we issue for ``agency_code`` under ``fmt``;
    None otherwise.

    Why: a code in an agency's issued series is that agency's alone. Another agency's key must not create
    it (it would take the code we are about to print on that agency's next receipt, and the lookup would
    read another agency's text to its citizen). The code is compared as written and as normalised, as
    citizens and software write it both ways."""
    text = code.strip().upper()
    match = _match(fmt, agency_code, text, normalise_code(text))
    if match is None:
        return None
    groups = match.groupdict()
    year = int(groups["yyyy"]) if groups.get("yyyy") else (2000 + int(groups["yy"]) if groups.get("yy") else None)
    return year, int(groups["serial"])


def series_owner(fmt: str, code: str, agency_codes: Iterable[str]) -> str | None:
    """The first of ``agency_codes`` whose issued series holds ``code`` (None: none of them)."""
    text = code.strip().upper()
    normalised = normalise_code(text)
    return next((a for a in agency_codes if _match(fmt, a, text, normalised) is not None), None)


def _match(fmt: str, agency_code: str, text: str, normalised: str) -> re.Match[str] | None:
    pattern, compact = _series_patterns(fmt, agency_code.strip().upper())
    return pattern.fullmatch(text) or compact.fullmatch(normalised)


@functools.lru_cache(maxsize=4096)
def _series_patterns(fmt: str, agency: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The series of one agency as two compiled patterns (as printed, and with dots and dashes dropped):
    asked for every agency on every supplied code, so built once."""
    width = validate_code_format(fmt)
    pattern, compact = "", ""
    for literal, field, _spec, _conv in string.Formatter().parse(fmt):
        pattern += re.escape(literal)
        compact += re.escape(literal.replace(".", "").replace("-", ""))
        if field == "agency":
            pattern += re.escape(agency)
            compact += re.escape(agency.replace(".", "").replace("-", ""))
        elif field in ("yy", "yyyy"):
            part = f"(?P<{field}>[0-9]{{{2 if field == 'yy' else 4}}})"
            pattern, compact = pattern + part, compact + part
        elif field == "serial":
            part = f"(?P<serial>[0-9]{{{width}}})"
            pattern, compact = pattern + part, compact + part
    return re.compile(pattern), re.compile(compact)


# The national form of a dossier code: <unit>-<yymmdd or yyyymmdd>-<serial>, e.g. 000.00.16.H31-261123-0001.
_NATIONAL = re.compile(r"(?P<unit>[0-9A-Z][0-9A-Z.]{1,39})-(?:[0-9]{6}|[0-9]{8})-[0-9]{1,10}")


def national_unit(code: str) -> str | None:
    """The issuing unit of a code in the national form, upper case; None for any other code.

    Why: such a code is issued by the unit's own one-stop software, so the unit names its owner before the
    code exists. Refusing another agency's key every code of that unit, existing or not, is what keeps the
    answer from telling which of them exist."""
    text = unicodedata.normalize("NFKC", code).strip().upper()
    match = _NATIONAL.fullmatch(text)
    return match["unit"] if match else None


def clean_code(raw: str) -> str:
    """A supplied receipt code as it is to be stored: without surrounding spaces and without invisible
    format characters (a BOM, a zero-width space), otherwise as given.

    Why: such a character, pasted from a spreadsheet or left by an editor, makes a code that prints the
    same as another but is a second dossier: one of the two then gets the result, the other the apology."""
    return "".join(ch for ch in raw if unicodedata.category(ch) != "Cf" and ch != "\u00ad").strip()
