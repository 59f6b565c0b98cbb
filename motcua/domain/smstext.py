"""SMS text: Vietnamese folding, GSM 03.38 / UCS-2 segment counting, splitting and templates.

Everything here is pure so that the sender, the admin preview and the cost report agree on the
same numbers: a text is counted once, by the same rules the SMSC will apply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "ALLOWED_PLACEHOLDERS",
    "DEFAULT_TEMPLATES",
    "GSM_BASIC",
    "GSM_ESCAPE",
    "GSM_EXTENSION",
    "GSM_EXTENSION_CODES",
    "GSM_SEPTETS",
    "MESSAGE_KINDS",
    "PH_AGENCY",
    "PH_APPOINTMENT_DATE",
    "PH_ON_TIME_STATUS",
    "PH_RECEIPT_CODE",
    "PH_STEP",
    "REQUIRED_PLACEHOLDERS",
    "SmsParts",
    "TemplateError",
    "count_parts",
    "estimate_cost",
    "fold_vietnamese",
    "format_appointment_date",
    "gsm_decode",
    "gsm_encode",
    "gsm_only",
    "is_gsm",
    "prepare_text",
    "render_template",
    "split_parts",
    "validate_template",
]

Encoding = Literal["gsm", "ucs2"]
Policy = Literal["accented", "unaccented"]

# --- GSM 03.38 -----------------------------------------------------------------------------

#: The default alphabet in septet order: the character at index ``i`` is septet ``i``. 0x1B is not
#: a character a text can contain but the escape to the extension table. 0x09 is written Ç, as
#: most SMSCs map it.
GSM_SEPTETS = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_ESCAPE = 0x1B
#: The extension table: each character goes as the escape plus its code, so it costs two septets.
GSM_EXTENSION_CODES: dict[str, int] = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
#: The characters of one septet each, and those of two.
GSM_BASIC: frozenset[str] = frozenset(GSM_SEPTETS) - {chr(GSM_ESCAPE)}
GSM_EXTENSION: frozenset[str] = frozenset(GSM_EXTENSION_CODES)

GSM_SINGLE, GSM_PER_PART = 160, 153
UCS2_SINGLE, UCS2_PER_PART = 70, 67


class SmsParts(NamedTuple):
    encoding: Encoding
    units: int  # GSM septets (extension characters count 2) or UTF-16 code units
    parts: int


def is_gsm(text: str) -> bool:
    """True if every character is in the GSM 03.38 basic or extension table."""
    return set(text) <= _GSM_ALL


_GSM_ALL = GSM_BASIC | GSM_EXTENSION


def gsm_only(text: str) -> str:
    """``text`` with every character outside GSM 03.38 replaced by ``?``."""
    if is_gsm(text):
        return text
    return "".join([ch if ch in _GSM_ALL else "?" for ch in text])


class _SeptetTable(dict):
    """``str.translate`` table: each GSM character to its septet(s) as Latin-1 characters, any other to '?'."""

    def __missing__(self, key: int) -> str:
        return "?"


_TO_SEPTETS = _SeptetTable(
    {ord(ch): chr(i) for i, ch in enumerate(GSM_SEPTETS) if i != GSM_ESCAPE}
    | {ord(ch): chr(GSM_ESCAPE) + chr(code) for ch, code in GSM_EXTENSION_CODES.items()}
)
_FROM_EXTENSION = {code: ch for ch, code in GSM_EXTENSION_CODES.items()}


def gsm_encode(text: str) -> bytes:
    """GSM 03.38 as unpacked septets, one byte each (how SMPP carries data_coding 0): an extension
    character as the escape plus its code, a character outside GSM 03.38 as ``?``.

    ``str.translate`` with Latin-1 does the work per character in C: every part of every message
    sent goes through here."""
    return text.translate(_TO_SEPTETS).encode("latin-1")


def gsm_decode(data: bytes) -> str:
    """Unpacked septets back to text. An escape followed by a code the extension table lacks reads
    as a space, as GSM 03.38 lets a handset show it."""
    out: list[str] = []
    escape = False
    for b in data:
        b &= 0x7F
        if escape:
            out.append(_FROM_EXTENSION.get(b, " "))
            escape = False
        elif b == GSM_ESCAPE:
            escape = True
        else:
            out.append(GSM_SEPTETS[b])
    return "".join(out)


def _char_units(ch: str, encoding: Encoding) -> int:
    if encoding == "gsm":
        if ch in GSM_BASIC:
            return 1
        if ch in GSM_EXTENSION:
            return 2
        raise ValueError(f"Ký tự {ch!r} không có trong bảng mã GSM 03.38")
    return 2 if ord(ch) > 0xFFFF else 1


def _limits(encoding: Encoding) -> tuple[int, int]:
    if encoding == "gsm":
        return GSM_SINGLE, GSM_PER_PART
    if encoding == "ucs2":
        return UCS2_SINGLE, UCS2_PER_PART
    raise ValueError(f"Unknown SMS encoding {encoding!r}; expected 'gsm' or 'ucs2'")


def _one_unit_each(text: str, encoding: Encoding) -> bool:
    """True if every character of ``text`` is one unit: a GSM basic character, or a UTF-16 character
    without a surrogate pair. Such a text is cut at fixed offsets (set and string operations run in C)."""
    if encoding == "gsm":
        return set(text) <= GSM_BASIC
    # Two bytes of UTF-16 per character; "surrogatepass" counts a lone surrogate as the one unit it is.
    return len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text)


def split_parts(text: str, encoding: Encoding) -> list[str]:
    """Split ``text`` into the parts of a concatenated SMS.

    A GSM extension character (escape + code) and a UTF-16 surrogate pair are never cut in
    two: a part that would end in the middle of one ends one unit short instead, which is
    exactly why the part count cannot be computed as ``ceil(units / 153)``. A text that fits a
    single message (even an empty one) is one part.
    """
    single, per_part = _limits(encoding)
    if _one_unit_each(text, encoding):  # as count_parts: slicing, no per-character work
        if len(text) <= single:
            return [text]
        return [text[i : i + per_part] for i in range(0, len(text), per_part)]
    units = [_char_units(ch, encoding) for ch in text]
    if sum(units) <= single:
        return [text]
    parts: list[str] = []
    start, used = 0, 0
    for i, n in enumerate(units):
        if used + n > per_part:
            parts.append(text[start:i])
            start, used = i, 0
        used += n
    parts.append(text[start:])
    return parts


def count_parts(text: str, encoding: Encoding | None = None) -> SmsParts:
    """Units and billable parts of ``text``; ``encoding=None`` picks GSM when possible."""
    if encoding is None:
        encoding = "gsm" if is_gsm(text) else "ucs2"
    single, per_part = _limits(encoding)
    if _one_unit_each(text, encoding):  # the batch's hot path: no per-character work
        units = len(text)
        return SmsParts(encoding, units, 1 if units <= single else -(-units // per_part))
    units = sum(_char_units(ch, encoding) for ch in text)  # raises for a character GSM lacks
    return SmsParts(encoding, units, 1 if units <= single else len(split_parts(text, encoding)))


def estimate_cost(parts: int, price_per_part: int) -> int:
    """Cost in VND: telcos bill every part of a concatenated SMS as one message."""
    if parts < 0 or price_per_part < 0:
        raise ValueError("parts and price_per_part must not be negative")
    return parts * price_per_part


# --- Vietnamese folding ----------------------------------------------------------------------

# Typographic characters that word processors put into texts admins paste; GSM has none of
# them, and a plain equivalent reads the same on a phone.
_PLAIN_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2022": "-",
        "\t": " ",
        "`": "'",
    }
)


def fold_vietnamese(text: str) -> str:
    """Remove Vietnamese diacritics the correct way: ``Đặng Thị Ữ`` → ``Dang Thi U``.

    NFD splits every letter into its base and its marks (vowel marks ˘ ˆ ̛ and the five tones);
    dropping the combining marks leaves the base letter. ``đ``/``Đ`` are letters of their own
    (no decomposition), hence the explicit mapping. Input may be NFC or NFD. Other characters
    are kept (only combining marks are dropped, so ``é`` also becomes ``e``).
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def prepare_text(text: str, policy: Policy) -> tuple[str, SmsParts]:
    """The exact text to submit and how it will be encoded and billed.

    ``unaccented`` (brandname contracts that only allow GSM): fold, replace typographic
    punctuation with plain ASCII, and replace anything still outside GSM 03.38 with ``?`` so
    the result is *always* GSM — the SMSC would do worse. ``accented``: NFC (so each
    Vietnamese letter is one UTF-16 unit), GSM when the text happens to fit it, else UCS-2.
    """
    if policy == "unaccented":
        folded = fold_vietnamese(unicodedata.normalize("NFKC", text)).translate(_PLAIN_PUNCTUATION)
        out = gsm_only(folded)
        return out, count_parts(out, "gsm")
    if policy == "accented":
        out = unicodedata.normalize("NFC", text)
        return out, count_parts(out)
    raise ValueError(f"Unknown text policy {policy!r}; expected 'accented' or 'unaccented'")


