"""Vietnamese mobile numbers, as citizens and one-stop software actually write them.

Numbers arrive typed by desk staff, imported from spreadsheets or pushed in DVCQG payloads
(``SoDienThoai``): with spaces, dots, dashes, ``+84``, ``84``, ``(+84)``, ``+84 (0)``, full-width
digits, the pre-2018 11-digit form, or with the leading zero eaten by a spreadsheet. We keep one
canonical form (national, ``0xxxxxxxxx``) and derive what each consumer wants from it.

Only mobiles are accepted: an SMS to a landline or a foreign number is money spent on nothing.
The prefix table below (each range as first allocated) is authoritative; ``phonenumbers`` is only
used to explain *why* a number was refused (foreign country, landline), because its metadata
does not know every Vietnamese mobile range (e.g. it refuses 052, 055 and parts of 089).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

__all__ = [
    "CARRIER_PREFIXES",
    "OLD_TO_NEW_PREFIX",
    "InvalidPhone",
    "Phone",
    "normalise_phone",
    "first_mobile",
    "try_normalise_phone",
]

#: Original allocation of the 10-digit mobile prefixes. Numbers are portable between carriers
#: since 16/11/2018, so the carrier derived from this table is only a routing hint.
CARRIER_PREFIXES: dict[str, str] = {
    **{f"0{n}": "viettel" for n in range(32, 40)},
    "086": "viettel",
    "096": "viettel",
    "097": "viettel",
    "098": "viettel",
    **{f"0{n}": "vinaphone" for n in range(81, 86)},
    "088": "vinaphone",
    "091": "vinaphone",
    "094": "vinaphone",
    "070": "mobifone",
    **{f"0{n}": "mobifone" for n in range(76, 80)},
    "089": "mobifone",
    "090": "mobifone",
    "093": "mobifone",
    "052": "vietnamobile",
    "056": "vietnamobile",
    "058": "vietnamobile",
    "092": "vietnamobile",
    "059": "gmobile",
    "099": "gmobile",
    "087": "itel",
    "055": "reddi",
}

#: The 2018 conversion of 11-digit mobiles to 10 digits (the last 7 digits are kept).
OLD_TO_NEW_PREFIX: dict[str, str] = {
    # MobiFone
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    # VinaPhone
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    # Viettel 0162…0169 → 032…039
    **{f"016{n}": f"03{n}" for n in range(2, 10)},
    # Vietnamobile
    "0186": "056",
    "0188": "058",
    # Gmobile
    "0199": "059",
}

_EXAMPLE = "ví dụ 0912345678"
# Characters people put between digits; anything else (letters, '*', '#', '/', …) is refused.
_SEPARATORS = re.compile(r"[\s.\-()]+")
# "+84 (0) 912…": the trunk zero written after the country code, in brackets.
_TRUNK_ZERO = re.compile(r"^(\(?\+?\s*\(?84\)?)\s*\(0\)")


class InvalidPhone(ValueError):
    """A number we will not send SMS to; ``reason`` is shown to desk staff as is."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"{reason}: {raw!r}")
        self.raw = raw
        self.reason = reason


@dataclass(frozen=True)
class Phone:
    """A Vietnamese mobile number in national form (``0912345678``).

    Constructing one directly validates it as strictly as ``normalise_phone`` validates its
    output, so a ``Phone`` in hand is always something we may send to.
    """

    national: str

    def __post_init__(self) -> None:
        if not (len(self.national) == 10 and self.national.isascii() and self.national.isdigit()):
            raise InvalidPhone(self.national, f"Số điện thoại phải có 10 chữ số ({_EXAMPLE})")
        if self.national[:3] not in CARRIER_PREFIXES:
            raise InvalidPhone(self.national, _unknown_prefix_reason(self.national[:3]))

    @property
    def e164(self) -> str:
        """``+84912345678``: the international form, for APIs that follow E.164."""
        return "+84" + self.national[1:]

    @property
    def gateway(self) -> str:
        """``84912345678``: what SMS gateways and SMPP ``destination_addr`` usually want."""
        return "84" + self.national[1:]

    @property
    def carrier_hint(self) -> str | None:
        """Original carrier of the prefix; only a hint, since numbers are portable."""
        return CARRIER_PREFIXES.get(self.national[:3])

    @property
    def masked(self) -> str:
        """``0912***678``: enough to recognise a number in logs and UIs without exposing it."""
        return f"{self.national[:4]}***{self.national[-3:]}"

    def __str__(self) -> str:
        return self.national


