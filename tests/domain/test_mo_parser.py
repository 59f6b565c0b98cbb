"""Parsing lookup messages (``MCKH <mã số biên nhận>`` to 8083) as real senders type them."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.domain.mo_parser import MAX_CODES, MAX_TEXT_CHARS, ParsedMO, _fold, parse_mo
from motcua.domain.receipt_codes import looks_like_code, normalise_code

CODE = "0161701234"
CODE2 = "0101701234"
NATIONAL = "G09.20-20260609-0092637"


def lookup(*codes: str) -> ParsedMO:
    return ParsedMO("lookup", codes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the notice's own examples, and its "_" separator
        ("MCKH 0161701234", lookup(CODE)),
        ("MCKH 0101701234", lookup(CODE2)),
        ("MCKH_0161701234", lookup(CODE)),
        # case
        ("mckh 0161701234", lookup(CODE)),
        ("Mckh 0161701234", lookup(CODE)),
        ("mCkH 0161701234", lookup(CODE)),
        # separators between keyword and code
        ("MCKH0161701234", lookup(CODE)),
        ("MCKH-0161701234", lookup(CODE)),
        ("MCKH:0161701234", lookup(CODE)),
        ("MCKH.0161701234", lookup(CODE)),
        ("MCKH #0161701234", lookup(CODE)),
        ("MCKH__0161701234", lookup(CODE)),
        # odd whitespace
        ("  MCKH   0161701234  ", lookup(CODE)),
        ("MCKH\t0161701234", lookup(CODE)),
        ("MCKH\n0161701234\n", lookup(CODE)),
        ("MCKH\r\n0161701234", lookup(CODE)),
        ("MCKH\u00a00161701234", lookup(CODE)),  # NBSP
        ("MCKH\u30000161701234", lookup(CODE)),  # ideographic space
        ("MCKH\u200b 0161701234", lookup(CODE)),  # zero-width space
        ("\ufeffMCKH 0161701234", lookup(CODE)),  # byte-order mark from some gateways
        # code written in groups
        ("MCKH 016 170 1234", lookup(CODE)),
        ("MCKH 016 17 01234", lookup(CODE)),
        ("MCKH 016.17.01234", lookup(CODE)),
        ("MCKH 016-17-01234", lookup(CODE)),
        ("MCKH 016. 17. 01234", lookup(CODE)),
        ("MCKH 016 - 17 - 01234", lookup(CODE)),
        ("MCKH 0161701 234", lookup(CODE)),
        ("MCKH 016 1701234", lookup(CODE)),
        ("MCKH 01617\u201301234", lookup(CODE)),  # en dash
        ("MCKH 016\u200b1701234", lookup(CODE)),
        # full width (CJK/IME keyboards)
        ("ＭＣＫＨ　０１６１７０１２３４", lookup(CODE)),
        ("ｍｃｋｈ ０１６１７０１２３４", lookup(CODE)),
        ("MCKH ０１６１７０１２３４", lookup(CODE)),
        # diacritics from Vietnamese keyboards (Telex/VNI) on the keyword
        ("MCKH\u0301 0161701234", lookup(CODE)),
        ("MCKĤ 0161701234", lookup(CODE)),
        ("MCKH\u0323 0161701234", lookup(CODE)),
        ("Ḿckh 0161701234", lookup(CODE)),
        ("ḾC̣KH 0161701234", lookup(CODE)),
        # keyword split or misspelled
        ("MC KH 0161701234", lookup(CODE)),
        ("MC_KH 0161701234", lookup(CODE)),
        ("M.C.K.H 0161701234", lookup(CODE)),
        ("M C K H 0161701234", lookup(CODE)),
        ("MCK 0161701234", lookup(CODE)),
        ("MKCH 0161701234", lookup(CODE)),
        ("NCKH 0161701234", lookup(CODE)),
        ("MCKHH 0161701234", lookup(CODE)),
        ("MCKG0161701234", lookup(CODE)),
        # keyword not first, or repeated
        ("Tra cuu MCKH 0161701234", lookup(CODE)),
        ("MCKH 0161701234 MCKH 0101701234", lookup(CODE, CODE2)),
        ("0161701234 MCKH", lookup(CODE)),
        # O for 0, I/l for 1
        ("MCKH O161701234", lookup(CODE)),
        ("MCKH 0l6l7Ol234", lookup(CODE)),
        ("MCKH 0I61701234", lookup(CODE)),
        # national codes
        ("MCKH G09.20-20260609-0092637", lookup(NATIONAL)),
        ("mckh g09.20-20260609-0092637", lookup(NATIONAL)),
        ("MCKHG09.20-20260609-0092637", lookup(NATIONAL)),
        ("MCKH G09.20 - 20260609 - 0092637", lookup(NATIONAL)),
        ("MCKH G09.20\u201320260609\u20130092637", lookup(NATIONAL)),
        ("MCKH Ｇ０９．２０－２０２６０６０９－００９２６３７", lookup(NATIONAL)),
        ("MCKH 000.00.20.H32-260609-0001", lookup("000.00.20.H32-260609-0001")),
        # several codes
        ("MCKH 0161701234 0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234,0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234, 0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234;0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234 ; 0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234 và 0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234 va 0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234 & 0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234/0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234-0101701234", lookup(CODE, CODE2)),
        ("MCKH 0161701234\n0101701234", lookup(CODE, CODE2)),
        ("MCKH 016 17 01234 010 17 01234", lookup(CODE, CODE2)),
        ("MCKH 0161701234 G09.20-20260609-0092637", lookup(CODE, NATIONAL)),
        ("MCKH 0161701234 0161701234", lookup(CODE)),  # the same code twice is looked up once
        ("MCKH 0161701234 016 170 1234", lookup(CODE)),
        # quotes, brackets, trailing punctuation, politeness
        ('MCKH "0161701234"', lookup(CODE)),
        ("MCKH “0161701234”", lookup(CODE)),
        ("MCKH '0161701234'", lookup(CODE)),
        ("MCKH (0161701234)", lookup(CODE)),
        ("MCKH [0161701234]", lookup(CODE)),
        ("MCKH <0161701234>", lookup(CODE)),
        ("MCKH 0161701234.", lookup(CODE)),
        ("MCKH 0161701234!!!", lookup(CODE)),
        ("MCKH 0161701234?", lookup(CODE)),
        ("MCKH 0161701234...", lookup(CODE)),
        ("MCKH 0161701234. Cảm ơn!", lookup(CODE)),
        ("MCKH 0161701234 cam on nhieu", lookup(CODE)),
        ("MCKH 0161701234 - cam on", lookup(CODE)),
        # a phone number in a signature cannot be told from a code: it is looked up, and not found
        ("MCKH 0161701234\nNguyen Van A - 0912345678", ParsedMO("lookup", (CODE, "0912345678"))),
        ("MCKH G09.20-20260609-0092637.", lookup(NATIONAL)),
        # keyword without a code
        ("MCKH", ParsedMO("no_code")),
        ("mckh ", ParsedMO("no_code")),
        ("MCKH ma so bien nhan", ParsedMO("no_code")),
        ("MCKH <Mã số biên nhận>", ParsedMO("no_code")),
        ("MCKH 01617", ParsedMO("no_code")),  # too short to be a code: the reply shows the syntax
        ("MCKH ???", ParsedMO("no_code")),
        # bare codes: looked up, flagged so the reply can teach the syntax
        ("0161701234", ParsedMO("lookup", (CODE,), keyword_missing=True)),
        (" 016 170 1234. ", ParsedMO("lookup", (CODE,), keyword_missing=True)),
        ("0161701234 0101701234", ParsedMO("lookup", (CODE, CODE2), keyword_missing=True)),
        ("G09.20-20260609-0092637", ParsedMO("lookup", (NATIONAL,), keyword_missing=True)),
        # another keyword, or words: the codes found still come back for a helpful reply
        ("TC 0161701234", ParsedMO("wrong_keyword", (CODE,))),
        ("TC - 0161701234", ParsedMO("wrong_keyword", (CODE,))),
        ("tc_0161701234", ParsedMO("wrong_keyword", (CODE,))),
        ("MC 0161701234", ParsedMO("wrong_keyword", (CODE,))),
        ("DK 0161701234", ParsedMO("wrong_keyword", (CODE,))),
        ("Tra cuu ho so 0161701234", ParsedMO("wrong_keyword", (CODE,))),
        ("Xin chào", ParsedMO("wrong_keyword")),
        ("2017", ParsedMO("wrong_keyword")),
        ("???", ParsedMO("wrong_keyword")),
        ("你好", ParsedMO("wrong_keyword")),
        # nothing
        ("", ParsedMO("empty")),
        ("   ", ParsedMO("empty")),
        ("\t\r\n\u00a0\u3000", ParsedMO("empty")),
        ("\u200b\ufeff", ParsedMO("empty")),
    ],
)
def test_parse_mo(text: str, expected: ParsedMO) -> None:
    assert parse_mo(text) == expected


def test_keyword_is_a_setting() -> None:
    assert parse_mo("MCHY 0161701234", keyword="MCHY") == lookup(CODE)
    assert parse_mo("mc hy 0161701234", keyword="MCHY") == lookup(CODE)
    assert parse_mo("MCKH 0161701234", keyword="MCHY").kind == "wrong_keyword"
    assert parse_mo("Một cửa 0161701234", keyword="Một cửa") == lookup(CODE)


def test_keyword_with_no_letter_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="Từ khóa"):
        parse_mo("MCKH 0161701234", keyword=" - ")


def test_short_keyword_is_not_guessed_from_typos() -> None:
    # "TC" is one letter away from "TD": with so short a keyword a typo rule would catch real words
    assert parse_mo("TC 0161701234", keyword="TD").kind == "wrong_keyword"


def test_codes_are_capped_and_truncation_is_reported() -> None:
    codes = [f"01617{serial:05d}" for serial in range(MAX_CODES + 3)]
    parsed = parse_mo("MCKH " + " ".join(codes))
    assert parsed.kind == "lookup"
    assert parsed.codes == tuple(codes[:MAX_CODES])
    assert parsed.truncated


def test_exactly_max_codes_is_not_truncated() -> None:
    codes = [f"01617{serial:05d}" for serial in range(MAX_CODES)]
    parsed = parse_mo("MCKH " + ",".join(codes))
    assert parsed.codes == tuple(codes)
    assert not parsed.truncated


def test_only_the_first_characters_are_read() -> None:
    padded = "MCKH" + " " * MAX_TEXT_CHARS + CODE
    assert parse_mo(padded) == ParsedMO("no_code")
    assert parse_mo("MCKH " + CODE + " " * 10 * MAX_TEXT_CHARS) == lookup(CODE)


def test_giant_message_is_handled() -> None:
    many = "MCKH " + " ".join(f"01617{serial:05d}" for serial in range(200_000))
    parsed = parse_mo(many)
    assert parsed.kind == "lookup"
    assert len(parsed.codes) == MAX_CODES
    assert parsed.truncated
    assert parse_mo("\ufdfa" * 100_000).kind == "wrong_keyword"  # expands 18-fold under NFKC


def test_lone_surrogates_do_not_crash() -> None:
    assert parse_mo("MCKH \ud800 0161701234 \udfff") == lookup(CODE)


def test_non_str_input_is_treated_as_empty() -> None:
    assert parse_mo(None) == ParsedMO("empty")  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------

ten_digit_codes = st.from_regex(r"[0-9]{10}", fullmatch=True)

_alnum = "ABCDEFGHJKNPQRSTUVWXYZ0123456789"
national_codes = st.one_of(
    # G09.20-20260609-0092637
    st.from_regex(r"[A-Z][0-9]{2}\.[0-9]{2}-20[0-9]{6}-[0-9]{7}", fullmatch=True),
    # {agency id}-{yyMMdd}-{NNNN}, agency ids such as 000.00.20.H32
    st.builds(
        lambda groups, date, serial: ".".join(groups) + f"-{date}-{serial}",
        st.lists(st.text(_alnum, min_size=1, max_size=3), min_size=1, max_size=4),
        st.from_regex(r"[0-9]{6}", fullmatch=True),
        st.from_regex(r"[0-9]{4}", fullmatch=True),
    ),
)


@settings(max_examples=500)
@given(st.text())
def test_any_text_gives_a_parsed_mo(text: str) -> None:
    parsed = parse_mo(text)
    assert parsed.kind in ("lookup", "no_code", "wrong_keyword", "empty")
    assert len(parsed.codes) <= MAX_CODES
    assert len(set(parsed.codes)) == len(parsed.codes)
    for code in parsed.codes:
        assert normalise_code(code) == code
        assert looks_like_code(code)
    if parsed.kind in ("no_code", "empty"):
        assert parsed.codes == ()
    if parsed.kind == "empty":  # nothing visible: whitespace, control, invisible or lone marks
        assert all(
            ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Mn")
            for ch in unicodedata.normalize("NFKD", text)
        )


@settings(max_examples=300)
@given(st.text(st.characters(max_codepoint=127)))
def test_plain_ascii_message_is_read_as_the_full_unicode_path_reads_it(text: str) -> None:
    # Most messages are ASCII and skip the normal forms; a zero-width space (dropped) forces the
    # full path on the same text, and both must fold and parse it alike.
    assert _fold(text) == _fold(text + "\u200b")
    assert parse_mo(text) == parse_mo(text + "\u200b")


@given(st.text(), st.text())
def test_text_around_the_keyword_never_crashes(before: str, after: str) -> None:
    parsed = parse_mo(f"{before}MCKH {after}")
    assert isinstance(parsed, ParsedMO)


@given(ten_digit_codes)
def test_ten_digit_code_is_found(code: str) -> None:
    assert parse_mo(f"MCKH {code}") == lookup(code)
    assert parse_mo(f"mckh_{code}.") == lookup(code)
    assert parse_mo(code) == ParsedMO("lookup", (code,), keyword_missing=True)


@given(national_codes)
def test_national_code_is_found(code: str) -> None:
    assert parse_mo(f"MCKH {code}") == lookup(normalise_code(code))
    assert parse_mo(f"mckh {code.lower()}") == lookup(normalise_code(code))


@given(ten_digit_codes, st.data())
def test_ten_digit_code_written_in_groups_is_found(code: str, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(1, 9), max_size=5)))
    separators = st.sampled_from([" ", "  ", ".", "-", " . ", " - ", "\u00a0", "\t"])
    pieces = [code[start:end] for start, end in zip([0, *cuts], [*cuts, 10], strict=True)]
    written = pieces[0] + "".join(data.draw(separators) + piece for piece in pieces[1:])
    assert parse_mo(f"MCKH {written}") == lookup(code)


@given(
    st.lists(ten_digit_codes, min_size=1, max_size=MAX_CODES, unique=True),
    st.sampled_from([" ", ", ", ";", " và "]),
)
def test_several_codes_are_all_found_in_order(codes: list[str], separator: str) -> None:
    assert parse_mo("MCKH " + separator.join(codes)) == lookup(*codes)
