"""Step names compared as a person reads them.

One-stop software sends "Trả kết quả" in NFC or in NFD (Unikey's "Unicode tổ hợp", macOS), in any letter
case, with stray or doubled spaces, with invisible characters pasted from Word or the web (zero-width space,
BOM, ZWNJ, word joiner, soft hyphen), and with the tone mark on either vowel ("quả" or the old-style "qủa").
A citizen reads all of these as the same step, so every path that asks "is this the result step?" or "is
this the supplement step?" (API events, DVCQG sync and progress, the desk) asks here: a step missed in one
form means no result SMS and then a wrong apology.
"""

from __future__ import annotations

import re
import unicodedata

from motcua.domain.states import RESULT_STEP

SUPPLEMENT_STEP = "Chờ bổ sung"
_SPACES = re.compile(r"\s+")

# Other ways vendors label the same two steps (compared after :func:`step_key`).
_RESULT_NAMES = (RESULT_STEP, "Trả kết quả hồ sơ", "Trả kết quả giải quyết")
_SUPPLEMENT_NAMES = (SUPPLEMENT_STEP, "Yêu cầu bổ sung", "Yêu cầu bổ sung hồ sơ")


# The five Vietnamese tone marks (grave, acute, tilde, hook above, dot below) after NFD. The vowel-shape marks
# (circumflex U+0302, breve U+0306, horn U+031B) are part of the letter and are kept where they are.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _visible(text: str) -> str:
    """``text`` without Unicode format characters (category Cf: zero-width space, BOM, ZWNJ, ZWJ, word joiner,
    soft hyphen, direction marks). They print as nothing, so a reader never sees them, but they make two
    identical-looking names differ, and they must not reach a citizen's SMS either."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def display_step(name: str) -> str:
    """The step as we store and show it: invisible format characters dropped, NFC, spaces collapsed, ends
    stripped (case kept)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", _visible(name or ""))).strip()


def step_key(name: str) -> str:
    """The comparison key: two names with equal keys are the same step to a reader.

    Besides form, case, spaces and invisible characters, where a syllable carries its tone mark does not
    matter: the old-style "qủa", "hóa", "thủy" and the new-style "quả", "hoá", "thuỷ" are one word to a
    reader. Each tone mark is moved to the end of its syllable, not dropped, so names that differ in tone
    ("Trả" and "Trà") keep different keys and no two steps a person tells apart are merged."""
    return _tones_last(unicodedata.normalize("NFD", display_step(name).casefold()))


def _tones_last(text: str) -> str:
    """NFD ``text`` with every tone mark moved to the end of the letter run (syllable) that carries it."""
    out: list[str] = []
    syllable: list[str] = []
    tones: list[str] = []
    for c in text:
        if c in _TONES:
            tones.append(c)
        elif unicodedata.category(c)[0] in "LM":
            syllable.append(c)
        else:
            out += syllable + tones + [c]
            syllable, tones = [], []
    return "".join(out + syllable + tones)


_RESULT_KEYS = frozenset(step_key(n) for n in _RESULT_NAMES)
_SUPPLEMENT_KEYS = frozenset(step_key(n) for n in _SUPPLEMENT_NAMES)


def same_step(a: str | None, b: str | None) -> bool:
    """Whether two names are the same step to a reader (so a resend that only changes a name's writing is no
    new step)."""
    return step_key(a or "") == step_key(b or "")


def is_result_step(name: str | None) -> bool:
    """Whether the step means the result is ready for the citizen."""
    return bool(name) and step_key(name or "") in _RESULT_KEYS


def is_supplement_step(name: str | None) -> bool:
    """Whether the step means the agency waits for the citizen's supplement."""
    return bool(name) and step_key(name or "") in _SUPPLEMENT_KEYS
