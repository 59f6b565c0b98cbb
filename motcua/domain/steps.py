"""Step names compared as a person reads them.

One-stop software sends "Trả kết quả" in NFC or in NFD (Unikey's "Unicode tổ hợp", macOS), in any letter
case, with stray or doubled spaces. A citizen reads all of these as the same step, so every path that asks
"is this the result step?" or "is this the supplement step?" (API events, DVCQG sync and progress, the desk)
asks here: a step missed in one form means no result SMS and then a wrong apology.
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


def display_step(name: str) -> str:
    """The step as we store and show it: NFC, spaces collapsed, ends stripped (case kept)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name or "")).strip()


def step_key(name: str) -> str:
    """The comparison key: two names with equal keys are the same step to a reader."""
    return unicodedata.normalize("NFC", display_step(name).casefold())


_RESULT_KEYS = frozenset(step_key(n) for n in _RESULT_NAMES)
_SUPPLEMENT_KEYS = frozenset(step_key(n) for n in _SUPPLEMENT_NAMES)


def same_step(a: str | None, b: str | None) -> bool:
    return step_key(a or "") == step_key(b or "")


def is_result_step(name: str | None) -> bool:
    """Whether the step means the result is ready for the citizen."""
    return bool(name) and step_key(name or "") in _RESULT_KEYS


def is_supplement_step(name: str | None) -> bool:
    """Whether the step means the agency waits for the citizen's supplement."""
    return bool(name) and step_key(name or "") in _SUPPLEMENT_KEYS