# --- Templates -----------------------------------------------------------------------------

PH_RECEIPT_CODE = "Mã số biên nhận"
PH_AGENCY = "Tên cơ quan"
PH_APPOINTMENT_DATE = "Ngày hẹn trả"
PH_STEP = "Tên bước giải quyết hiện tại"
PH_ON_TIME_STATUS = "Đúng hạn/Trễ hạn"

MESSAGE_KINDS: tuple[str, ...] = ("result", "supplement", "apology", "lookup_reply")

#: The official texts, word for word; placeholders as the notices write them.
DEFAULT_TEMPLATES: dict[str, str] = {
    "result": (
        "TB: Hồ sơ của quý ông/bà (MS: {Mã số biên nhận}) đã được giải quyết xong. "
        "Mời ông/bà đến Bộ phận Một cửa {Tên cơ quan} để nhận kết quả"
    ),
    "supplement": (
        "TB: Hồ sơ của quý ông/bà (MS: {Mã số biên nhận}) cần bổ sung theo quy định. "
        "Mời ông/bà đến Bộ phận Một cửa {Tên cơ quan} để nhận thông báo"
    ),
    "apology": (
        "TB: Hồ sơ của quý ông/bà (MS: {Mã số biên nhận}) chưa có kết quả vào ngày {Ngày hẹn trả}. "
        "Ông/bà có thể đến Bộ phận Một cửa {Tên cơ quan} nhận Thông báo xin lỗi, hẹn lại thời gian "
        "trả kết quả hoặc đến nhận kết quả khi có tin nhắn tiếp theo"
    ),
    "lookup_reply": (
        "Hồ sơ của quý Ông/Bà ({Mã số biên nhận}) hiện đang ở bước {Tên bước giải quyết hiện tại}, "
        "trạng thái hồ sơ: {Đúng hạn/Trễ hạn}."
    ),
}

