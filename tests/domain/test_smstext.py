"""SMS text: what the citizen reads, and how many parts the agency pays for."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.smstext import (
    ALLOWED_PLACEHOLDERS,
    DEFAULT_TEMPLATES,
    REQUIRED_PLACEHOLDERS,
    SmsParts,
    TemplateError,
    count_parts,
    estimate_cost,
    fold_vietnamese,
    format_appointment_date,
    is_gsm,
    prepare_text,
    render_template,
    split_parts,
    validate_template,
)

# --- folding ---------------------------------------------------------------------------------

# Each row: the base letter, then the five tones (sắc, huyền, hỏi, ngã, nặng) — typed out, not
# generated, so the test does not share the implementation's idea of Unicode.
VOWEL_ROWS = {
    "a": "aáàảãạ",
    "ă": "ăắằẳẵặ",
    "â": "âấầẩẫậ",
    "e": "eéèẻẽẹ",
    "ê": "êếềểễệ",
    "i": "iíìỉĩị",
    "o": "oóòỏõọ",
    "ô": "ôốồổỗộ",
    "ơ": "ơớờởỡợ",
    "u": "uúùủũụ",
    "ư": "ưứừửữự",
    "y": "yýỳỷỹỵ",
}
PLAIN = {"a": "a", "ă": "a", "â": "a", "e": "e", "ê": "e", "i": "i", "o": "o", "ô": "o", "ơ": "o",
         "u": "u", "ư": "u", "y": "y"}  # fmt: skip
ALL_VOWELS = [(ch, PLAIN[base]) for base, row in VOWEL_ROWS.items() for ch in row]


def test_the_vowel_table_is_complete() -> None:
    assert len(ALL_VOWELS) == 72
    assert len({ch for ch, _ in ALL_VOWELS}) == 72


@pytest.mark.parametrize(("letter", "plain"), ALL_VOWELS)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_every_vowel_and_tone_folds_in_both_cases(letter: str, plain: str, form: str) -> None:
    lower = unicodedata.normalize(form, letter)
    upper = unicodedata.normalize(form, letter.upper())
    assert fold_vietnamese(lower) == plain
    assert fold_vietnamese(upper) == plain.upper()


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ặ", "A"),
        ("ữ", "u"),
        ("Đ", "D"),
        ("đ", "d"),
        ("Đặng Thị Ữ", "Dang Thi U"),
        ("Ủy ban nhân dân phường Nha Trang", "Uy ban nhan dan phuong Nha Trang"),
        ("Sở Tư pháp tỉnh Khánh Hòa", "So Tu phap tinh Khanh Hoa"),
        ("Khánh Hoà", "Khanh Hoa"),  # old-style tone placement
        ("NGƯỜI ĐƯỢC ỦY QUYỀN", "NGUOI DUOC UY QUYEN"),
        ("MS: 0161701234, 24/11/2026 (đúng hạn)!", "MS: 0161701234, 24/11/2026 (dung han)!"),
        ("", ""),
    ],
)
def test_folding_real_texts(text: str, folded: str) -> None:
    assert fold_vietnamese(text) == folded
    assert fold_vietnamese(unicodedata.normalize("NFD", text)) == folded


def test_folding_keeps_non_vietnamese_characters() -> None:
    assert fold_vietnamese("Giá 1.000₫ — 100% [OK] 😀 中") == "Gia 1.000₫ — 100% [OK] 😀 中"


@given(
    st.text(
        alphabet="".join(ch + ch.upper() for ch, _ in ALL_VOWELS) + "đĐbcdghklmnpqrstvx 0123456789.,:/()-"
    )
)
def test_folded_vietnamese_is_always_gsm_and_keeps_its_length(text: str) -> None:
    folded = fold_vietnamese(text)
    assert is_gsm(folded)
    assert len(folded) == len(text)
    assert fold_vietnamese(unicodedata.normalize("NFD", text)) == folded


# --- GSM and counting ------------------------------------------------------------------------


def test_gsm_alphabet_membership() -> None:
    assert is_gsm("Ho so cua quy ong/ba (MS: 0161701234) @£$¥èéÄ§¿\n")
    assert is_gsm("^{}\\[~]|€")
    assert not is_gsm("Hồ sơ")
    assert not is_gsm("đ")
    assert not is_gsm("`")  # ASCII, yet not in GSM 03.38
    assert not is_gsm("\x1b")  # the escape itself is not a character
    assert not is_gsm("😀")


@pytest.mark.parametrize("ch", list("^{}\\[~]|€"))
def test_extension_characters_count_two_septets(ch: str) -> None:
    assert count_parts("a" + ch) == SmsParts("gsm", 3, 1)
    assert count_parts(ch * 80) == SmsParts("gsm", 160, 1)
    assert count_parts(ch * 81) == SmsParts("gsm", 162, 2)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (153 * 2, 2), (153 * 2 + 1, 3), (153 * 3, 3), (153 * 3 + 1, 4)],
)
def test_gsm_boundaries(length: int, parts: int) -> None:
    assert count_parts("a" * length) == SmsParts("gsm", length, parts)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (70, 1), (71, 2), (67 * 2, 2), (67 * 2 + 1, 3), (67 * 3, 3), (67 * 3 + 1, 4)],
)
def test_ucs2_boundaries(length: int, parts: int) -> None:
    assert count_parts("ạ" * length) == SmsParts("ucs2", length, parts)


def test_ucs2_counts_utf16_units_not_characters() -> None:
    assert count_parts("😀" * 35) == SmsParts("ucs2", 70, 1)
    assert count_parts("😀" * 35 + "a") == SmsParts("ucs2", 71, 2)


def test_nfd_text_costs_more_than_nfc_which_is_why_accented_text_is_normalised() -> None:
    nfd = unicodedata.normalize("NFD", "Hồ sơ của quý ông/bà")
    assert count_parts(nfd).units > len("Hồ sơ của quý ông/bà")
    text, parts = prepare_text(nfd, "accented")
    assert text == "Hồ sơ của quý ông/bà"
    assert parts == SmsParts("ucs2", 20, 1)


def test_forcing_gsm_on_text_outside_gsm_is_an_error() -> None:
    with pytest.raises(ValueError):
        count_parts("Hồ sơ", "gsm")


def test_gsm_text_can_be_counted_as_ucs2() -> None:
    assert count_parts("a" * 100, "ucs2") == SmsParts("ucs2", 100, 2)


def test_escape_pair_straddling_a_part_boundary_costs_an_extra_part() -> None:
    # 152 + 2 + 152 = 306 septets = 153 * 2, but € cannot be cut: 152 | € + 151 | 1.
    text = "a" * 152 + "€" + "a" * 152
    assert split_parts(text, "gsm") == ["a" * 152, "€" + "a" * 151, "a"]
    assert count_parts(text) == SmsParts("gsm", 306, 3)


def test_surrogate_pair_straddling_a_part_boundary_is_not_cut() -> None:
    text = "ạ" * 66 + "😀" + "ạ" * 66  # 134 units = 67 * 2
    assert split_parts(text, "ucs2") == ["ạ" * 66, "😀" + "ạ" * 65, "ạ"]
    assert count_parts(text) == SmsParts("ucs2", 134, 3)


def test_single_message_is_not_split() -> None:
    assert split_parts("a" * 160, "gsm") == ["a" * 160]
    assert split_parts("", "gsm") == [""]
    assert split_parts("ạ" * 70, "ucs2") == ["ạ" * 70]


def _units(text: str, encoding: str) -> int:
    return count_parts(text, encoding).units  # type: ignore[arg-type]


gsm_chars = st.sampled_from(list("abcXYZ 019.,:/()@£èÉ") + list("^{}\\[~]|€"))
any_chars = st.characters(exclude_categories=("Cs",))


@given(st.text(gsm_chars, max_size=700))
def test_gsm_split_respects_limits_and_joins_back(text: str) -> None:
    parts = split_parts(text, "gsm")
    assert "".join(parts) == text
    limit = 160 if len(parts) == 1 else 153
    assert all(_units(p, "gsm") <= limit for p in parts)
    assert count_parts(text, "gsm").parts == len(parts)
    # greedy: a part only ends early when the next character would not fit
    for part, following in zip(parts, parts[1:], strict=False):
        assert _units(part, "gsm") + _units(following[0], "gsm") > 153


@given(st.text(any_chars, max_size=400))
def test_ucs2_split_respects_limits_and_joins_back(text: str) -> None:
    parts = split_parts(text, "ucs2")
    assert "".join(parts) == text
    limit = 70 if len(parts) == 1 else 67
    for part in parts:
        assert len(part.encode("utf-16-be")) // 2 <= limit
        part.encode("utf-16-be")  # raises if a surrogate pair were cut (a lone surrogate)
    assert count_parts(text, "ucs2").parts == len(parts)


@given(st.text(any_chars, max_size=400))
def test_automatic_encoding_is_gsm_exactly_when_possible(text: str) -> None:
    assert count_parts(text).encoding == ("gsm" if is_gsm(text) else "ucs2")


# --- prepare_text ----------------------------------------------------------------------------


def test_unaccented_policy_always_yields_gsm() -> None:
    text, parts = prepare_text("“Đặng” – trả kết quả… 😀\tKhánh Hòa", "unaccented")
    assert text == '"Dang" - tra ket qua... ?' + " Khanh Hoa"
    assert parts == SmsParts("gsm", len(text), 1)


@given(st.text(any_chars, max_size=300))
def test_unaccented_output_is_gsm_for_any_input(text: str) -> None:
    out, parts = prepare_text(text, "unaccented")
    assert is_gsm(out)
    assert parts.encoding == "gsm"


def test_accented_policy_uses_gsm_when_the_text_has_no_diacritics() -> None:
    assert prepare_text("MS 0161701234", "accented") == ("MS 0161701234", SmsParts("gsm", 13, 1))


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        prepare_text("x", "latin1")  # type: ignore[arg-type]


def test_cost_is_parts_times_price() -> None:
    assert estimate_cost(4, 350) == 1400
    assert estimate_cost(0, 350) == 0
    with pytest.raises(ValueError):
        estimate_cost(-1, 350)


# --- templates -------------------------------------------------------------------------------

FIELDS = {
    "Mã số biên nhận": "0161701234",
    "Tên cơ quan": "Sở Du lịch",
    "Ngày hẹn trả": format_appointment_date(date(2026, 11, 24)),
    "Tên bước giải quyết hiện tại": "Thẩm định hồ sơ",
    "Đúng hạn/Trễ hạn": "Đúng hạn",
}


def test_default_texts_are_the_official_ones_word_for_word() -> None:
    assert DEFAULT_TEMPLATES == {
        "result": "TB: Hồ sơ của quý ông/bà (MS: {Mã số biên nhận}) đã được giải quyết xong. Mời ông/bà đến Bộ phận Một cửa {Tên cơ quan} để nhận kết quả",
        "supplement": "TB: Hồ sơ của quý ông/bà (MS: {Mã số biên nhận}) cần bổ sung theo quy định. Mời ông/bà đến Bộ phận Một cửa {Tên cơ quan} để nhận thông báo",
        "apology": "TB: Hồ sơ của quý ông/bà (MS: {Mã số biên nhận}) chưa có kết quả vào ngày {Ngày hẹn trả}. Ông/bà có thể đến Bộ phận Một cửa {Tên cơ quan} nhận Thông báo xin lỗi, hẹn lại thời gian trả kết quả hoặc đến nhận kết quả khi có tin nhắn tiếp theo",
        "lookup_reply": "Hồ sơ của quý Ông/Bà ({Mã số biên nhận}) hiện đang ở bước {Tên bước giải quyết hiện tại}, trạng thái hồ sơ: {Đúng hạn/Trễ hạn}.",
    }


@pytest.mark.parametrize("kind", sorted(DEFAULT_TEMPLATES))
def test_default_texts_pass_validation(kind: str) -> None:
    validate_template(kind, DEFAULT_TEMPLATES[kind])


# Expected lengths counted by hand, word by word (every Vietnamese letter is one character):
# shared opening "TB: Hồ sơ của quý ông/bà (MS: 0161701234)" = 34 letters + 7 spaces = 41;
# result: " đã được giải quyết xong." = 20 + 5 = 25, then " Mời ông/bà đến Bộ phận Một cửa
# Sở Du lịch để nhận kết quả" = 44 + 14 = 58 -> 124.
# supplement: " cần bổ sung theo quy định." = 21 + 6 = 27, " Mời … nhận thông báo" = 46 + 14 = 60
# -> 128. apology: " chưa có kết quả vào ngày 24/11/2026." = 30 + 7 = 37, then the 34 words of
# " Ông/bà có thể … tiếp theo" = 113 + 34 = 147 -> 225.
# UCS-2: 124 and 128 -> ceil(/67) = 2 parts; 225 -> 4 parts (3 * 67 = 201 < 225).
# GSM after folding (no extension characters): 124, 128 <= 160 -> 1 part; 225 -> 2 parts.
RENDERED = {
    "result": (
        "TB: Hồ sơ của quý ông/bà (MS: 0161701234) đã được giải quyết xong. Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận kết quả",
        "TB: Ho so cua quy ong/ba (MS: 0161701234) da duoc giai quyet xong. Moi ong/ba den Bo phan Mot cua So Du lich de nhan ket qua",
        SmsParts("ucs2", 124, 2),
        SmsParts("gsm", 124, 1),
    ),
    "supplement": (
        "TB: Hồ sơ của quý ông/bà (MS: 0161701234) cần bổ sung theo quy định. Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận thông báo",
        "TB: Ho so cua quy ong/ba (MS: 0161701234) can bo sung theo quy dinh. Moi ong/ba den Bo phan Mot cua So Du lich de nhan thong bao",
        SmsParts("ucs2", 128, 2),
        SmsParts("gsm", 128, 1),
    ),
    "apology": (
        "TB: Hồ sơ của quý ông/bà (MS: 0161701234) chưa có kết quả vào ngày 24/11/2026. Ông/bà có thể đến Bộ phận Một cửa Sở Du lịch nhận Thông báo xin lỗi, hẹn lại thời gian trả kết quả hoặc đến nhận kết quả khi có tin nhắn tiếp theo",
        "TB: Ho so cua quy ong/ba (MS: 0161701234) chua co ket qua vao ngay 24/11/2026. Ong/ba co the den Bo phan Mot cua So Du lich nhan Thong bao xin loi, hen lai thoi gian tra ket qua hoac den nhan ket qua khi co tin nhan tiep theo",
        SmsParts("ucs2", 225, 4),
        SmsParts("gsm", 225, 2),
    ),
    # "Hồ sơ của quý Ông/Bà (0161701234)" = 28 + 5 spaces = 33; " hiện đang ở bước Thẩm định
    # hồ sơ," = 26 + 8 = 34; " trạng thái hồ sơ: Đúng hạn." = 22 + 6 = 28 -> 95: UCS-2 2, GSM 1.
    "lookup_reply": (
        "Hồ sơ của quý Ông/Bà (0161701234) hiện đang ở bước Thẩm định hồ sơ, trạng thái hồ sơ: Đúng hạn.",
        "Ho so cua quy Ong/Ba (0161701234) hien dang o buoc Tham dinh ho so, trang thai ho so: Dung han.",
        SmsParts("ucs2", 95, 2),
        SmsParts("gsm", 95, 1),
    ),
}


@pytest.mark.parametrize("kind", sorted(RENDERED))
def test_default_texts_rendered_for_so_du_lich(kind: str) -> None:
    accented, unaccented, accented_parts, unaccented_parts = RENDERED[kind]
    rendered = render_template(DEFAULT_TEMPLATES[kind], FIELDS)
    assert rendered == accented
    assert prepare_text(rendered, "accented") == (accented, accented_parts)
    assert prepare_text(rendered, "unaccented") == (unaccented, unaccented_parts)
    assert count_parts(accented, "ucs2") == accented_parts
    assert count_parts(unaccented, "ucs2").parts == -(-len(unaccented) // 67)


def test_render_substitutes_in_one_pass_without_str_format() -> None:
    text = "{Tên cơ quan}: {Mã số biên nhận} {Đúng hạn/Trễ hạn}"
    fields = {"Tên cơ quan": "Sở {Mã số biên nhận}", "Mã số biên nhận": "G09.20-20260609-0092637",
              "Đúng hạn/Trễ hạn": "Trễ hạn"}  # fmt: skip
    assert render_template(text, fields) == "Sở {Mã số biên nhận}: G09.20-20260609-0092637 Trễ hạn"


def test_render_tolerates_nfd_placeholder_names_and_braced_keys() -> None:
    text = unicodedata.normalize("NFD", "MS {Mã số biên nhận}").replace("{", "{ ")
    assert unicodedata.normalize("NFC", render_template(text, {"{Mã số biên nhận}": "0161701234"})) == (
        "MS 0161701234"
    )


def test_render_refuses_to_send_a_literal_placeholder() -> None:
    with pytest.raises(TemplateError) as caught:
        render_template(
            DEFAULT_TEMPLATES["apology"], {"Mã số biên nhận": "0161701234", "Tên cơ quan": "Sở Du lịch"}
        )
    assert caught.value.messages == ["Thiếu giá trị cho trường {Ngày hẹn trả}"]


def test_required_placeholders() -> None:
    assert all("Mã số biên nhận" in names for names in REQUIRED_PLACEHOLDERS.values())
    assert "Ngày hẹn trả" in REQUIRED_PLACEHOLDERS["apology"]
    assert {"Tên bước giải quyết hiện tại", "Đúng hạn/Trễ hạn"} <= REQUIRED_PLACEHOLDERS["lookup_reply"]
    for kind, required in REQUIRED_PLACEHOLDERS.items():
        assert required <= ALLOWED_PLACEHOLDERS[kind]


def test_lookup_reply_cannot_name_the_citizen() -> None:
    with pytest.raises(TemplateError) as caught:
        validate_template("lookup_reply", DEFAULT_TEMPLATES["lookup_reply"] + " {Chủ hồ sơ}")
    assert len(caught.value.messages) == 1
    assert caught.value.messages[0].startswith("Trường {Chủ hồ sơ} không dùng được")


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("result", "", ["Nội dung mẫu tin nhắn không được để trống"]),
        ("result", "   \n", ["Nội dung mẫu tin nhắn không được để trống"]),
        ("result", "Hồ sơ đã xong. Mời đến {Tên cơ quan}", ["Mẫu tin nhắn phải có trường {Mã số biên nhận}"]),
        (
            "apology",
            "Hồ sơ {Mã số biên nhận} chưa có kết quả",
            ["Mẫu tin nhắn phải có trường {Ngày hẹn trả}"],
        ),
        (
            "lookup_reply",
            "Hồ sơ {Mã số biên nhận}",
            [
                "Mẫu tin nhắn phải có trường {Tên bước giải quyết hiện tại}",
                "Mẫu tin nhắn phải có trường {Đúng hạn/Trễ hạn}",
            ],
        ),
        (
            "result",
            "MS {Mã số biên nhận",
            ["Dấu { ở vị trí 4 chưa được đóng bằng }", "Mẫu tin nhắn phải có trường {Mã số biên nhận}"],
        ),
        (
            "result",
            "MS Mã số biên nhận} {Mã số biên nhận}",
            ["Dấu } ở vị trí 19 không có dấu { mở tương ứng"],
        ),
        (
            "result",
            "MS {{Mã số biên nhận}}",
            ["Dấu { ở vị trí 4 chưa được đóng bằng }", "Dấu } ở vị trí 22 không có dấu { mở tương ứng"],
        ),
    ],
)
def test_template_errors_tell_the_administrator_what_to_fix(
    kind: str, text: str, expected: list[str]
) -> None:
    with pytest.raises(TemplateError) as caught:
        validate_template(kind, text)
    assert caught.value.messages == expected


def test_unknown_placeholder_lists_the_allowed_ones() -> None:
    with pytest.raises(TemplateError) as caught:
        validate_template("result", "MS {Mã số biên nhận} tại {Ten co quan}")
    (message,) = caught.value.messages
    assert "{Ten co quan}" in message
    assert "{Tên cơ quan}" in message


def test_unknown_kind_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        validate_template("marketing", "{Mã số biên nhận}")


def test_placeholder_typed_with_nfd_or_extra_spaces_is_accepted() -> None:
    validate_template("result", unicodedata.normalize("NFD", "Hồ sơ {Mã số  biên nhận } xong"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 24), "24/11/2026"),
        (date(2027, 1, 5), "05/01/2027"),
        (datetime(2026, 11, 24, 23, 30), "24/11/2026"),
        # 18:00 UTC on the 23rd is 01:00 on the 24th in Vietnam
        (datetime(2026, 11, 23, 18, 0, tzinfo=UTC), "24/11/2026"),
    ],
)
def test_appointment_date_is_written_as_on_the_receipt(value: date, expected: str) -> None:
    assert format_appointment_date(value) == expected
