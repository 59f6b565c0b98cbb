"""services.apply_event / create_dossier: what each event does to state, step, finish time and waits."""

from __future__ import annotations

from datetime import datetime

import pytest

from motcua.domain import rules
from motcua.domain.ontime import OnTime
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.messaging import outbox
from motcua.messaging.models import Message, Status
from tests.conftest import local

pytestmark = pytest.mark.django_db

T0 = local(2026, 10, 5, 9, 0)  # Monday; the guide procedure (5 days) is due Mon 12/10 09:00


def apply(d, type_, at, **kw):
    services.apply_event(d, type_, actor="test", at=at, **kw)
    return Dossier.objects.get(pk=d.pk)


@pytest.mark.parametrize("type_, state, step, finished", [
    ("step_changed", "processing", "Phê duyệt", False),
    ("processing", "processing", "Tiếp nhận hồ sơ", False),
    ("supplement_requested", "supplement_requested", "Chờ bổ sung", False),
    ("payment_requested", "awaiting_payment", "Tiếp nhận hồ sơ", False),
    ("rescheduled", "received", "Tiếp nhận hồ sơ", False),
    ("result_ready", "result_ready", "Trả kết quả", True),
    ("returned", "returned", "Trả kết quả", True),
    ("withdrawn", "withdrawn", "Tiếp nhận hồ sơ", True),
    ("stopped", "stopped", "Tiếp nhận hồ sơ", True),
    ("rejected", "rejected", "Tiếp nhận hồ sơ", True),
])
def test_each_event_type(make_dossier, type_, state, step, finished):
    d = make_dossier(received=T0)
    at = local(2026, 10, 6, 10, 0)
    kw = {"step": "Phê duyệt"} if type_ == "step_changed" else {}
    if type_ == "rescheduled":
        kw = {"appointment_at": local(2026, 10, 20, 9, 0), "reason": "Chờ ý kiến liên ngành"}
    d = apply(d, type_, at, **kw)
    assert (d.state, d.current_step) == (state, step)
    assert d.finished_at == (at if finished else None)
    assert d.returned_at == (at if type_ == "returned" else None)
    event = d.events.last()
    assert (event.type, event.state_before, event.state_after, event.occurred_at) == (type_, "received", state, at)
    assert event.recorded_at >= event.occurred_at and event.actor == "test"
    if type_ == "rescheduled":
        assert d.appointment_at == local(2026, 10, 20, 9, 0)
        assert datetime.fromisoformat(event.data["appointment_before"]) == local(2026, 10, 12, 9, 0)
        assert event.data["reason"] == "Chờ ý kiến liên ngành"
    if type_ == "supplement_requested":
        assert d.wait_intervals() == [(at, None)]


def test_supplement_wait_is_closed_and_the_step_restored(make_dossier):
    d = make_dossier(received=T0)
    d = apply(d, "step_changed", local(2026, 10, 5, 10, 0), step="Thẩm định hồ sơ")
    d = apply(d, "supplement_requested", local(2026, 10, 5, 14, 0))
    d = apply(d, "supplement_received", local(2026, 10, 7, 8, 0), appointment_at=local(2026, 10, 14, 9, 0))
    assert (d.state, d.current_step) == ("processing", "Thẩm định hồ sơ")
    assert d.wait_intervals() == [(local(2026, 10, 5, 14, 0), local(2026, 10, 7, 8, 0))]
    assert d.appointment_at == local(2026, 10, 14, 9, 0)
    # A second round is a second wait and a second supplement message.
    d = apply(d, "supplement_requested", local(2026, 10, 8, 8, 0))
    d = apply(d, "withdrawn", local(2026, 10, 9, 8, 0))
    assert len(d.waits) == 2 and d.wait_intervals()[1][1] == local(2026, 10, 9, 8, 0)
    assert d.finished_at == local(2026, 10, 9, 8, 0)
    assert [m.kind for m in d.messages.all()] == ["supplement", "supplement"]


def test_result_then_returned_sends_one_result_message(make_dossier):
    d = make_dossier(received=T0)
    d = apply(d, "result_ready", local(2026, 10, 8, 9, 0))
    d = apply(d, "returned", local(2026, 10, 9, 9, 0))
    assert d.finished_at == local(2026, 10, 8, 9, 0) and d.returned_at == local(2026, 10, 9, 9, 0)
    m = Message.objects.get(dossier=d)
    assert (m.kind, m.status, m.to) == ("result", Status.QUEUED, "84912345678")
    assert d.on_time() == OnTime.ON_TIME


