"""Bad input, by property: whatever desk staff type or a vendor's sync sends, the pure domain code answers
with a value or with *its own* error, naming what is wrong in Vietnamese — never a stray exception that
would become a 500 at the API or a crashed import.

Covered here (the MO parser has its own properties in ``test_mo_parser.py``): phone numbers
(:mod:`motcua.domain.phones`), DVCQG dates and records (:mod:`motcua.domain.dvcqg`) and the
working-time calendar's appointment (:mod:`motcua.domain.calendar`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from motcua.domain.calendar import WorkCalendar
from motcua.domain.dvcqg import (
    LOCAL_TZ,
    ProgressRecord,
    RecordError,
    SyncRecord,
    parse_date,
    parse_progress,
    parse_record,
)
from motcua.domain.phones import CARRIER_PREFIXES, OLD_TO_NEW_PREFIX, InvalidPhone, Phone, normalise_phone

# A reason staff can read: Vietnamese, i.e. with at least one letter only Vietnamese spelling uses here.
VIETNAMESE_LETTER = re.compile(
    r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]"
)

# -- phones ------------------------------------------------------------------------------------------

# Text that looks like a phone number often enough to reach the deep branches (country code, old
# 11-digit numbers, landlines), mixed with anything at all.
phone_like = st.text(alphabet="0123456789 +.-()８４０１", max_size=20)
any_text = st.one_of(st.text(max_size=40), phone_like)

national_numbers = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(sorted(CARRIER_PREFIXES)),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)
old_numbers = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(sorted(OLD_TO_NEW_PREFIX)),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)


@st.composite
def written(draw: st.DrawFn, national: str) -> str:
    """``national`` as a person writes it: a country-code style, then digits with separators between."""
    style = draw(st.sampled_from(["national", "+84", "84", "+84 (0)", "(+84)", "0084"]))
    subscriber = national[1:]
    head, digits = {
        "national": ("", national),
        "+84": ("+84", subscriber),
        "84": ("84", subscriber),
        "+84 (0)": ("+84 (0)", subscriber),
        "(+84)": ("(+84) ", subscriber),
        "0084": ("0084", subscriber),
    }[style]
    separators = draw(
        st.lists(st.sampled_from(["", "", " ", ".", "-"]), min_size=len(digits), max_size=len(digits))
    )
    body = digits[0] + "".join(sep + digit for sep, digit in zip(separators[1:], digits[1:], strict=True))
    lead = draw(st.sampled_from(["", " ", "  "])) if head else ""
    return head + draw(st.sampled_from(["", " "])) + body + lead


@settings(max_examples=400)
@given(any_text)
@example("")
@example("   ")
@example("+1 212 555 0100")  # foreign
@example("0281234567")  # landline, 10 digits
@example("02838123456")  # landline, 11 digits
@example("01301234567")  # 11 digits, prefix not in the 2018 table
@example("0912 345 678 ext 9")
def test_phone_is_a_phone_or_a_vietnamese_reason(raw: str) -> None:
    try:
        phone = normalise_phone(raw)
    except InvalidPhone as e:
        assert e.reason.strip(), f"empty reason for {raw!r}"
        assert VIETNAMESE_LETTER.search(e.reason), f"reason not in Vietnamese: {e.reason!r}"
        return
    assert isinstance(phone, Phone)
    assert len(phone.national) == 10
    assert phone.national.isascii() and phone.national.isdigit()
    assert phone.national[:3] in CARRIER_PREFIXES
    assert phone.gateway == "84" + phone.national[1:]


@settings(max_examples=300)
@given(st.data(), national_numbers)
def test_every_writing_of_a_valid_number_normalises_back_to_it(data: st.DataObject, national: str) -> None:
    raw = data.draw(written(national), label="written")
    assert normalise_phone(raw).national == national


@settings(max_examples=200)
@given(st.data(), old_numbers)
def test_old_11_digit_numbers_map_per_the_2018_table(data: st.DataObject, old: str) -> None:
    expected = OLD_TO_NEW_PREFIX[old[:4]] + old[-7:]
    assert normalise_phone(old).national == expected
    raw = data.draw(written(old), label="written")
    assert normalise_phone(raw).national == expected


# -- DVCQG dates -------------------------------------------------------------------------------------

date_like = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet="0123456789", min_size=14, max_size=14),
    st.text(alphabet="0123456789 ٠١٢٣٤٥٦٧٨٩²", min_size=8, max_size=16),  # other digits isdigit() accepts
    st.integers(min_value=-(10**16), max_value=10**16),
    st.integers(min_value=10**13, max_value=10**14 - 1),  # 14 digits, as senders that use numbers do
    st.none(),
)


@settings(max_examples=500)
@given(date_like, st.booleans())
@example("00010101000000", False)  # placeholder dates from old software
@example("99991231235959", False)
@example("20260230090000", False)  # 30 February
@example(20261123090000, True)
def test_parse_date_gives_a_datetime_or_names_the_field(value: object, required: bool) -> None:
    try:
        parsed = parse_date(value, "NgayHenTra", required=required)
    except RecordError as e:
        assert e.field == "NgayHenTra"
        assert e.message.strip()
        return
    if parsed is None:
        assert not required
        assert value is None or (isinstance(value, str) and not value.strip())
    else:
        assert isinstance(parsed, datetime)
        assert parsed.tzinfo is not None
        assert 2000 <= parsed.year <= 2099


local_instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))


@given(local_instants)
def test_parse_date_round_trips_the_national_format(moment: datetime) -> None:
    text = moment.strftime("%Y%m%d%H%M%S")
    expected = moment.replace(microsecond=0, tzinfo=LOCAL_TZ)
    assert parse_date(text, "NgayTiepNhan") == expected
    assert parse_date(f" {text} ", "NgayTiepNhan") == expected
    assert parse_date(int(text), "NgayTiepNhan") == expected  # a sender that writes the date as a number


@given(
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)).filter(
        lambda d: not 2000 <= d.year <= 2099
    )
)
def test_parse_date_refuses_years_outside_2000_2099(moment: datetime) -> None:
    try:
        parse_date(moment.strftime("%Y%m%d%H%M%S"), "NgayTra")
    except RecordError as e:
        assert e.field == "NgayTra"
        assert str(moment.year) in e.message
    else:
        raise AssertionError(f"year {moment.year} accepted")


# -- DVCQG records -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**20), max_value=10**20) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)

dates = st.one_of(
    local_instants.map(lambda d: d.strftime("%Y%m%d%H%M%S")),
    local_instants.map(lambda d: d.strftime("%Y%m%d")),
    st.just(""),
    json_values,
)

# Records with the real field names, so parsing gets past the first check often enough to be tested.
RECORD_FIELDS = {
    "MaHoSo": st.one_of(st.text(max_size=70), json_values),
    "MaTTHC": st.one_of(st.text(max_size=70), json_values),
    "TenTTHC": json_values,
    "ChuHoSo": json_values,
    "SoDienThoai": st.one_of(phone_like, json_values),
    "NgayTiepNhan": dates,
    "NgayHenTra": dates,
    "NgayTra": dates,
    "NgayKetThucXuLy": dates,
    "TrangThaiHoSo": st.one_of(st.integers(min_value=-2, max_value=12), st.text(max_size=4), json_values),
    "DonViXuLy": json_values,
    "QuaTrinhXuLy": st.one_of(
        st.lists(
            st.fixed_dictionaries({}, optional={"NoiDungXuLy": json_values, "ThoiDiemXuLy": dates}),
            max_size=3,
        ),
        json_values,
    ),
    "DanhSachHoSoBoSung": st.one_of(
        st.lists(st.fixed_dictionaries({}, optional={"NgayHenTraMoi": dates}), max_size=3), json_values
    ),
}
PROGRESS_FIELDS = {
    "MaHoSo": st.one_of(st.text(max_size=70), json_values),
    "ThoiDiemXuLy": dates,
    "NoiDungXuLy": json_values,
    "TrangThai": st.one_of(st.integers(min_value=-2, max_value=12), json_values),
    "NgayKetThucTheoQuyDinh": dates,
}
records = st.one_of(json_values, st.fixed_dictionaries({}, optional=RECORD_FIELDS))
progress_records = st.one_of(json_values, st.fixed_dictionaries({}, optional=PROGRESS_FIELDS))


@settings(max_examples=500)
@given(records)
@example(
    {
        "MaHoSo": "G09.20-20260609-0092637",
        "MaTTHC": "1.004628",
        "NgayTiepNhan": "20261123090000",
        "TrangThaiHoSo": 2,
        "NgayHenTra": "20261122090000",
    }
)  # appointment before receipt
@example({"MaHoSo": "A\x00B", "MaTTHC": "1", "NgayTiepNhan": "20261123090000", "TrangThaiHoSo": 2})
def test_parse_record_gives_a_record_or_a_record_error(record: object) -> None:
    try:
        parsed = parse_record(record)
    except RecordError as e:
        assert e.field and e.message
        return
    assert isinstance(parsed, SyncRecord)
    assert parsed.code and len(parsed.code) <= 64
    assert parsed.procedure_code
    assert parsed.received_at.tzinfo is not None
    assert parsed.appointment_at is None or parsed.appointment_at >= parsed.received_at


@settings(max_examples=500)
@given(progress_records)
def test_parse_progress_gives_a_record_or_a_record_error(record: object) -> None:
    try:
        parsed = parse_progress(record)
    except RecordError as e:
        assert e.field and e.message
        return
    assert isinstance(parsed, ProgressRecord)
    assert parsed.code and parsed.at.tzinfo is not None


def test_a_valid_record_parses() -> None:
    """The properties above would pass vacuously if every record were refused: one real record parses."""
    parsed = parse_record(
        {
            "MaHoSo": "G09.20-20260609-0092637",
            "MaTTHC": "1.004628",
            "TenTTHC": "Cấp thẻ hướng dẫn viên",
            "ChuHoSo": "Nguyễn Văn An",
            "SoDienThoai": "0912 345 678",
            "NgayTiepNhan": "20261123090000",
            "NgayHenTra": "20261130090000",
            "TrangThaiHoSo": "4",
            "NgayNopHoSo": "20261122000000",
        }
    )
    assert parsed.code == "G09.20-20260609-0092637"
    assert parsed.received_at == datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)


# -- working-time calendar ---------------------------------------------------------------------------

CAL = WorkCalendar()
ZONES = [
    LOCAL_TZ,
    UTC,
    ZoneInfo("Asia/Tokyo"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/Paris"),
    timezone(timedelta(hours=-12)),
    timezone(timedelta(hours=14)),
]

received_instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31, 23, 59, 59),
    timezones=st.sampled_from(ZONES),
)
day_counts = st.one_of(
    st.integers(min_value=0, max_value=60),
    st.decimals(min_value=0, max_value=60, places=2, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, max_value=60, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=300, deadline=None)  # the first use of a year loads its holidays
@given(received_instants, day_counts)
@example(datetime(2099, 12, 31, 23, 59, tzinfo=LOCAL_TZ), 60)
@example(datetime(2000, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))), 0)
@example(datetime(2026, 2, 13, 16, 0, tzinfo=LOCAL_TZ), Decimal("0.5"))  # the Friday before Tết
def test_appointment_is_never_before_receipt(received: datetime, days: int | Decimal | float) -> None:
    due = CAL.appointment(received, days)
    assert due.tzinfo is not None
    assert due >= received
    # A deadline falls inside working time (session ends included): never at night or on a day off.
    assert CAL.is_working_instant(due)
