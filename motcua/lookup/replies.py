"""Answers to ``MCKH <code>`` lookups sent to the short code.

Every lookup costs its sender 1,000 VND, so every text gets a reply, never silence: the answer for
each code found, or a short Vietnamese hint saying how to write the message or to check the code on
the receipt. The answer reveals only the step and the on-time status (no name, no phone).

The help texts are settings (``settings.MOTCUA``), because another province uses its own keyword,
short code and wording:

* ``MO_HELP_SYNTAX``  — no keyword / unreadable text. Fields ``{keyword} {short_code} {example}``;
* ``MO_HELP_NO_CODE`` — the keyword without a code. Fields ``{keyword} {short_code}``;
* ``MO_HELP_UNKNOWN`` — codes not found. Fields ``{code}`` (the codes, comma-separated);
* ``MO_HELP_MORE``    — codes left out because the reply would be too long. Fields ``{keyword}
  {short_code} {count}`` (``{count}`` is a number, or "các" when the sender typed more than 5 codes);
* ``MO_REPLY_MAX_PARTS`` — the longest reply in SMS parts (default 3, counted as UCS-2).

A field an administrator mistypes (``{kw}``) is left as written rather than crashing the reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from motcua.domain.mo_parser import ParsedMO, parse_mo
from motcua.domain.receipt_codes import normalise_code
from motcua.domain.smstext import (
    DEFAULT_TEMPLATES,
    PH_AGENCY,
    PH_APPOINTMENT_DATE,
    PH_ON_TIME_STATUS,
    PH_RECEIPT_CODE,
    PH_STEP,
    TemplateError,
    count_parts,
    format_appointment_date,
    render_template,
)
from motcua.domain.states import DossierState
from motcua.dossiers.models import Agency, Dossier
from motcua.messaging.models import Kind, Template
from motcua.messaging.outbox import template_text

ANSWERED = "answered"
UNKNOWN_CODE = "unknown_code"
BAD_SYNTAX = "bad_syntax"
NO_CODE = "no_code"
OUTCOMES: dict[str, str] = {
    ANSWERED: "Đã trả lời",
    UNKNOWN_CODE: "Không tìm thấy mã",
    BAD_SYNTAX: "Sai cú pháp",
    NO_CODE: "Thiếu mã số",
}

DEFAULT_TEXTS: dict[str, str] = {
    "MO_HELP_SYNTAX": "Sai cú pháp. Để tra cứu hồ sơ, soạn: {keyword} <Mã số biên nhận> gửi {short_code}. "
    "Ví dụ: {keyword} {example}",
    "MO_HELP_NO_CODE": "Thiếu mã số biên nhận. Soạn: {keyword} <Mã số biên nhận> gửi {short_code}. "
    "Mã số in trên Giấy tiếp nhận hồ sơ.",
    "MO_HELP_UNKNOWN": "Không tìm thấy hồ sơ {code}. Vui lòng kiểm tra lại mã số trên Giấy tiếp nhận hồ sơ.",
    "MO_HELP_MORE": "Các mã còn lại chưa được trả lời, vui lòng soạn riêng từng mã: {keyword} <Mã số> gửi {short_code}.",
}
DEFAULT_MAX_PARTS = 3
EXAMPLE_CODE = "0161701234"  # the example of the 2017 notice

_FIELD = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class MOReply:
    """What to answer to one MO: ``outcome`` for the reconciliation report, ``text`` for the citizen.

    ``dossiers`` are the dossiers answered about.
    """

    outcome: str
    text: str
    dossiers: tuple[Dossier, ...] = ()

    @property
    def agency(self) -> Agency | None:
        """The agency whose encoding policy the reply follows: the first dossier's."""
        return self.dossiers[0].agency if self.dossiers else None


def setting_text(key: str) -> str:
    """A help text from ``settings.MOTCUA[key]``, or its default."""
    return str(settings.MOTCUA.get(key) or DEFAULT_TEXTS[key])


def fill(template: str, fields: Mapping[str, object]) -> str:
    """Replace ``{name}`` by ``fields[name]``; leave unknown names as written (never raises)."""
    return _FIELD.sub(lambda m: str(fields[m.group(1)]) if m.group(1) in fields else m.group(0), template)


def code_variants(raw: str) -> list[str]:
    """The forms a code may be stored under: as typed (trimmed) and canonical.

    Codes are stored as given, so the lookup is an exact ``code IN (...)`` on the unique index
    (``iexact`` would defeat the index on PostgreSQL).
    """
    typed = raw.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    return list(dict.fromkeys(v for v in (typed, normalise_code(typed)) if v))


def find_dossiers(codes: Iterable[str]) -> dict[str, Dossier]:
    """Dossiers by canonical code, in one indexed query for all codes, each with its agency and that
    agency's own lookup template (``lookup_template``, None when it uses the default), so an answer
    costs one read whatever the number of codes. Retired agencies' codes resolve like any other: the
    code is unique across the province, whatever became of its agency."""
    wanted = {variant: normalise_code(code) for code in codes for variant in code_variants(code)}
    if not wanted:
        return {}
    # (agency, kind) is unique: at most one row.
    template = Template.objects.filter(agency=OuterRef("agency"), kind=Kind.LOOKUP_REPLY).values("text")
    found: dict[str, Dossier] = {}
    rows = Dossier.objects.filter(code__in=wanted).select_related("agency").order_by()  # any order will do
    for dossier in rows.annotate(lookup_template=Subquery(template)):
        found.setdefault(wanted[dossier.code], dossier)
    return found