_NOTICE_FIELDS = frozenset({PH_RECEIPT_CODE, PH_AGENCY, PH_APPOINTMENT_DATE})

#: What an administrator may use per kind; callers rendering a kind must supply all of them.
#: The lookup reply may not name the citizen or the phone, so no such field exists.
ALLOWED_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "result": _NOTICE_FIELDS,
    "supplement": _NOTICE_FIELDS,
    "apology": _NOTICE_FIELDS,
    "lookup_reply": _NOTICE_FIELDS | {PH_STEP, PH_ON_TIME_STATUS},
}

#: Without these a message is useless to the citizen (which dossier? which date? which step?).
REQUIRED_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "result": frozenset({PH_RECEIPT_CODE}),
    "supplement": frozenset({PH_RECEIPT_CODE}),
    "apology": frozenset({PH_RECEIPT_CODE, PH_APPOINTMENT_DATE}),
    "lookup_reply": frozenset({PH_RECEIPT_CODE, PH_STEP, PH_ON_TIME_STATUS}),
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class TemplateError(ValueError):
    """A template an administrator cannot save; ``messages`` are shown to them as is."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@lru_cache(maxsize=1024)  # the same few names in every message rendered
def _placeholder_key(name: str) -> str:
    """Admins type on many keyboards (Unikey NFC or NFD, stray spaces): compare canonically."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def _brace_errors(text: str) -> list[str]:
    errors: list[str] = []
    open_at: int | None = None
    for i, ch in enumerate(text):
        if ch == "{":
            if open_at is not None:
                errors.append(f"Dấu {{ ở vị trí {open_at + 1} chưa được đóng bằng }}")
            open_at = i
        elif ch == "}":
            if open_at is None:
                errors.append(f"Dấu }} ở vị trí {i + 1} không có dấu {{ mở tương ứng")
            open_at = None
    if open_at is not None:
        errors.append(f"Dấu {{ ở vị trí {open_at + 1} chưa được đóng bằng }}")
    return errors


