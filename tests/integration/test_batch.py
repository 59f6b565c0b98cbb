"""The 17:30 apology batch: who gets one, who does not and why, once per (dossier, date), catch-up, CLI."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command

from motcua.domain import rules
from motcua.domain.states import DossierState
from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent
from motcua.messaging.batch import maybe_run_daily_batch, run_apology_batch
from motcua.messaging.models import BatchRun, Message
from tests.conftest import local

pytestmark = pytest.mark.django_db

BATCH = local(2026, 11, 23, 17, 30)
TOMORROW_16H = local(2026, 11, 24, 16, 0)
APOLOGY_TEXT = (
    "TB: Hồ sơ của quý ông/bà (MS: 0161701234) chưa có kết quả vào ngày 24/11/2026. "
    "Ông/bà có thể đến Bộ phận Một cửa Sở Du lịch nhận Thông báo xin lỗi, hẹn lại thời gian "
    "trả kết quả hoặc đến nhận kết quả khi có tin nhắn tiếp theo"
)
APOLOGY_GSM = (
    "TB: Ho so cua quy ong/ba (MS: 0161701234) chua co ket qua vao ngay 24/11/2026. "
    "Ong/ba co the den Bo phan Mot cua So Du lich nhan Thong bao xin loi, hen lai thoi gian "
    "tra ket qua hoac den nhan ket qua khi co tin nhan tiep theo"
)


@pytest.fixture(autouse=True)
def frozen_now():
    """``timezone.now`` at 17:30 local on the batch day (it stamps created_at / not_before)."""
    with mock.patch("django.utils.timezone.now", return_value=BATCH):
        yield


@pytest.fixture
def due(make_dossier):
    """A dossier received on the 20th, due at the given local time (default: tomorrow 16:00)."""

    def make(appointment=TOMORROW_16H, **kw):
        kw.setdefault("received", local(2026, 11, 20, 9, 0))
        return make_dossier(appointment=appointment, **kw)

    return make


def apologies(dossier=None):
    qs = Message.objects.filter(kind="apology").order_by("id")
    return list(qs.filter(dossier=dossier) if dossier else qs)


def test_apology_has_the_exact_spec_text_parts_and_cost(due):
    dossier = due(code="0161701234")
    report = run_apology_batch(BATCH)
    [msg] = apologies(dossier)
    assert (msg.status, msg.text, msg.to) == ("queued", APOLOGY_TEXT, "84912345678")
    assert len(APOLOGY_TEXT) == 225
    assert (msg.encoding, msg.parts, msg.cost) == ("ucs2", 4, 4 * settings.MOTCUA["PRICE_PER_PART"])
    assert (report.status, report.queued_count, report.queued) == ("done", 1, [("0161701234", APOLOGY_TEXT)])


def test_unaccented_apology(due, province):
    province["016"].encoding_policy = "unaccented"
    province["016"].save()
    dossier = due(code="0161701234")
    run_apology_batch(BATCH)
    [msg] = apologies(dossier)
    assert (msg.text, msg.encoding, msg.parts, msg.cost) == (
        APOLOGY_GSM, "gsm", 2, 2 * settings.MOTCUA["PRICE_PER_PART"]
    )


def test_only_dossiers_due_the_next_calendar_day(due):
    first = due(appointment=local(2026, 11, 24, 0, 0))
    last = due(appointment=local(2026, 11, 24, 23, 59))
    due(appointment=local(2026, 11, 23, 23, 59))  # due today: too late for an eve-of notice
    due(appointment=local(2026, 11, 25, 0, 0))  # the day after tomorrow
    run_apology_batch(BATCH)
    assert {m.dossier_id for m in apologies()} == {first.pk, last.pk}


def test_who_gets_no_apology_and_why(due, make_dossier):
    ready = due(state=DossierState.RESULT_READY)
    returned = due(state=DossierState.RETURNED)
    waiting = due(code="0161700001")
    services.apply_event(waiting, DossierEvent.SUPPLEMENT_REQUESTED, actor="desk", at=local(2026, 11, 23, 10, 0))
    closed = {s: due(code=f"01617000{i}2", state=s) for i, s in enumerate(
        [DossierState.WITHDRAWN, DossierState.STOPPED, DossierState.REJECTED]
    )}
    same_day = due(proc="sameday", code="0161700003", received=local(2026, 11, 23, 16, 0))
    no_phone = due(code="0161700004", phone="")
    report = run_apology_batch(BATCH)

    assert apologies(ready) == [] and apologies(returned) == []  # they have their result: nothing to explain
    reasons = {m.dossier_id: (m.status, m.skip_reason) for m in apologies()}
    assert reasons[waiting.pk] == ("skipped", rules.WAITING_CITIZEN)
    assert all(reasons[d.pk] == ("skipped", rules.CLOSED) for d in closed.values())
    assert reasons[same_day.pk] == ("skipped", rules.SAME_DAY)
    assert reasons[no_phone.pk] == ("skipped", rules.NO_PHONE)
    assert (report.queued_count, report.skipped_count) == (0, 6)
    assert ("0161700001", rules.WAITING_CITIZEN) in report.skipped


def test_one_per_dossier_and_date_a_second_run_says_already(due):
    dossier = due()
    assert run_apology_batch(BATCH).queued_count == 1
    again = run_apology_batch(local(2026, 11, 23, 17, 45))
    assert (again.status, again.queued_count) == ("already", 0)
    assert maybe_run_daily_batch(local(2026, 11, 23, 18, 0)) is None
    assert len(apologies(dossier)) == 1
    run = BatchRun.objects.get()
    assert (run.day.isoformat(), run.status, run.queued, run.skipped) == ("2026-11-23", "done", 1, 0)


def test_rescheduled_dossier_gets_a_new_apology_on_the_new_eve(due):
    dossier = due(code="0161701234")
    run_apology_batch(BATCH)
    services.apply_event(
        dossier, DossierEvent.RESCHEDULED, actor="desk", at=local(2026, 11, 24, 8, 0),
        appointment_at=local(2026, 11, 27, 10, 0),
    )
    with mock.patch("django.utils.timezone.now", return_value=local(2026, 11, 26, 17, 30)):
        run_apology_batch(local(2026, 11, 26, 17, 30))
    texts = [m.text for m in apologies(dossier)]
    assert len(texts) == 2
    assert "vào ngày 24/11/2026" in texts[0] and "vào ngày 27/11/2026" in texts[1]


def test_apology_ignores_quiet_hours(due, settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "17:00-08:00"}
    dossier = due()
    run_apology_batch(BATCH)
    assert apologies(dossier)[0].not_before == BATCH


# --- catch-up --------------------------------------------------------------------------------


def test_nothing_before_17_30(due):
    due()
    assert maybe_run_daily_batch(local(2026, 11, 23, 17, 29)) is None
    assert not BatchRun.objects.exists() and apologies() == []


def test_catch_up_after_a_restart_before_the_cutoff(due):
    dossier = due()
    report = maybe_run_daily_batch(local(2026, 11, 23, 18, 45), worker="w1")
    assert (report.status, report.queued_count) == ("done", 1)
    assert len(apologies(dossier)) == 1
    assert BatchRun.objects.get().worker == "w1"


def test_after_the_cutoff_the_day_is_missed_and_nothing_is_queued(due):
    due()
    report = maybe_run_daily_batch(local(2026, 11, 23, 20, 30))
    assert report.status == "missed"
    assert apologies() == []
    assert BatchRun.objects.get().status == "missed"
    assert maybe_run_daily_batch(local(2026, 11, 23, 21, 0)) is None  # reported once, not retried at night


def test_dry_run_writes_nothing(due):
    due(code="0161701234")
    report = run_apology_batch(BATCH, dry_run=True)
    assert (report.status, report.queued) == ("dry-run", [("0161701234", APOLOGY_TEXT)])
    assert apologies() == [] and not BatchRun.objects.exists()
    assert run_apology_batch(BATCH).queued_count == 1  # the real run is still to come


# --- the command -----------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("apology-batch", *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_prints_what_it_would_send_and_skip(due):
    due(code="0161701234")
    due(code="0161700004", phone="")
    output = run_command("--at", "2026-11-23 17:30", "--dry-run")
    assert output.splitlines() == [
        "Apology batch 23/11/2026: would send 1, skipped 1",
        f"  WOULD SEND 0161701234: {APOLOGY_TEXT}",
        f"  SKIPPED 0161700004: {rules.NO_PHONE}",
    ]
    assert not Message.objects.filter(kind="apology").exists()


def test_command_runs_once_then_reports_already(due):
    due(code="0161701234")
    first = run_command("--at", "2026-11-23 17:30")
    assert first.splitlines()[0] == "Apology batch 23/11/2026: queued 1, skipped 0"
    assert len(apologies()) == 1
    assert run_command("--at", "2026-11-23 17:30") == (
        "The batch for 23/11/2026 has already run; nothing sent.\n"
    )


def test_command_after_cutoff_reports_missed(due):
    due()
    assert "recorded as missed" in run_command("--at", "2026-11-23 20:30")
    assert apologies() == []


def test_command_refuses_a_malformed_time():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2026-11-23 17:30"):
        run_command("--at", "23/11/2026 17:30")


def test_a_batch_left_running_by_a_dead_worker_is_resumed_once(due):
    first, second = due(code="0161700001"), due(code="0161700002")
    BatchRun.objects.create(day=BATCH.date(), status="running", started_at=BATCH, worker="dead")
    Message.objects.bulk_create(_apology_rows(first))  # the dead worker got this far
    assert maybe_run_daily_batch(BATCH + timedelta(seconds=60), worker="w2") is None  # maybe still busy
    report = maybe_run_daily_batch(BATCH + timedelta(seconds=settings.MOTCUA["STUCK_AFTER"] + 1), worker="w2")
    assert (report.status, report.queued_count) == ("done", 1)
    assert [m.dossier_id for m in apologies()] == [first.pk, second.pk]
    run = BatchRun.objects.get()
    assert (run.status, run.worker) == ("done", "w2")
    assert maybe_run_daily_batch(BATCH + timedelta(hours=1), worker="w3") is None


def test_a_batch_left_running_is_not_resumed_after_the_cutoff(due):
    due()
    BatchRun.objects.create(day=BATCH.date(), status="running", started_at=BATCH, worker="dead")
    assert maybe_run_daily_batch(local(2026, 11, 23, 20, 5), worker="w2") is None
    assert apologies() == []


def _apology_rows(dossier):
    from motcua.domain.rules import Decision
    from motcua.messaging import outbox

    return [outbox.message_for_decision(dossier, Decision("apology", True), outbox.apology_cause(dossier), None, False)]