def normalise_phone(raw: str) -> Phone:
    """Parse any common writing of a Vietnamese mobile number; raise ``InvalidPhone`` otherwise.

    Accepted: ``0912 345 678``, ``0912.345.678``, ``0912-345-678``, ``+84912345678``,
    ``84912345678``, ``0084912345678``, ``+84 (0) 912 345 678``, ``(+84) 912345678``, full-width
    digits, pre-2018 numbers (``01689123456`` → ``0389123456``, also ``+841689123456``), and
    numbers whose leading zero a spreadsheet dropped (``912345678``).
    """
    if raw is None or not str(raw).strip():
        raise InvalidPhone("" if raw is None else str(raw), "Chưa nhập số điện thoại")
    original = str(raw)
    # NFKC turns full-width digits, '＋' and '（）' into ASCII.
    text = unicodedata.normalize("NFKC", original).strip()
    text = _TRUNK_ZERO.sub(r"\1", text)
    compact = _SEPARATORS.sub("", text)

    has_plus = compact.startswith("+")
    digits = compact[1:] if has_plus else compact
    if not digits:
        raise InvalidPhone(original, f"Số điện thoại phải có 10 chữ số ({_EXAMPLE})")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidPhone(
            original,
            "Số điện thoại chỉ được gồm chữ số (có thể có dấu cách, dấu chấm, gạch ngang, "
            f"dấu ngoặc và dấu + ở đầu), {_EXAMPLE}",
        )

    national = _to_national(original, digits, has_plus)
    if len(national) == 11 and national.startswith("01"):
        national = _convert_old_number(original, national)
    if len(national) != 10:
        if national.startswith("02") and len(national) == 11:
            raise InvalidPhone(original, _LANDLINE_REASON)
        raise InvalidPhone(
            original,
            f"Số điện thoại phải có 10 chữ số ({_EXAMPLE}), số này có {len(national)} chữ số",
        )
    if national[:3] not in CARRIER_PREFIXES:
        raise InvalidPhone(original, _unknown_prefix_reason(national[:3]))
    return Phone(national)


def try_normalise_phone(raw: str | None) -> Phone | None:
    """``normalise_phone`` for optional data: None instead of an exception (e.g. DVCQG sync)."""
    if raw is None:
        return None
    try:
        return normalise_phone(raw)
    except InvalidPhone:
        return None


# Where people write several numbers or a note in one phone field: "0912 345 678 (Zalo)",
# "0258 3822 123, 0987 654 321", "0912345678 hoặc 0987654321", "0912345678 / 0987654321".
_CANDIDATE = re.compile(r"\+?[(（]?\+?[0-9０-９][0-9０-９ .\-()（）]{6,}[0-9０-９]")
_NOTE = re.compile(r"[(（][^)）]*[^\W\d_][^)）]*[)）]")  # a parenthesised note with letters: "(Zalo)"


def first_mobile(raw: str | None) -> tuple[Phone, int, int] | None:
    """The first valid mobile number in a field written by a person: (phone, its place among the numbers
    written, how many were written). None when there is no valid mobile at all.

    Why: desk staff and one-stop software put notes and several numbers in one field; refusing the whole
    field sent nothing to a citizen who had given a perfectly good mobile number."""
    if raw is None:
        return None
    text = _NOTE.sub(" ", unicodedata.normalize("NFKC", str(raw)))
    candidates = []
    for match in _CANDIDATE.finditer(text):
        candidate = match.group(0).strip()
        if try_normalise_phone(candidate) is not None:
            candidates.append(candidate)  # one number, whatever its separators: "0912-345-678"
            continue
        for piece in _split_at_dashes(candidate):  # "0912345678-0987654321", "3822123 - 0912345678"
            if try_normalise_phone(piece) is None and _digits(piece) >= 18:
                candidates += _split_run(piece)  # "0912345678 0987654321": two numbers, one run
            else:
                candidates.append(piece)
    found = None
    for place, candidate in enumerate(candidates, start=1):
        phone = try_normalise_phone(candidate)
        if phone is not None and found is None:
            found = (phone, place)
    return (found[0], found[1], len(candidates)) if found else None