def validate_template(kind: str, text: str) -> None:
    """Raise ``TemplateError`` listing every problem an administrator must fix before saving."""
    if kind not in ALLOWED_PLACEHOLDERS:
        raise TemplateError(
            [f"Loại tin nhắn không hợp lệ: {kind!r} (chọn một trong {', '.join(MESSAGE_KINDS)})"]
        )
    if not text or not text.strip():
        raise TemplateError(["Nội dung mẫu tin nhắn không được để trống"])
    errors = _brace_errors(text)
    allowed = ALLOWED_PLACEHOLDERS[kind]
    used: set[str] = set()
    for match in _PLACEHOLDER.finditer(text):
        key = _placeholder_key(match.group(1))
        if key in allowed:
            used.add(key)
        else:
            choices = ", ".join("{" + name + "}" for name in sorted(allowed))
            errors.append(
                f"Trường {match.group(0)} không dùng được trong mẫu tin này; các trường được phép: {choices}"
            )
    for name in sorted(REQUIRED_PLACEHOLDERS[kind] - used):
        errors.append(f"Mẫu tin nhắn phải có trường {{{name}}}")
    if errors:
        raise TemplateError(errors)


def render_template(text: str, fields: Mapping[str, str]) -> str:
    """Replace each ``{name}`` with ``fields[name]`` — plain substitution, not ``str.format``.

    Names contain spaces and a slash (``{Đúng hạn/Trễ hạn}``), and values (agency names) may
    contain braces; substituting in one pass means a value is never re-read as a placeholder.
    A placeholder without a value raises ``TemplateError``: sending ``{Tên cơ quan}`` literally
    to a citizen is worse than not sending. Keys may be given with or without braces.
    """
    values = {_placeholder_key(k.removeprefix("{").removesuffix("}")): str(v) for k, v in fields.items()}
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        key = _placeholder_key(match.group(1))
        if key not in values:
            missing.append(f"Thiếu giá trị cho trường {match.group(0)}")
            return match.group(0)
        return values[key]

    rendered = _PLACEHOLDER.sub(substitute, text)
    if missing:
        raise TemplateError(missing)
    return rendered


_LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def format_appointment_date(d: date | datetime) -> str:
    """``dd/mm/yyyy`` as printed on the receipt; an aware datetime is read in Vietnam time."""
    if isinstance(d, datetime) and d.tzinfo is not None:
        d = d.astimezone(_LOCAL_TZ)
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
