"""Phone numbers as desk staff, spreadsheets and one-stop software write them."""

from __future__ import annotations

import pytest

from motcua.domain.phones import (
    CARRIER_PREFIXES,
    OLD_TO_NEW_PREFIX,
    InvalidPhone,
    Phone,
    first_mobile,
    normalise_phone,
    try_normalise_phone,
)

GOOD_WRITINGS = [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("0912-345-678", "0912345678"),
    ("  0912345678  ", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0084912345678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84 (0) 912 345 678", "0912345678"),
    ("84 (0) 912345678", "0912345678"),
    ("+840912345678", "0912345678"),
    ("(+84) 912345678", "0912345678"),
    ("(+84)912.345.678", "0912345678"),
    ("(0912) 345 678", "0912345678"),
    ("０９１２３４５６７８", "0912345678"),  # full-width digits
    ("＋８４ ９１２ ３４５ ６７８", "0912345678"),  # full-width plus too
    ("0912\u00a0345\u00a0678", "0912345678"),  # non-breaking spaces from a web form
    ("912345678", "0912345678"),  # leading zero lost in a spreadsheet
    # pre-2018 eleven-digit numbers
    ("01689123456", "0389123456"),
    ("0168 912 3456", "0389123456"),
    ("+841689123456", "0389123456"),
    ("841689123456", "0389123456"),
    ("+84 (0) 168 912 3456", "0389123456"),
    ("1689123456", "0389123456"),  # old number, spreadsheet dropped the zero
    ("01234567890", "0834567890"),
    ("0199 123 4567", "0591234567"),
    # prefixes phonenumbers does not (fully) know; our prefix table is authoritative
    ("0991234567", "0991234567"),
    ("0551234567", "0551234567"),
    ("0871234567", "0871234567"),
    ("0521234567", "0521234567"),
    ("0891234567", "0891234567"),
]


@pytest.mark.parametrize(("raw", "national"), GOOD_WRITINGS)
def test_every_common_writing_gives_the_same_national_number(raw: str, national: str) -> None:
    phone = normalise_phone(raw)
    assert phone.national == national
    assert try_normalise_phone(raw) == phone


BAD_WRITINGS = [
    ("", "Chưa nhập số điện thoại"),
    ("   ", "Chưa nhập số điện thoại"),
    ("abc", "chỉ được gồm chữ số"),
    ("0912abc678", "chỉ được gồm chữ số"),
    ("0912345678 / 0987654321", "chỉ được gồm chữ số"),
    ("+", "10 chữ số"),
    ("091234567", "số này có 9 chữ số"),  # 9 digits with a zero: one digit missing
    ("09123456", "số này có 8 chữ số"),
    ("091234567890", "số này có 12 chữ số"),
    ("+8491234567", "số này có 9 chữ số"),
    ("02583822123", "số máy bàn"),  # Khánh Hòa landline
    ("+84 258 3822 123", "số máy bàn"),
    ("0243 8234 567", "số máy bàn"),
    ("+16502530000", "mã +1, vùng US"),
    ("0016502530000", "không nhận số nước ngoài"),
    ("+85512345678", "không nhận số nước ngoài"),
    ("0951234567", "Đầu số 095 không phải đầu số di động"),  # S-Fone, closed
    ("0801234567", "Đầu số 080 không phải đầu số di động"),
    ("01301234567", "Đầu số 0130 không có trong bảng chuyển đổi"),
    ("+841301234567", "Đầu số 0130 không có trong bảng chuyển đổi"),
]


@pytest.mark.parametrize(("raw", "reason_part"), BAD_WRITINGS)
def test_unusable_numbers_are_refused_with_a_vietnamese_reason(raw: str, reason_part: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalise_phone(raw)
    assert reason_part in caught.value.reason
    assert caught.value.raw == raw
    assert try_normalise_phone(raw) is None


def test_try_normalise_accepts_missing_value() -> None:
    assert try_normalise_phone(None) is None


def test_invalid_phone_is_a_value_error_for_callers_that_only_know_that() -> None:
    with pytest.raises(ValueError):
        normalise_phone("12")


@pytest.mark.parametrize(("old_prefix", "new_prefix"), sorted(OLD_TO_NEW_PREFIX.items()))
def test_full_2018_conversion_table_keeps_the_last_seven_digits(old_prefix: str, new_prefix: str) -> None:
    assert normalise_phone(old_prefix + "7654321").national == new_prefix + "7654321"
    assert normalise_phone("+84" + old_prefix[1:] + "7654321").national == new_prefix + "7654321"


def test_conversion_table_is_the_one_in_domain_md() -> None:
    assert OLD_TO_NEW_PREFIX == {
        "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
        "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
        "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
        "0167": "037", "0168": "038", "0169": "039",
        "0186": "056", "0188": "058", "0199": "059",
    }  # fmt: skip


CARRIERS = [
    ("0321234567", "viettel"),
    ("0391234567", "viettel"),
    ("0861234567", "viettel"),
    ("0961234567", "viettel"),
    ("0981234567", "viettel"),
    ("0811234567", "vinaphone"),
    ("0851234567", "vinaphone"),
    ("0881234567", "vinaphone"),
    ("0911234567", "vinaphone"),
    ("0941234567", "vinaphone"),
    ("0701234567", "mobifone"),
    ("0771234567", "mobifone"),
    ("0891234567", "mobifone"),
    ("0901234567", "mobifone"),
    ("0931234567", "mobifone"),
    ("0521234567", "vietnamobile"),
    ("0561234567", "vietnamobile"),
    ("0581234567", "vietnamobile"),
    ("0921234567", "vietnamobile"),
    ("0591234567", "gmobile"),
    ("0991234567", "gmobile"),
    ("0871234567", "itel"),
    ("0551234567", "reddi"),
    ("01681234567", "viettel"),  # converted first, then hinted
    ("01201234567", "mobifone"),
    ("01861234567", "vietnamobile"),
]


@pytest.mark.parametrize(("raw", "carrier"), CARRIERS)
def test_carrier_hint_follows_the_original_allocation(raw: str, carrier: str) -> None:
    assert normalise_phone(raw).carrier_hint == carrier


def test_every_allocated_prefix_is_accepted_and_nothing_else_starting_with_zero_three_to_nine() -> None:
    accepted = {
        prefix
        for prefix in (f"0{n:02d}" for n in range(30, 100))
        if try_normalise_phone(prefix + "1234567") is not None
    }
    assert accepted == set(CARRIER_PREFIXES)
    assert len(accepted) == 36  # 12 Viettel, 8 VinaPhone, 8 MobiFone, 4 Vietnamobile, 2 Gmobile, iTel, Reddi


def test_derived_forms_for_gateways_and_logs() -> None:
    phone = normalise_phone("+84 (0) 912 345 678")
    assert phone.e164 == "+84912345678"
    assert phone.gateway == "84912345678"
    assert phone.masked == "0912***678"
    assert str(phone) == "0912345678"


def test_masked_form_hides_the_middle_digits() -> None:
    masked = normalise_phone("0389123456").masked
    assert masked == "0389***456"
    assert "123" not in masked


def test_phone_is_a_value_usable_as_dict_key() -> None:
    assert normalise_phone("0912.345.678") == normalise_phone("+84912345678")
    assert len({normalise_phone("0912.345.678"), normalise_phone("84912345678")}) == 1


@pytest.mark.parametrize("national", ["912345678", "09123456789", "0251234567", "091234567a"])
def test_phone_cannot_be_built_around_validation(national: str) -> None:
    with pytest.raises(InvalidPhone):
        Phone(national)


# first_mobile: several numbers in one field, joined by dashes as often as by commas or slashes.
SEVERAL_NUMBERS = [
    ("0912345678-0987654321", "0912345678", 1, 2),
    ("0912345678 - 0987654321", "0912345678", 1, 2),
    ("02583822123-0912345678", "0912345678", 2, 2),
    ("0258 3822 123 - 0912 345 678", "0912345678", 2, 2),
    ("3822123 - 0912345678", "0912345678", 2, 2),
    ("3822123-0912345678", "0912345678", 2, 2),
    ("0258-3822123-0912345678", "0912345678", 2, 2),
    ("0912345678/0987654321", "0912345678", 1, 2),
    ("0912345678,0987654321", "0912345678", 1, 2),
    ("0912345678;0987654321", "0912345678", 1, 2),
    ("0912-345-678-0987-654-321", "0912345678", 1, 2),
    ("0912-345-678 - 0987-654-321", "0912345678", 1, 2),
    ("0912.345.678 - 0987.654.321", "0912345678", 1, 2),
    ("+84 912 345 678 - 0987 654 321", "0912345678", 1, 2),
    ("0912 345 678 0987 654 321", "0912345678", 1, 2),
    ("0987654321-0912345678 (Zalo)", "0987654321", 1, 2),
    ("ĐT: 3822123 - 0912345678 (di động)", "0912345678", 2, 2),
    ("０９１２３４５６７８－０９８７６５４３２１", "0912345678", 1, 2),
]

# One number written with dashes, dots or spaces inside: read as one number, not cut at its dashes.
ONE_NUMBER = [
    "0912-345-678", "0912.345.678", "0912 345 678", "+84 912 345 678", "+84-912-345-678", "84-912-345-678",
    "0912-345678", "091-234-5678", "0912345-678", "(+84) 912-345-678", "+84 (0) 912-345-678", "0168-912-3456",
]


@pytest.mark.parametrize("raw, national, place, count", SEVERAL_NUMBERS)
def test_first_mobile_of_several_numbers(raw: str, national: str, place: int, count: int) -> None:
    phone, got_place, got_count = first_mobile(raw)
    assert (phone.national, got_place, got_count) == (national, place, count)


@pytest.mark.parametrize("raw", ONE_NUMBER)
def test_one_number_with_dashes_inside_is_one_number(raw: str) -> None:
    phone, place, count = first_mobile(raw)
    assert (place, count) == (1, 1)
    assert phone == normalise_phone(raw)


@pytest.mark.parametrize("raw", [
    "0258 3822 123", "02583822123-02583822124", "3822123-3822124", "3822123 - 0258 3822 124",
    "12345678-87654321", "0912-345", "0123456789-0123456789", "+1 415 555 0100 - +44 20 7946 0958",
    "không có", "", None,
])
def test_a_field_without_a_valid_mobile_gives_none(raw: str | None) -> None:
    assert first_mobile(raw) is None
