"""Answers to ``MCKH <code>`` lookups (SPEC §2): the reply reveals only the step and the on-time status."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from motcua.domain.mo_parser import parse_mo
from motcua.domain.receipt_codes import normalise_code
from motcua.domain.smstext import (
    DEFAULT_TEMPLATES,
    PH_ON_TIME_STATUS,
    PH_RECEIPT_CODE,
    PH_STEP,
    render_template,
)
from motcua.dossiers.models import Dossier

HELP_SYNTAX = "Sai cu phap. Soan: {kw} <Ma so bien nhan> gui {sc}. Vi du: {kw} 0161701234"
NO_CODE = "Thieu ma so bien nhan. Soan: {kw} <Ma so bien nhan> gui {sc}. Vi du: {kw} 0161701234"
NOT_FOUND = "Khong tim thay ho so {code}. Vui long kiem tra lai ma so tren Giay tiep nhan ho so."


def _fmt(template: str, **fields: str) -> str:
    kw, sc = settings.MOTCUA["KEYWORD"], settings.MOTCUA["SHORT_CODE"]
    return template.format(kw=kw, sc=sc, **fields)


def find_dossier(code: str) -> Dossier | None:
    canonical = normalise_code(code)
    return (
        Dossier.objects.select_related("agency", "procedure")
        .filter(Q(code=code) | Q(code=canonical) | Q(code__iexact=canonical))
        .first()
    )


def lookup_sentence(dossier: Dossier) -> str:
    from motcua.dossiers.services import on_time

    return render_template(
        DEFAULT_TEMPLATES["lookup_reply"],
        {
            PH_RECEIPT_CODE: dossier.code,
            PH_STEP: dossier.current_step,
            PH_ON_TIME_STATUS: str(on_time(dossier, timezone.now())),
        },
    )


def answer_mo(text: str) -> tuple[str, str]:
    """(outcome, reply). Outcomes: answered / unknown_code / bad_syntax / no_code."""
    parsed = parse_mo(text, keyword=settings.MOTCUA["KEYWORD"])
    if parsed.kind in ("empty", "wrong_keyword") or (parsed.kind == "lookup" and not parsed.codes):
        return "bad_syntax", _fmt(HELP_SYNTAX)
    if parsed.kind == "no_code":
        return "no_code", _fmt(NO_CODE)
    sentences, unknown = [], []
    for code in parsed.codes:
        dossier = find_dossier(code)
        if dossier is None:
            unknown.append(code)
        else:
            sentences.append(lookup_sentence(dossier))
    if unknown:
        sentences.append(_fmt(NOT_FOUND, code=", ".join(unknown)))
    return ("answered" if len(unknown) < len(parsed.codes) else "unknown_code"), " ".join(sentences)
