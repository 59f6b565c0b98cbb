"""The GSM 03.38 alphabet: one table for counting, folding and the bytes sent over SMPP."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.smstext import (
    GSM_BASIC,
    GSM_ESCAPE,
    GSM_EXTENSION,
    GSM_SEPTETS,
    count_parts,
    gsm_decode,
    gsm_encode,
    gsm_only,
)


def test_the_default_alphabet_has_128_septets_and_the_escape_is_not_a_character():
    assert len(GSM_SEPTETS) == 128
    assert GSM_SEPTETS[GSM_ESCAPE] == "\x1b" and "\x1b" not in GSM_BASIC
    assert len(GSM_BASIC) == 127 and not GSM_BASIC & GSM_EXTENSION


def test_septets_are_the_positions_of_the_gsm_table():
    # @=0x00 £=0x01 Δ=0x10 space=0x20 A=0x41 §=0x5F a=0x61 à=0x7F; extension: escape + code
    assert gsm_encode("@£Δ A§aà") == bytes((0x00, 0x01, 0x10, 0x20, 0x41, 0x5F, 0x61, 0x7F))
    assert gsm_encode("€{}[]~\\^|\f") == bytes.fromhex("1b65 1b28 1b29 1b3c 1b3e 1b3d 1b2f 1b14 1b40 1b0a")


def test_an_unknown_extension_code_reads_as_a_space():
    assert gsm_decode(b"a\x1b\x41b") == "a b"


@given(st.text(st.sampled_from(sorted(GSM_BASIC | GSM_EXTENSION)) | st.characters(), max_size=200))
def test_septets_round_trip_and_characters_outside_gsm_become_question_marks(text):
    encoded = gsm_encode(text)
    plain = gsm_only(text)
    assert plain == "".join(ch if ch in GSM_BASIC or ch in GSM_EXTENSION else "?" for ch in text)
    assert gsm_decode(encoded) == plain
    assert len(encoded) == count_parts(plain, "gsm").units  # what is sent is what was counted
    assert max(encoded, default=0) <= 0x7F