def find_dossier(code: str) -> Dossier | None:
    """One dossier by a code as a citizen typed it, with its agency and procedure, or None."""
    variants = code_variants(code)
    if not variants:
        return None
    return Dossier.objects.filter(code__in=variants).select_related("agency", "procedure").order_by("pk").first()


def on_time_label(dossier: Dossier, now: datetime) -> str:
    """Đúng hạn / Trễ hạn, in Vietnamese whatever the page language: an SMS is always Vietnamese."""
    return dossier.on_time(now).label


# Closed without a result: the step the dossier stopped at is not where it "is now"; the state is.
CLOSED_WITHOUT_RESULT = frozenset({DossierState.WITHDRAWN, DossierState.STOPPED, DossierState.REJECTED})


def shown_step(dossier: Dossier) -> str:
    """The step a citizen is told the dossier is at: for a dossier withdrawn, stopped or refused, that state
    (otherwise a record whose last step was "Trả kết quả" would announce a result that will not come)."""
    state = dossier.state_enum
    return state.label if state in CLOSED_WITHOUT_RESULT else dossier.current_step


def lookup_sentence(dossier: Dossier, now: datetime | None = None) -> str:
    """``Hồ sơ của quý Ông/Bà ({code}) hiện đang ở bước {step}, trạng thái hồ sơ: {Đúng hạn/Trễ hạn}.``

    The agency's own lookup template is used when it has one (validated on save); the code is shown as
    stored, i.e. as printed on the receipt, not as the citizen typed it.
    """
    fields = {
        PH_RECEIPT_CODE: dossier.code,
        PH_STEP: shown_step(dossier),
        PH_ON_TIME_STATUS: on_time_label(dossier, now or timezone.now()),
        PH_AGENCY: dossier.agency.current().sms_name,
        PH_APPOINTMENT_DATE: format_appointment_date(dossier.appointment_at),
    }
    custom = getattr(dossier, "lookup_template", None)
    if custom is None and not hasattr(dossier, "lookup_template"):
        custom = template_text(dossier.agency, "lookup_reply")
    try:
        return render_template(custom or DEFAULT_TEMPLATES["lookup_reply"], fields)
    except TemplateError:
        return render_template(DEFAULT_TEMPLATES["lookup_reply"], fields)


def _common_fields() -> dict[str, object]:
    return {"keyword": settings.MOTCUA["KEYWORD"], "short_code": settings.MOTCUA["SHORT_CODE"]}


def _fits(sentences: list[str], max_parts: int) -> bool:
    return count_parts(" ".join(sentences), "ucs2").parts <= max_parts


def compose(answers: list[str], unknown: list[str], truncated: bool, max_parts: int) -> str:
    """Join the answers and the "not found" note into one reply of at most ``max_parts`` UCS-2 parts.

    Answers are kept in the order sent while they fit; the first piece is always kept, even alone
    over the limit (a long step name), because the citizen paid for it. When anything is left out
    (it does not fit, or the message held more codes than the parser reads), the ``MO_HELP_MORE``
    note closes the reply and asks for the rest one by one, so nothing is dropped silently.
    """
    fields = _common_fields()
    pieces = list(answers)
    if unknown:
        pieces.append(fill(setting_text("MO_HELP_UNKNOWN"), {**fields, "code": ", ".join(unknown)}))
    kept: list[str] = []
    for index, piece in enumerate(pieces):
        leaves_some = truncated or index < len(pieces) - 1
        note = [fill(setting_text("MO_HELP_MORE"), {**fields, "count": len(pieces) - index - 1})]
        if not kept or _fits([*kept, piece, *(note if leaves_some else [])], max_parts):
            kept.append(piece)
        else:
            truncated = True
            break
    if truncated:
        left = len(pieces) - len(kept)
        kept.append(fill(setting_text("MO_HELP_MORE"), {**fields, "count": left or "các"}))
    return " ".join(kept)


def answer_parsed(parsed: ParsedMO, now: datetime | None = None) -> MOReply:
    """The reply for a parsed MO (see :func:`answer_text`)."""
    fields = _common_fields()
    if parsed.kind == "no_code":
        return MOReply(NO_CODE, fill(setting_text("MO_HELP_NO_CODE"), fields))
    if parsed.kind != "lookup" or not parsed.codes:
        example = parsed.codes[0] if parsed.codes else EXAMPLE_CODE
        return MOReply(BAD_SYNTAX, fill(setting_text("MO_HELP_SYNTAX"), {**fields, "example": example}))
    found = find_dossiers(parsed.codes)
    dossiers = [found[c] for c in parsed.codes if c in found]
    unknown = [c for c in parsed.codes if c not in found]
    max_parts = int(settings.MOTCUA.get("MO_REPLY_MAX_PARTS") or DEFAULT_MAX_PARTS)
    # A codes-only message (no keyword) is answered too: the intent is plain and it was paid for.
    answers = [lookup_sentence(d, now) for d in dossiers]
    text = compose(answers, unknown, parsed.truncated, max_parts)
    return MOReply(ANSWERED if dossiers else UNKNOWN_CODE, text, tuple(dossiers))


def answer_text(text: str, now: datetime | None = None) -> MOReply:
    """Parse and answer an MO text, with the dossiers answered about. Never raises for a text.
    The MO handler of ``messaging.inbound`` (registered in ``LookupConfig.ready``): every MO, whatever
    connection it came through, is answered here. Outcomes: :data:`OUTCOMES`."""
    return answer_parsed(parse_mo(text, keyword=settings.MOTCUA["KEYWORD"]), now)

