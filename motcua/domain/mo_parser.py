"""Parse what citizens text to the lookup short code (``MCKH <mã số biên nhận>`` to 8083).

Every message costs its sender 1,000 VND, so the parser is lenient: it finds the keyword and the
codes through the mistakes real senders make, and tells the handler which mistake it saw so the
reply can help. It never raises for any ``str``: a crash would mean a paid message
answered with silence.

What is accepted, in order of processing:

* only the first :data:`MAX_TEXT_CHARS` characters are read, and at most :data:`MAX_CODES` codes
  are returned (``truncated`` tells that more were sent), so a giant message costs nothing;
* full-width characters (NFKC), tone marks and other diacritics, ``đ``→``d``, any case;
  invisible characters (zero-width space, soft hyphen) are dropped; every other character that
  cannot be part of a keyword or a code (quotes, brackets, ``_``, ``:``, NBSP, tabs, newlines,
  non-Latin letters) separates words;
* the keyword anywhere after a word boundary, glued to the code (``MCKH0161701234``), or with
  spaces, dots or dashes between its letters (``MC KH``). If it is absent, a first word one typo
  away from it (``MCK``, ``NCKH``, ``MKCH``, ``MCKHH``) is taken for it;
* numeric codes written in groups: ``016 170 1234``, ``016.17.01234``, ``016-17-01234``. Groups of
  fewer than 6 digits are joined to each other (up to 10 digits) and to their neighbours; groups
  of 6 digits or more are separate codes, so ``0161701234 0101701234`` is two codes. The grouping
  is a guess when digits are spread oddly; a wrong guess yields a code the lookup reports as not
  found, never a crash;
* ``O`` for ``0`` and ``I``/``L`` for ``1`` inside a number (``O161701234``);
* national codes as given (``G09.20-20260609-0092637``), also with spaces around a dash or dot
  between digits (``G09.20 - 20260609 - 0092637``);
* several codes separated by spaces, commas, semicolons, ``/``, ``&``, ``+`` or words (``và``).

Outcomes (``ParsedMO.kind``):

* ``"lookup"``: the keyword and at least one code. Also a message made of codes only
  (``0161701234``): the intent is plain, so it is looked up, with ``keyword_missing=True`` so the
  reply can show the right syntax;
* ``"no_code"``: the keyword but no code;
* ``"wrong_keyword"``: no keyword, and other words (``TC 0161701234``, ``tra cuu ho so``). The
  codes found are returned, so the reply can say "soạn MCKH 0161701234";
* ``"empty"``: nothing but whitespace.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from motcua.domain.receipt_codes import looks_like_code, normalise_code

DEFAULT_KEYWORD = "MCKH"
MAX_TEXT_CHARS = 1000
MAX_CODES = 5

MOKind = Literal["lookup", "no_code", "wrong_keyword", "empty"]

_MIN_GROUP_DIGITS = 6  # a group at least this long is a code of its own, not a piece of one
_USUAL_CODE_DIGITS = 10  # the 2017 codes: agency 3 + year 2 + serial 5
_SPLIT_PART_DIGITS = 10  # "0161701234-0101701234": dashed parts this long are separate codes
_MIN_LOOKALIKE_DIGITS = 5

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_NOT_CODE_CHAR = re.compile(r"[^A-Z0-9.\-,;/&+|]+")
_SPACED_DASH = re.compile(r"(?<=[0-9]) *- *(?=[0-9])")
_SPACED_DOT = re.compile(r"(?<=[0-9]) *\. *(?=[0-9])")
_TOKEN = re.compile(r"[A-Z0-9.\-]+|[,;/&+|]")
_NUMERIC = re.compile(r"[0-9]+(?:[.\-][0-9]+)*")
_LOOKALIKE = re.compile(r"[0-9OIL]+")
_LOOKALIKE_MAP = str.maketrans("OIL", "011")
_FIRST_WORD = re.compile(r"[ .\-,;/&+|]*([A-Z]+)")


@dataclass(frozen=True)
class ParsedMO:
    """What a lookup message asked for.

    ``codes`` are in the canonical form of :func:`normalise_code`, in the order sent, without
    duplicates. ``keyword_missing`` is set when a bare code was taken as a lookup; ``truncated``
    when codes beyond :data:`MAX_CODES` were ignored.
    """

    kind: MOKind
    codes: tuple[str, ...] = ()
    keyword_missing: bool = False
    truncated: bool = False


def parse_mo(text: str, keyword: str = DEFAULT_KEYWORD) -> ParsedMO:
    """Parse one mobile-originated message. Never raises for a ``str`` text.

    ``keyword`` is a deployment setting (another province uses its own); it is matched the same
    lenient way as the text. A keyword with no Latin letter or digit is a configuration error
    (ValueError).
    """
    letters, keyword_re = _keyword_pattern(keyword)
    if not isinstance(text, str):
        text = ""
    folded = _fold(text[:MAX_TEXT_CHARS])
    if not folded.strip():
        return ParsedMO("empty")
    cleaned = _NOT_CODE_CHAR.sub(" ", folded)

    cleaned, found = keyword_re.subn(" ", cleaned)
    has_keyword = found > 0
    if not has_keyword:
        first = _FIRST_WORD.match(cleaned)
        if first and len(letters) >= 4 and _within_one_edit(first.group(1), letters):
            has_keyword = True
            cleaned = cleaned[: first.start(1)] + " " + cleaned[first.end(1) :]

    codes, has_words = _extract_codes(cleaned)
    unique = tuple(dict.fromkeys(codes))
    truncated = len(unique) > MAX_CODES
    unique = unique[:MAX_CODES]

    if has_keyword:
        return ParsedMO("lookup" if unique else "no_code", unique, truncated=truncated)
    if unique and not has_words:
        return ParsedMO("lookup", unique, keyword_missing=True, truncated=truncated)
    return ParsedMO("wrong_keyword", unique, truncated=truncated)


@lru_cache(maxsize=16)
def _keyword_pattern(keyword: str) -> tuple[str, re.Pattern[str]]:
    """The keyword's letters and the pattern finding them in a folded text (built once per keyword:
    the keyword is a setting, the same for every message)."""
    letters = re.sub(r"[^A-Z0-9]", "", _fold(keyword))
    if not letters:
        raise ValueError(f"Từ khóa tra cứu {keyword!r} không hợp lệ: cần chữ cái hoặc chữ số")
    return letters, re.compile(r"(?<![A-Z0-9])" + r"[ .\-]*".join(letters))


_ASCII_CONTROLS = dict.fromkeys([*range(32), 127], " ")


def _fold(text: str) -> str:
    """NFKC, drop diacritics and invisible characters, ``đ``→``d``, control characters → space, upper case.

    Most messages are plain ASCII (``MCKH 0161701234``), which the normal forms leave as it is and
    which has no combining or invisible characters: only control characters and case change.
    """
    if text.isascii():
        return text.translate(_ASCII_CONTROLS).upper()
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).translate(_DASHES))
    out = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category in ("Mn", "Cf"):
            continue
        out.append(" " if category == "Cc" else ch)
    return "".join(out).replace("đ", "d").replace("Đ", "D").upper()


def _within_one_edit(word: str, target: str) -> bool:
    """True if ``word`` is ``target`` with one letter inserted, deleted, replaced or two swapped."""
    if word == target:
        return True
    if abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        i, j = (diffs + [-1, -1])[:2]
        return len(diffs) == 2 and j == i + 1 and word[i] == target[j] and word[j] == target[i]
    shorter, longer = sorted((word, target), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _extract_codes(cleaned: str) -> tuple[list[str], bool]:
    """Find the codes in a keyword-free, folded text; also tell whether other words were present."""
    text = _SPACED_DOT.sub(".", _SPACED_DASH.sub("-", cleaned))
    codes: list[str] = []
    has_words = False
    run: list[str] = []

    def close_run() -> None:
        nonlocal has_words
        for candidate in _group_numeric_run(run):
            if looks_like_code(candidate):
                codes.append(normalise_code(candidate))
            else:
                has_words = True
        run.clear()

    for raw in _TOKEN.findall(text):
        token = raw.strip(".-")
        if _is_misread_number(token):
            token = token.translate(_LOOKALIKE_MAP)
        if token and _NUMERIC.fullmatch(token):
            run.append(token)
            continue
        close_run()
        if token and looks_like_code(token):
            codes.append(normalise_code(token))
        elif any(ch.isalnum() for ch in token):
            has_words = True
    close_run()
    return codes, has_words


def _is_misread_number(token: str) -> bool:
    """``O161701234``: a number with O for 0 or I/L for 1, but not a word such as ``OIL``."""
    return (
        _LOOKALIKE.fullmatch(token) is not None
        and not token.isdigit()
        and sum(ch.isdigit() for ch in token) >= _MIN_LOOKALIKE_DIGITS
    )


def _group_numeric_run(run: list[str]) -> list[str]:
    """Turn consecutive numbers (``016 170 1234`` or ``0161701234 0101701234``) into candidate codes.

    Dotted or dashed numbers stay one piece unless every part is code-sized. Consecutive pieces
    shorter than 6 digits are joined until they reach 10 digits, the length of the 2017 codes
    (``016 17 01234 010 17 01234`` → two codes); a piece left shorter than 6 digits is attached
    to its shorter neighbour (``0161701 234`` → ``0161701234``, ``016 2017 001234`` → one 13-digit
    code).
    """
    pieces: list[str] = []
    for token in run:
        parts = re.split(r"[.\-]", token)
        if len(parts) > 1 and all(len(p) >= _SPLIT_PART_DIGITS for p in parts):
            pieces.extend(parts)
        else:
            pieces.append("".join(parts))

    merged: list[str] = []
    accumulating = False
    for piece in pieces:
        short = len(piece) < _MIN_GROUP_DIGITS
        if short and accumulating:
            merged[-1] += piece
        else:
            merged.append(piece)
        accumulating = short and len(merged[-1]) < _USUAL_CODE_DIGITS

    result: list[str] = []
    for index, piece in enumerate(merged):
        if len(piece) >= _MIN_GROUP_DIGITS:
            result.append(piece)
            continue
        following = merged[index + 1] if index + 1 < len(merged) else None
        if result and (following is None or len(result[-1]) <= len(following)):
            result[-1] += piece
        elif following is not None:
            merged[index + 1] = piece + following
        else:
            result.append(piece)
    return result