def test_every_change_keeps_the_on_time_status_current(make_dossier):
    """Due Mon 12/10 09:00. Each change of state, appointment or waits moves the instant it turns late."""
    d = make_dossier(received=T0)
    assert d.late_after == local(2026, 10, 12, 9, 0)
    assert d.on_time(local(2026, 10, 12, 9, 0)) == OnTime.ON_TIME
    assert d.on_time(local(2026, 10, 12, 9, 1)) == OnTime.LATE
    d = apply(d, "supplement_requested", local(2026, 10, 8, 9, 0))
    assert d.late_after is None  # waiting for the citizen, on time when asked: cannot turn late meanwhile
    assert d.on_time(local(2026, 11, 1)) == OnTime.ON_TIME
    d = apply(d, "supplement_received", local(2026, 10, 9, 9, 0))  # one working day (8 h) excused
    assert d.late_after == local(2026, 10, 13, 9, 0)
    d = apply(d, "rescheduled", local(2026, 10, 9, 10, 0), appointment_at=local(2026, 10, 20, 9, 0), reason="x")
    assert d.late_after == local(2026, 10, 21, 9, 0)
    d = apply(d, "result_ready", local(2026, 10, 15, 9, 0))
    assert d.late_after is None and d.on_time(local(2027, 1, 1)) == OnTime.ON_TIME


def test_straight_to_returned_records_a_skipped_result(make_dossier):
    d = apply(make_dossier(received=T0), "returned", local(2026, 10, 8, 9, 0))
    m = Message.objects.get(dossier=d)
    assert (m.status, m.skip_reason) == (Status.SKIPPED, rules.ALREADY_RETURNED)


def test_same_day_and_phoneless_dossiers_get_skipped_messages(make_dossier):
    same_day = apply(make_dossier(proc="sameday", received=T0), "result_ready", local(2026, 10, 5, 15, 0))
    no_phone = apply(make_dossier(phone="", received=T0), "supplement_requested", local(2026, 10, 5, 15, 0))
    assert Message.objects.get(dossier=same_day).skip_reason == rules.SAME_DAY
    assert Message.objects.get(dossier=no_phone).skip_reason == rules.NO_PHONE


def test_strict_changes_refuse_closed_dossiers(make_dossier):
    d = apply(make_dossier(received=T0), "stopped", local(2026, 10, 6, 9, 0))
    for type_ in ("result_ready", "step_changed", "supplement_requested", "withdrawn"):
        with pytest.raises(services.DossierError) as e:
            services.apply_event(d, type_, actor="t", at=local(2026, 10, 7, 9, 0), step="X")
        assert e.value.status == 409
    assert DossierEvent.objects.filter(dossier=d).count() == 2


@pytest.mark.parametrize("type_, kw, field", [
    ("exploded", {}, "type"),
    ("step_changed", {"step": " "}, "step"),
    ("rescheduled", {}, "appointment_at"),
    ("rescheduled", {"appointment_at": local(2026, 10, 1, 9, 0)}, "appointment_at"),
    ("result_ready", {"at": local(2026, 10, 4, 9, 0)}, "at"),
])
def test_refused_events_name_the_field_and_change_nothing(make_dossier, type_, kw, field):
    d = make_dossier(received=T0)
    kw.setdefault("at", local(2026, 10, 6, 9, 0))
    with pytest.raises(services.DossierError) as e:
        services.apply_event(d, type_, actor="t", **kw)
    assert e.value.field == field
    assert Dossier.objects.get(pk=d.pk).state == "received" and d.events.count() == 1


def test_created_in_a_finished_state(make_dossier):
    from motcua.domain.states import DossierState

    d = make_dossier(received=T0, state=DossierState.RESULT_READY, step="Phê duyệt")
    assert (d.current_step, d.finished_at) == ("Trả kết quả", T0)
    w = make_dossier(received=T0, state=DossierState.SUPPLEMENT_REQUESTED)
    assert w.current_step == "Chờ bổ sung" and w.wait_intervals() == [(T0, None)]


def test_retired_agency_dossier_resolves_and_names_the_successor(make_dossier, province):
    d = make_dossier(proc="old", received=T0)
    assert d.agency.code == "050" and d.code.startswith("05026")
    assert d.agency.current().code == "051"
    d = apply(d, "result_ready", local(2026, 10, 5, 15, 0))
    m = Message.objects.get(dossier=d)
    assert m.text == (f"TB: Hồ sơ của quý ông/bà (MS: {d.code}) đã được giải quyết xong. "
                      "Mời ông/bà đến Bộ phận Một cửa UBND phường Nha Trang để nhận kết quả")
    assert "UBND phường Nha Trang" in outbox.render_for(d, "apology")
    assert "UBND TP Nha Trang" not in m.text


def test_bad_phone_is_refused_strictly_but_kept_by_the_sync(province):
    new = services.NewDossier(agency=province["016"], procedure=province["guide"], received_at=T0, phone="12345")
    with pytest.raises(services.DossierError) as e:
        services.create_dossier(new, actor="t")
    assert e.value.field == "phone"
    d = services.create_dossier(new, actor="t", strict_phone=False)
    assert (d.phone, d.phone_raw) == ("", "12345")


def test_procedure_of_another_agency_is_refused(province):
    new = services.NewDossier(agency=province["010"], procedure=province["guide"], received_at=T0)
    with pytest.raises(services.DossierError) as e:
        services.create_dossier(new, actor="t")
    assert e.value.field == "procedure"
