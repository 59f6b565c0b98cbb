"""Answers to ``MCKH <code>`` lookups sent to the short code (SPEC §2).

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
from motcua.dossiers.models import Dossier
from motcua.prepared import prepared_cursor

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

    ``dossiers`` are the dossiers answered about (the first one's agency may choose the encoding).
    """

    outcome: str
    text: str
    dossiers: tuple[Dossier, ...] = ()


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


# What an SMS answer reads of a dossier: the sentence (code, step, on-time status) and the agency whose
# name, successor and encoding policy it uses. The web lookup reads every column (procedure, history).
SMS_DOSSIER_FIELDS = ("id", "code", "agency", "current_step", "appointment_at", "late_after")


def find_dossiers(codes: Iterable[str], *, for_sms: bool = False) -> dict[str, Dossier]:
    """Dossiers by canonical code, in one indexed query for all codes. Retired agencies' codes resolve
    like any other: the code is unique across the province, whatever became of its agency.

    The agency's own lookup template (if any) comes in the same query (``lookup_template``), so an
    answer costs one read whatever the number of codes. The rows come back as the ORM's own
    ``select_related("agency", "procedure")`` instances would, but the SQL is built once per process
    and number of codes (:func:`_lookup_sql`): this read is on every paid lookup, and building the
    same ORM query anew each time cost more CPU than the database spent answering it.

    ``for_sms`` reads only :data:`SMS_DOSSIER_FIELDS` and the agency, not the procedure, as
    ``.only()`` would (another field would cost a query of its own): a third of the columns, and
    each column costs the paid lookup CPU to load (a timestamp ~6 µs, the procedure's JSON steps more).
    """
    from django.db import connections

    wanted = {variant: normalise_code(code) for code in codes for variant in code_variants(code)}
    if not wanted:
        return {}
    connection = connections[Dossier.objects.db]
    sql, plan = _lookup_sql(connection.vendor, connection.alias, len(wanted), for_sms)
    found: dict[str, Dossier] = {}
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, ["lookup_reply", *wanted])
        rows = cursor.fetchall()
    for row in rows:
        dossier = _dossier_from_row(row, plan, connection)
        found.setdefault(wanted[dossier.code], dossier)
    return found


@dataclass(frozen=True)
class _RowPlan:
    """How to turn one row of :func:`_lookup_sql` into model instances: per model, its slice of the row,
    its field names and the database converters of each column (JSON, dates, decimals on SQLite)."""

    models: tuple[tuple[type, slice, tuple[str, ...], tuple[tuple[int, tuple], ...]], ...]
    template_index: int


_SQL_CACHE: dict[tuple[str, str, int, bool], tuple[str, _RowPlan]] = {}


def _lookup_sql(vendor: str, alias: str, count: int, for_sms: bool = False) -> tuple[str, _RowPlan]:
    """``SELECT`` of every concrete column of the dossier, its agency and its procedure (``for_sms``:
    the dossier's :data:`SMS_DOSSIER_FIELDS` and its agency), and the agency's lookup template, for
    ``count`` codes; cached by database, count and variant."""
    key = (vendor, alias, count, for_sms)
    if key in _SQL_CACHE:
        return _SQL_CACHE[key]
    from django.db import connections

    from motcua.dossiers.models import Agency, Procedure
    from motcua.messaging.models import Template

    connection = connections[alias]
    qn = connection.ops.quote_name
    columns: list[str] = []
    models_plan = []
    joined = ((Dossier, "d"), (Agency, "a")) if for_sms else ((Dossier, "d"), (Agency, "a"), (Procedure, "p"))
    for model, alias_ in joined:
        fields = model._meta.concrete_fields
        if for_sms and model is Dossier:  # in the model's order, as Model.from_db expects
            fields = [f for f in fields if f.name in SMS_DOSSIER_FIELDS]
        start = len(columns)
        converters = []
        for i, field in enumerate(fields):
            columns.append(f"{alias_}.{qn(field.column)}")
            col = field.get_col(alias_)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((i, (col, tuple(found))))
        models_plan.append(
            (model, slice(start, len(columns)), tuple(f.attname for f in fields), tuple(converters))
        )
    dossier = Dossier._meta
    template = Template._meta
    columns.append(
        f"(SELECT t.{qn(template.get_field('text').column)} FROM {qn(template.db_table)} t "
        f"WHERE t.{qn(template.get_field('agency').column)} = d.{qn(dossier.get_field('agency').column)} "
        f"AND t.{qn(template.get_field('kind').column)} = %s "
        f"ORDER BY t.{qn(template.pk.column)} LIMIT 1)"
    )
    procedure_join = (
        ""
        if for_sms
        else f"INNER JOIN {qn(Procedure._meta.db_table)} p ON p.{qn(Procedure._meta.pk.column)} = "
        f"d.{qn(dossier.get_field('procedure').column)} "
    )
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(dossier.db_table)} d "
        f"INNER JOIN {qn(Agency._meta.db_table)} a ON a.{qn(Agency._meta.pk.column)} = "
        f"d.{qn(dossier.get_field('agency').column)} "
        f"{procedure_join}"
        f"WHERE d.{qn(dossier.get_field('code').column)} IN ({', '.join(['%s'] * count)})"
    )
    result = (sql, _RowPlan(tuple(models_plan), len(columns) - 1))
    _SQL_CACHE[key] = result
    return result


