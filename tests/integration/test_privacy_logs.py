"""No phone number, applicant name or SMS text in INFO+ logs, over a whole flow (issue 7, security).

The flow touches every module that logs on the way of personal data: a dossier created and finished
through the services, the worker sending through the simulator and applying its receipts, the apology
batch, and an MO lookup answered and sent. Records are checked both as the message text and as the
production ``key=value`` line (which also prints everything passed in ``extra``).
"""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.test import override_settings

from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent
from motcua.messaging.batch import run_apology_batch
from motcua.messaging.connections import Router
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import Message, Status
from motcua.messaging.transports.base import IncomingSMS
from motcua.messaging.transports.sim import SimTransport
from motcua.messaging.worker import Worker
from motcua.ops.logs import KeyValueFormatter
from tests.conftest import local

APPLICANT = "Trần Thị Bích Ngọc"
PHONE = "0912.345.678"  # as the desk typed it
OTHER_APPLICANT = "Lê Hoàng Phúc"
OTHER_PHONE = "+84 98 765 4321"
SEPARATORS = re.compile(r"[\s.\-()]")


def phone_core(phone: str) -> str:
    """The 9 digits after 0 / 84 / +84: present in every writing of the number."""
    return SEPARATORS.sub("", phone)[-9:]


def fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fragments(text: str, size: int = 24, step: int = 8) -> set[str]:
    """Overlapping pieces of an SMS text: a log line quoting any part of it is caught, not just all of it."""
    if len(text) <= size:
        return {text}
    return {text[i : i + size] for i in range(0, len(text) - size + 1, step)}


@pytest.fixture
def flow_logs(make_dossier, caplog):
    """Run the flow with logging at INFO and return (log lines, what must not appear in them)."""
    caplog.set_level(logging.INFO)
    sms = SimTransport(name="sim")
    worker = Worker(router=Router([sms]), name="privacy-test", run_batch=False)
    with override_settings(MOTCUA={**settings.MOTCUA, "QUIET_HOURS": ""}):
        dossier = make_dossier(phone=PHONE, applicant=APPLICANT, received=local(2026, 11, 23, 9, 0))
        services.apply_event(dossier, DossierEvent.RESULT_READY, actor="desk:nv01", at=local(2026, 11, 24, 9, 0))
        late = make_dossier(
            phone=OTHER_PHONE, applicant=OTHER_APPLICANT, received=local(2026, 11, 23, 9, 30),
            appointment=local(2026, 11, 26, 16, 0),
        )
        run_apology_batch(local(2026, 11, 25, 17, 30), worker=worker.name)
        while worker.tick():
            pass
        answer = handle_incoming(
            IncomingSMS(sender="+84912345678", recipient="8083", text=f"mckh_{dossier.code}", connection="sim", remote_id="mo-1")
        )
        while worker.tick():
            pass

    messages = list(Message.objects.exclude(status=Status.SKIPPED))
    # The flow really happened: otherwise an empty log would pass.
    assert {m.kind for m in messages} == {"result", "apology", "lookup_reply"}
    assert all(m.status == Status.DELIVERED for m in messages), [(m.kind, m.status) for m in messages]
    assert answer.incoming.outcome == "answered"
    assert late.phone

    formatter = KeyValueFormatter()
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    lines = [r.getMessage() for r in records] + [formatter.format(r) for r in records]
    secrets = {
        "phones": {phone_core(PHONE), phone_core(OTHER_PHONE)},
        "names": {APPLICANT, OTHER_APPLICANT, fold(APPLICANT), fold(OTHER_APPLICANT)},
        "texts": {f for m in messages for f in fragments(m.text)} | {f"mckh_{dossier.code}"},
    }
    return lines, secrets


def leaks(line: str, secrets: dict[str, set[str]]) -> list[str]:
    """What personal data ``line`` shows: a phone in any writing, a name with or without accents, SMS text."""
    squeezed, folded = SEPARATORS.sub("", line), fold(line)
    found = [f"phone {core}" for core in secrets["phones"] if core in squeezed]
    found += [f"name {name}" for name in secrets["names"] if fold(name) in folded]
    found += [f"text {fragment!r}" for fragment in secrets["texts"] if fragment in line]
    return found


@pytest.mark.django_db
def test_info_logs_of_a_whole_flow_hold_no_phone_name_or_sms_text(flow_logs):
    lines, secrets = flow_logs
    assert any("dossier created" in line for line in lines)  # the flow logged, so the checks below bite
    assert any("MO id=" in line for line in lines)
    leaked = {line: found for line in lines if (found := leaks(line, secrets))}
    assert leaked == {}


@pytest.mark.django_db
def test_the_privacy_check_catches_each_kind_of_leak(flow_logs):
    """Fed lines that do leak, the same check reports each: the test above is not vacuous."""
    _, secrets = flow_logs
    text_piece = sorted(secrets["texts"])[0]
    assert leaks("sending to +84 912 345 678", secrets) == ["phone 912345678"]
    assert leaks("submit 84912345678 ok", secrets) == ["phone 912345678"]
    found = leaks("applicant=TRAN THI BICH NGOC", secrets)
    assert found and all(f.startswith("name ") for f in found)
    assert leaks(f"text={text_piece}", secrets) == [f"text {text_piece!r}"]
