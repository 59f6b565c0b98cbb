"""Step names compared as a person reads them: every writing of "Trả kết quả" or "Chờ bổ sung" a vendor sends
is recognised, and no other step is taken for them."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.domain.states import DEFAULT_STEPS, RESULT_STEP
from motcua.domain.steps import (
    _RESULT_NAMES,
    _SUPPLEMENT_NAMES,
    SUPPLEMENT_STEP,
    display_step,
    is_result_step,
    is_supplement_step,
    same_step,
    step_key,
)

# Characters that print as nothing: zero-width space, BOM, ZWNJ, ZWJ, word joiner, soft hyphen, LRM.
INVISIBLE = ["\u200b", "\ufeff", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e"]
SPACES = [" ", "  ", "\u00a0", " \u00a0 ", "\t"]


def forms(name: str) -> list[str]:
    """NFC, NFD, upper, lower and title case of ``name``."""
    out = []
    for cased in (name, name.upper(), name.lower(), name.title()):
        out += [unicodedata.normalize("NFC", cased), unicodedata.normalize("NFD", cased)]
    return out


def with_invisible(name: str) -> list[str]:
    """``name`` with each invisible character at its start, in its middle (inside a word and beside a space)
    and at its end."""
    middle = len(name) // 2
    space = next(i for i, c in enumerate(name.strip()) if c.isspace()) + len(name) - len(name.lstrip())
    return [v for c in INVISIBLE for v in (c + name, name[:middle] + c + name[middle:],
                                           name[:space] + c + name[space:], name + c)]


def spaced(name: str) -> list[str]:
    return [s + name.replace(" ", s) + s for s in SPACES]


RESULT_WRITINGS = ["Trả kết quả", "Trả kết qủa", "Trả kết quả hồ sơ", "Trả kết qủa hồ sơ",
                   "Trả kết quả giải quyết", "Trả kết qủa giải quyết"]
SUPPLEMENT_WRITINGS = ["Chờ bổ sung", "Yêu cầu bổ sung", "Yêu cầu bổ sung hồ sơ"]


def variants(names: list[str]) -> list[str]:
    return sorted({v for n in names for f in forms(n) for s in spaced(f) for v in [s, *with_invisible(s)]})


def test_every_writing_of_the_result_step_is_the_result_step():
    names = variants(RESULT_WRITINGS)
    assert len(names) > 3000
    assert [n for n in names if not (is_result_step(n) and not is_supplement_step(n))] == []


def test_every_writing_of_the_supplement_step_is_the_supplement_step():
    names = variants(SUPPLEMENT_WRITINGS)
    assert len(names) > 1500
    assert [n for n in names if not (is_supplement_step(n) and not is_result_step(n))] == []


@pytest.mark.parametrize("name", [
    "Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt", "Đã trả kết quả", "Chờ trả kết quả", "Trả kết quả?",
    "Trà kết quả", "Trả kết qua", "Tra ket qua", "Trả kết", "Kết quả", "Trả\u200bkết quả", "Đã bổ sung",
    "Chờ bổ sung xong", "Bổ sung", "Chở bổ sung", "Chờ bồ sung", "", "   ", "\u200b",
])
def test_other_steps_are_neither(name):
    assert not is_result_step(name) and not is_supplement_step(name)


def test_none_is_neither():
    assert not is_result_step(None) and not is_supplement_step(None)


@pytest.mark.parametrize("pair", [("quả", "qủa"), ("hoá", "hóa"), ("thuỷ", "thủy"), ("hoà", "hòa"),
                                  ("khoẻ", "khỏe"), ("Thuý", "Thúy"), ("hoạ", "họa")])
def test_tone_placement_does_not_matter(pair):
    assert same_step(*pair)
    assert same_step(unicodedata.normalize("NFD", pair[0]), pair[1].upper())


@pytest.mark.parametrize("pair", [("Trả", "Trà"), ("Trả", "Tra"), ("Trả", "Trá"), ("kết", "kệt"), ("kết", "ket"),
                                  ("bổ", "bỗ"), ("bổ", "bở"), ("Chờ", "Chợ"), ("sung", "súng"), ("ăn", "ân"),
                                  ("ơ", "o"), ("ư", "u"), ("đ", "d")])
def test_tones_and_vowel_shapes_still_tell_words_apart(pair):
    assert not same_step(*pair)


def test_no_two_known_steps_share_a_key():
    """The tone rule must not merge step names the module or the default procedure keeps apart."""
    names = {*_RESULT_NAMES, *_SUPPLEMENT_NAMES, *DEFAULT_STEPS, "Đã trả kết quả", "Chờ trả kết quả",
             "Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt", "Chuyển hồ sơ", "Thẩm định lại"}
    for a, b in itertools.combinations(sorted(names), 2):
        assert step_key(a) != step_key(b), (a, b)
    result = {step_key(n) for n in _RESULT_NAMES}
    supplement = {step_key(n) for n in _SUPPLEMENT_NAMES}
    assert not result & supplement


@pytest.mark.parametrize("name", with_invisible("Trả kết quả") + with_invisible(unicodedata.normalize("NFD", "Trả kết quả")))
def test_the_step_shown_to_citizens_carries_no_invisible_character(name):
    shown = display_step(name)
    assert shown in ("Trả kết quả", "Trảkết quả", "Trả kếtquả") and unicodedata.is_normalized("NFC", shown)
    assert not any(unicodedata.category(c) == "Cf" for c in shown)


@pytest.mark.parametrize("raw, shown", [
    ("  Thẩm   định\u00a0hồ sơ ", "Thẩm định hồ sơ"),
    (unicodedata.normalize("NFD", "Phê duyệt"), "Phê duyệt"),
    ("\ufeffTRẢ KẾT QUẢ\u200b", "TRẢ KẾT QUẢ"),
    ("Trả kết qủa", "Trả kết qủa"),  # shown as written: only the comparison ignores tone placement
    ("Chờ bổ\u00ad sung", "Chờ bổ sung"),
    ("", ""),
])
def test_display_keeps_the_words_and_case(raw, shown):
    assert display_step(raw) == shown


def test_display_of_the_canonical_names_is_unchanged():
    for name in (RESULT_STEP, SUPPLEMENT_STEP, *DEFAULT_STEPS):
        assert display_step(name) == name


letters = st.sampled_from(list("aăâeêioôơuưyAĂÂEÊIOÔƠUƯYđĐbckqnght ") + ["\u0300", "\u0301", "\u0303", "\u0309",
                                                                           "\u0323", *INVISIBLE, "\u00a0"])


@given(st.text(alphabet=letters, max_size=24))
def test_key_ignores_form_case_and_invisibles(text):
    key = step_key(text)
    assert step_key(unicodedata.normalize("NFD", text)) == key
    assert step_key(unicodedata.normalize("NFC", text)) == key
    assert step_key(text.upper()) == step_key(text.lower()) == step_key(text.casefold())
    assert step_key("\u200b" + text + "\ufeff") == key
    assert step_key(display_step(text)) == key
    assert not any(unicodedata.category(c) == "Cf" for c in display_step(text))


@given(st.sampled_from(RESULT_WRITINGS + SUPPLEMENT_WRITINGS), st.lists(
    st.tuples(st.integers(min_value=0, max_value=40), st.sampled_from(INVISIBLE)), max_size=4))
def test_invisibles_anywhere_keep_the_step(name, inserts):
    text = unicodedata.normalize("NFD", name)
    for at, c in inserts:
        text = text[:at] + c + text[at:]
    assert is_result_step(text) == is_result_step(name)
    assert is_supplement_step(text) == is_supplement_step(name)