def _dossier_from_row(row: tuple, plan: _RowPlan, connection) -> Dossier:  # noqa: ANN001
    """The dossier with its agency (and procedure, unless ``for_sms``) cached, as ``select_related``
    leaves them."""
    instances = []
    for model, part, names, converters in plan.models:
        values = list(row[part])
        for index, (col, funcs) in converters:
            for func in funcs:
                values[index] = func(values[index], col, connection)
        instances.append(model.from_db(connection.alias, names, values))
    dossier = instances[0]
    dossier._state.fields_cache["agency"] = instances[1]
    if len(instances) > 2:
        dossier._state.fields_cache["procedure"] = instances[2]
    dossier.lookup_template = row[plan.template_index]
    return dossier


def find_dossier(code: str) -> Dossier | None:
    """One dossier by a code as a citizen typed it, or None."""
    return find_dossiers([code]).get(normalise_code(code))


def on_time_label(dossier: Dossier, now: datetime) -> str:
    """Đúng hạn / Trễ hạn, in Vietnamese whatever the page language: an SMS is always Vietnamese."""
    return dossier.on_time(now).label


def lookup_sentence(dossier: Dossier, now: datetime | None = None) -> str:
    """``Hồ sơ của quý Ông/Bà ({code}) hiện đang ở bước {step}, trạng thái hồ sơ: {Đúng hạn/Trễ hạn}.``

    The agency's own lookup template is used when it has one (validated on save); the code is shown as
    stored, i.e. as printed on the receipt, not as the citizen typed it.
    """
    fields = {
        PH_RECEIPT_CODE: dossier.code,
        PH_STEP: dossier.current_step,
        PH_ON_TIME_STATUS: on_time_label(dossier, now or timezone.now()),
        PH_AGENCY: dossier.agency.current().sms_name,
        PH_APPOINTMENT_DATE: format_appointment_date(dossier.appointment_at),
    }
    custom = getattr(dossier, "lookup_template", None)
    if custom is None and not hasattr(dossier, "lookup_template"):
        from motcua.messaging.outbox import template_text

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
    """The reply for a parsed MO (see :func:`answer_mo`)."""
    fields = _common_fields()
    if parsed.kind == "no_code":
        return MOReply(NO_CODE, fill(setting_text("MO_HELP_NO_CODE"), fields))
    if parsed.kind != "lookup" or not parsed.codes:
        example = parsed.codes[0] if parsed.codes else EXAMPLE_CODE
        return MOReply(BAD_SYNTAX, fill(setting_text("MO_HELP_SYNTAX"), {**fields, "example": example}))
    found = find_dossiers(parsed.codes, for_sms=True)
    dossiers = [found[c] for c in parsed.codes if c in found]
    unknown = [c for c in parsed.codes if c not in found]
    max_parts = int(settings.MOTCUA.get("MO_REPLY_MAX_PARTS") or DEFAULT_MAX_PARTS)
    # A codes-only message (no keyword) is answered too: the intent is plain and it was paid for.
    answers = [lookup_sentence(d, now) for d in dossiers]
    text = compose(answers, unknown, parsed.truncated, max_parts)
    return MOReply(ANSWERED if dossiers else UNKNOWN_CODE, text, tuple(dossiers))


def answer_text(text: str, now: datetime | None = None) -> MOReply:
    """Parse and answer an MO text, with the dossiers answered about. Never raises for a text."""
    return answer_parsed(parse_mo(text, keyword=settings.MOTCUA["KEYWORD"]), now)


def answer_mo(text: str) -> tuple[str, str]:
    """``(outcome, reply text)`` for an MO text; outcomes ``answered`` / ``unknown_code`` /
    ``bad_syntax`` / ``no_code``. Called by ``messaging.inbound.handle_incoming`` for every MO."""
    reply = answer_text(text)
    return reply.outcome, reply.text