# A dash, spaced or not, between two parts of a run of digits.
_DASH = re.compile(r"\s*-\s*")
# Fewest digits on each side of a dash for it to part two numbers: a local landline number has 7 or 8, while
# the groups of one number written with dashes are shorter ("0912-345-678", "+84-912-345-678", "0912-345678").
_NUMBER_DIGITS = 7


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _split_at_dashes(run: str) -> list[str]:
    """A run that is not one number, cut where a dash stands between two parts that each hold a number's worth
    of digits: "0912345678-0987654321" and "02583822123 - 0912345678" are two numbers.

    Why: people join the numbers of one field with a dash as often as with a comma, and a dash is also how one
    number is grouped, so only a dash between long parts parts two numbers; shorter groups are joined back."""
    parts = _DASH.split(run)
    seps = _DASH.findall(run)
    out, current = [], parts[0]
    for sep, before, part in zip(seps, parts[:-1], parts[1:], strict=True):
        if _digits(before) >= _NUMBER_DIGITS and _digits(part) >= _NUMBER_DIGITS:
            out.append(current)
            current = part
        else:
            current += sep + part
    out.append(current)
    return out


_GROUP = re.compile(r"[^\s\-]+")


def _split_run(run: str) -> list[str]:
    """Groups (parted by spaces or dashes) joined, as written, until they hold a number's worth of digits
    (10, or 11 with 84): "0912 345 678 0987 654 321" and "0912-345-678-0987-654-321" are two numbers."""
    out, start = [], None
    for match in _GROUP.finditer(run):
        start = match.start() if start is None else start
        current = run[start:match.end()]
        digits = _digits(current)
        if digits >= 10 and (try_normalise_phone(current) is not None or digits >= 11):
            out.append(current)
            start = None
    if start is not None:
        out.append(run[start:].strip())
    return out


_LANDLINE_REASON = "Đây là số máy bàn, không nhận được tin nhắn; vui lòng dùng số di động"


def _to_national(original: str, digits: str, has_plus: bool) -> str:
    """Strip the country code in its written forms and give back ``0…`` digits."""
    if has_plus or digits.startswith("00"):
        international = digits if has_plus else digits[2:]
        if not international.startswith("84"):
            raise InvalidPhone(original, _foreign_reason(international))
        rest = international[2:]
        # "+84 0912…" (trunk zero kept after the country code) is a frequent slip.
        return rest if rest.startswith("0") else "0" + rest
    if digits.startswith("0"):
        return digits
    # 84 + 9 digits (current) or 84 + 10 digits (pre-2018, 841xxxxxxxxx): written without '+'.
    if digits.startswith("84") and (len(digits) == 11 or (len(digits) == 12 and digits[2] == "1")):
        return "0" + digits[2:]
    # A spreadsheet that stored the number as an integer drops the leading zero.
    if len(digits) == 9 or (len(digits) == 10 and digits.startswith("1")):
        return "0" + digits
    return digits


def _convert_old_number(original: str, national: str) -> str:
    old_prefix = national[:4]
    new_prefix = OLD_TO_NEW_PREFIX.get(old_prefix)
    if new_prefix is None:
        raise InvalidPhone(
            original,
            f"Đầu số {old_prefix} không có trong bảng chuyển đổi số 11 chữ số sang 10 chữ số "
            f"năm 2018; vui lòng kiểm tra lại số di động ({_EXAMPLE})",
        )
    return new_prefix + national[-7:]


def _foreign_reason(international: str) -> str:
    """Name the country when phonenumbers knows its calling code: staff then see the mistake."""
    reason = "Chỉ nhận số di động Việt Nam (mã +84), không nhận số nước ngoài"
    try:
        parsed = phonenumbers.parse("+" + international, None)
    except phonenumbers.NumberParseException:
        return reason
    region = phonenumbers.region_code_for_number(parsed)
    if region and region != "ZZ":
        return f"{reason} (số này có mã +{parsed.country_code}, vùng {region})"
    return reason


def _unknown_prefix_reason(prefix: str) -> str:
    if prefix.startswith("02") or _is_fixed_line(prefix):
        return _LANDLINE_REASON
    return f"Đầu số {prefix} không phải đầu số di động Việt Nam ({_EXAMPLE})"


def _is_fixed_line(prefix: str) -> bool:
    try:
        parsed = phonenumbers.parse(prefix + "8123456", "VN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE
