"""Receipt codes: the codes we issue, the canonical lookup form, and the web access code."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.receipt_codes import (
    ACCESS_CODE_ALPHABET,
    DEFAULT_CODE_FORMAT,
    format_receipt_code,
    generate_access_code,
    looks_like_code,
    national_unit,
    normalise_access_code,
    normalise_code,
    validate_code_format,
)

# --- codes we issue -------------------------------------------------------------------------


def test_default_format_reproduces_the_2017_khanh_hoa_codes() -> None:
    assert format_receipt_code(DEFAULT_CODE_FORMAT, "016", 2017, 1234) == "0161701234"
    assert format_receipt_code(DEFAULT_CODE_FORMAT, "010", 2017, 1234) == "0101701234"


@pytest.mark.parametrize(
    ("fmt", "agency", "year", "serial", "expected"),
    [
        ("{agency}{yyyy}{serial:06d}", "016", 2026, 7, "0162026000007"),
        ("HS-{agency}-{yy}-{serial:05d}", "H32", 2026, 42, "HS-H32-26-00042"),
        ("{agency}.{yy}.{serial:05d}", "016", 2009, 1, "016.09.00001"),
        ("{serial:08d}", "016", 2026, 99999999, "99999999"),
        (DEFAULT_CODE_FORMAT, " h32 ", 2026, 5, "H322600005"),
    ],
)
def test_format_receipt_code_fields(fmt: str, agency: str, year: int, serial: int, expected: str) -> None:
    assert format_receipt_code(fmt, agency, year, serial) == expected


def test_serial_wider_than_the_format_is_refused_not_printed_longer() -> None:
    assert format_receipt_code(DEFAULT_CODE_FORMAT, "016", 2017, 99999) == "0161799999"
    with pytest.raises(ValueError, match="vượt quá 5 chữ số"):
        format_receipt_code(DEFAULT_CODE_FORMAT, "016", 2017, 100000)


@pytest.mark.parametrize(
    ("agency", "year", "serial"),
    [
        ("", 2017, 1),
        ("01 6", 2017, 1),
        ("016_", 2017, 1),
        ("016", 17, 1),
        ("016", 2017, -1),
        ("016", 2017, True),
    ],
)
def test_format_receipt_code_rejects_bad_inputs(agency: str, year: int, serial: int) -> None:
    with pytest.raises(ValueError):
        format_receipt_code(DEFAULT_CODE_FORMAT, agency, year, serial)


@pytest.mark.parametrize(
    ("fmt", "width"),
    [
        (DEFAULT_CODE_FORMAT, 5),
        ("{agency}{yyyy}{serial:06d}", 6),
        ("HS-{yy}-{serial:07d}", 7),
        ("{serial:010d}", 10),
    ],
)
def test_valid_formats_report_their_serial_width(fmt: str, width: int) -> None:
    assert validate_code_format(fmt) == width


@pytest.mark.parametrize(
    ("fmt", "reason"),
    [
        ("", "mẫu trống"),
        ("{agency}{yy}", "thiếu trường số thứ tự"),
        ("{agency}{yy}{serial}", "{serial:0Nd}"),
        ("{agency}{yy}{serial:5d}", "{serial:0Nd}"),
        ("{agency}{yy}{serial:05x}", "{serial:0Nd}"),
        ("{agency}{nam}{serial:05d}", "trường {nam} không được hỗ trợ"),
        ("{}{serial:05d}", "không được hỗ trợ"),
        ("{agency!r}{serial:05d}", "không được hỗ trợ"),
        ("{agency:>5}{serial:05d}", "không nhận định dạng"),
        ("{serial:05d}{serial:05d}", "nhiều lần"),
        ("{agency}{yy}{serial:05d", "không khớp"),
        ("{agency} {yy}{serial:05d}", "ký tự không dùng được"),
        ("hs{agency}{serial:05d}", "ký tự không dùng được"),
        ("{agency}/{yy}/{serial:05d}", "ký tự không dùng được"),
        ("{serial:03d}", "quá ngắn"),
    ],
)
def test_invalid_formats_are_explained_in_vietnamese(fmt: str, reason: str) -> None:
    with pytest.raises(ValueError, match="Mẫu mã số biên nhận") as excinfo:
        validate_code_format(fmt)
    assert reason in str(excinfo.value)
    with pytest.raises(ValueError):
        format_receipt_code(fmt, "016", 2017, 1)


@given(
    agency=st.from_regex(r"[0-9]{3}|[A-Z][0-9]{2}", fullmatch=True),
    year=st.integers(2000, 2099),
    serial=st.integers(0, 99999),
    fmt=st.sampled_from(
        [
            DEFAULT_CODE_FORMAT,
            "{agency}{yyyy}{serial:06d}",
            "HS-{agency}-{yy}-{serial:05d}",
            "{agency}.{yy}.{serial:05d}",
        ]
    ),
)
def test_issued_codes_are_recognised_as_codes(agency: str, year: int, serial: int, fmt: str) -> None:
    code = format_receipt_code(fmt, agency, year, serial)
    assert looks_like_code(code)
    assert normalise_code(code.lower()) == normalise_code(code)


# --- canonical form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("0161701234", "0161701234"),
        ("  0161701234\n", "0161701234"),
        ("016 170 1234", "0161701234"),
        ("016.17.01234", "0161701234"),
        ("016-17-01234", "0161701234"),
        ("016\u201317\u201301234", "0161701234"),  # en dash from a phone's smart punctuation
        ("０１６１７０１２３４", "0161701234"),  # full-width digits
        ("016\u00a0170\u30001234", "0161701234"),  # NBSP and ideographic space
        ("016\u200b1701234", "0161701234"),  # zero-width space
        ("G09.20-20260609-0092637", "G09.20-20260609-0092637"),
        ("g09.20-20260609-0092637", "G09.20-20260609-0092637"),
        (" G09.20 - 20260609 - 0092637 ", "G09.20-20260609-0092637"),
        ("Ｇ０９．２０－２０２６０６０９－００９２６３７", "G09.20-20260609-0092637"),
        ("000.00.20.h32-260609-0001", "000.00.20.H32-260609-0001"),
        ("", ""),
    ],
)
def test_normalise_code(raw: str, canonical: str) -> None:
    assert normalise_code(raw) == canonical


@given(st.text())
def test_normalise_code_is_idempotent(raw: str) -> None:
    once = normalise_code(raw)
    assert normalise_code(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0161701234", True),
        ("016 17 01234", True),
        ("0162026000007", True),
        ("G09.20-20260609-0092637", True),
        ("000.00.20.H32-260609-0001", True),
        ("HS-H32-26-00042", True),
        ("MCKH", False),
        ("2017", False),
        ("12345", False),
        ("COVID19", False),
        ("G09..20-20260609", False),
        ("-0161701234", True),  # the dash goes with the digits: still the same number
        ("A" * 40 + "123456", False),
        ("1" * 21, False),
        ("mã số", False),
        ("", False),
    ],
)
def test_looks_like_code(text: str, expected: bool) -> None:
    assert looks_like_code(text) is expected


# --- web access code ---------------------------------------------------------------------------


def test_access_code_alphabet_has_no_ambiguous_characters() -> None:
    assert not set("0O1IL") & set(ACCESS_CODE_ALPHABET)
    assert set(ACCESS_CODE_ALPHABET) <= set(string.ascii_uppercase + string.digits)


def test_access_codes_are_six_unambiguous_characters_and_vary() -> None:
    rng = random.Random(2026)
    codes = [generate_access_code(rng) for _ in range(2000)]
    assert all(len(code) == 6 and set(code) <= set(ACCESS_CODE_ALPHABET) for code in codes)
    assert len(set(codes)) == len(codes)
    assert len(set("".join(codes))) == len(ACCESS_CODE_ALPHABET)


def test_access_code_uses_secrets_by_default() -> None:
    code = generate_access_code()
    assert len(code) == 6 and set(code) <= set(ACCESS_CODE_ALPHABET)


def test_seeded_rng_gives_reproducible_access_codes() -> None:
    assert generate_access_code(random.Random(7)) == generate_access_code(random.Random(7))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AB3K9Z", "AB3K9Z"),
        ("ab3k9z", "AB3K9Z"),
        (" ab3 - k9z ", "AB3K9Z"),
        ("AB3.K9Z", "AB3K9Z"),
        ("ＡＢ３Ｋ９Ｚ", "AB3K9Z"),
        ("0B3K9Z", "0B3K9Z"),  # not guessed into a valid code
    ],
)
def test_normalise_access_code(raw: str, expected: str) -> None:
    assert normalise_access_code(raw) == expected


@given(st.randoms(use_true_random=False))
def test_generated_access_code_survives_normalisation(rng: random.Random) -> None:
    code = generate_access_code(rng)
    typed = " ".join(code.lower())
    assert normalise_access_code(typed) == code


@pytest.mark.parametrize(("code", "unit"), [
    ("000.00.16.H31-261123-0001", "000.00.16.H31"),
    ("g09.20-20260609-0092637", "G09.20"),
    (" 000.00.16.H31-261123-0001 ", "000.00.16.H31"),
    ("0162600001", None),
    ("016-26-00001", None),  # our own series' form with dashes: no unit
    ("000.00.16.H31-2611-0001", None),
    ("000.00.16.H31-261123-", None),
    ("-261123-0001", None),
])
def test_the_unit_of_a_national_form_code(code, unit):
    assert national_unit(code) == unit
