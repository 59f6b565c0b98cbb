"""The result and supplement SMS through the real code path (services.apply_event → transactional outbox).

Each rule, each reason for not sending, the exact texts in both encodings, parts and cost, agency
templates, quiet hours, and the outbox guarantee: no event without its message and no message without
its event.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from motcua.domain import rules
from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent
from motcua.dossiers.signals import dossier_changed
from motcua.messaging import outbox
from motcua.messaging.models import Message, Template
from tests.conftest import local

pytestmark = pytest.mark.django_db

RESULT_TEXT = (
    "TB: Hồ sơ của quý ông/bà (MS: 0161701234) đã được giải quyết xong. "
    "Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận kết quả"
)
SUPPLEMENT_TEXT = (
    "TB: Hồ sơ của quý ông/bà (MS: 0161701234) cần bổ sung theo quy định. "
    "Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận thông báo"
)
RESULT_GSM = (
    "TB: Ho so cua quy ong/ba (MS: 0161701234) da duoc giai quyet xong. "
    "Moi ong/ba den Bo phan Mot cua So Du lich de nhan ket qua"
)
SUPPLEMENT_GSM = (
    "TB: Ho so cua quy ong/ba (MS: 0161701234) can bo sung theo quy dinh. "
    "Moi ong/ba den Bo phan Mot cua So Du lich de nhan thong bao"
)


def at_local(*args: int):
    """Freeze ``timezone.now`` (what the outbox reads for quiet hours and created_at) at a local time."""
    return mock.patch("django.utils.timezone.now", return_value=local(*args))


@pytest.fixture(autouse=True)
def daytime():
    """Messages in these tests are created at 10:00 local unless a test says otherwise (quiet hours)."""
    with at_local(2026, 11, 24, 10, 0):
        yield


def event(dossier, type, **kw):
    kw.setdefault("at", local(2026, 11, 24, 10, 0))
    return services.apply_event(dossier, type, actor="desk", **kw)


def messages(dossier, kind=None):
    qs = Message.objects.filter(dossier=dossier).order_by("id")
    return list(qs.filter(kind=kind) if kind else qs)


# --- result ----------------------------------------------------------------------------------


def test_result_ready_queues_the_exact_spec_text(make_dossier):
    dossier = make_dossier(code="0161701234")
    ev = event(dossier, DossierEvent.RESULT_READY)
    [msg] = messages(dossier)
    assert (msg.kind, msg.status, msg.text, msg.to) == ("result", "queued", RESULT_TEXT, "84912345678")
    assert msg.event_id == ev.pk
    assert (msg.encoding, msg.parts, msg.cost) == ("ucs2", 2, 2 * settings.MOTCUA["PRICE_PER_PART"])
    assert len(RESULT_TEXT) == 124


def test_step_trả_kết_quả_is_result_ready(make_dossier):
    dossier = make_dossier(code="0161701234")
    event(dossier, DossierEvent.STEP_CHANGED, step="Thẩm định hồ sơ")
    assert messages(dossier) == []
    event(dossier, DossierEvent.STEP_CHANGED, step="Trả kết quả")
    [msg] = messages(dossier)
    assert (msg.kind, msg.text) == ("result", RESULT_TEXT)


def test_one_result_per_dossier_even_if_it_goes_back_and_comes_again(make_dossier):
    dossier = make_dossier()
    event(dossier, DossierEvent.RESULT_READY)
    event(dossier, DossierEvent.PROCESSING, strict=False)  # 9 → 4: the one-stop software corrects itself
    event(dossier, DossierEvent.RESULT_READY, strict=False)  # → 9 again
    assert [m.kind for m in messages(dossier)] == ["result"]
    event(dossier, DossierEvent.RETURNED)
    assert [(m.kind, m.status) for m in messages(dossier)] == [("result", "queued")]


def test_straight_to_returned_is_recorded_as_skipped_with_reason(make_dossier):
    dossier = make_dossier()
    event(dossier, DossierEvent.RETURNED)
    [msg] = messages(dossier)
    assert (msg.kind, msg.status, msg.skip_reason, msg.text) == ("result", "skipped", rules.ALREADY_RETURNED, "")


def test_dossier_created_already_returned_gets_no_sms(make_dossier):
    from motcua.domain.states import DossierState

    dossier = make_dossier(state=DossierState.RETURNED)
    [msg] = messages(dossier)
    assert (msg.status, msg.skip_reason) == ("skipped", rules.ALREADY_RETURNED)


def test_result_after_an_apology_still_follows(make_dossier):
    from motcua.messaging.batch import run_apology_batch

    dossier = make_dossier(appointment=local(2026, 11, 25, 16, 0))
    assert run_apology_batch(local(2026, 11, 24, 17, 30)).queued_count == 1
    event(dossier, DossierEvent.RESULT_READY, at=local(2026, 11, 25, 9, 0))
    assert [(m.kind, m.status) for m in messages(dossier)] == [("apology", "queued"), ("result", "queued")]


# --- supplement ------------------------------------------------------------------------------


def test_supplement_exact_text_and_one_per_request(make_dossier):
    dossier = make_dossier(code="0161701234")
    first = event(dossier, DossierEvent.SUPPLEMENT_REQUESTED)
    [msg] = messages(dossier)
    assert (msg.kind, msg.text, msg.encoding, msg.parts) == ("supplement", SUPPLEMENT_TEXT, "ucs2", 2)
    assert len(SUPPLEMENT_TEXT) == 128
    event(dossier, DossierEvent.SUPPLEMENT_RECEIVED)
    second = event(dossier, DossierEvent.SUPPLEMENT_REQUESTED)
    sent = messages(dossier, "supplement")
    assert [m.event_id for m in sent] == [first.pk, second.pk]
    assert all(m.status == "queued" for m in sent)


# --- reasons for not sending -----------------------------------------------------------------


@pytest.mark.parametrize("type", [DossierEvent.RESULT_READY, DossierEvent.SUPPLEMENT_REQUESTED])
def test_same_day_procedure_is_skipped_with_reason(make_dossier, type):
    dossier = make_dossier(proc="sameday")
    event(dossier, type)
    [msg] = messages(dossier)
    assert (msg.status, msg.skip_reason, msg.to, msg.cost) == ("skipped", rules.SAME_DAY, "", 0)


def test_no_phone_is_skipped_with_reason(make_dossier):
    dossier = make_dossier(phone="")
    event(dossier, DossierEvent.RESULT_READY)
    [msg] = messages(dossier)
    assert (msg.status, msg.skip_reason) == ("skipped", rules.NO_PHONE)


def test_invalid_phone_from_the_sync_is_skipped_with_reason(province):
    dossier = services.create_dossier(
        services.NewDossier(
            agency=province["016"], procedure=province["guide"], received_at=local(2026, 11, 23, 9, 0),
            phone="0241234567",  # a landline: no SMS possible
        ),
        actor="sync",
        strict_phone=False,
    )
    event(dossier, DossierEvent.RESULT_READY)
    [msg] = messages(dossier)
    assert msg.status == "skipped"
    assert msg.skip_reason.startswith(rules.BAD_PHONE + ": ")


# --- encodings, parts, cost ------------------------------------------------------------------


def test_unaccented_agency_gets_folded_gsm_text(make_dossier, province):
    province["016"].encoding_policy = "unaccented"
    province["016"].save()
    dossier = make_dossier(code="0161701234")
    event(dossier, DossierEvent.SUPPLEMENT_REQUESTED)
    event(dossier, DossierEvent.SUPPLEMENT_RECEIVED)
    event(dossier, DossierEvent.RESULT_READY)
    supplement, result = messages(dossier)
    assert (result.text, result.encoding, result.parts) == (RESULT_GSM, "gsm", 1)
    assert (supplement.text, supplement.encoding, supplement.parts) == (SUPPLEMENT_GSM, "gsm", 1)
    assert result.cost == settings.MOTCUA["PRICE_PER_PART"]


def test_accented_agency_overrides_an_unaccented_default(make_dossier, province, settings):
    settings.MOTCUA = {**settings.MOTCUA, "ENCODING_POLICY": "unaccented"}
    dossier = make_dossier(code="0161701234")
    event(dossier, DossierEvent.RESULT_READY)
    assert messages(dossier)[0].text == RESULT_GSM  # the deployment default applies
    province["016"].encoding_policy = "accented"
    province["016"].save()
    other = make_dossier(code="0161701235")
    event(other, DossierEvent.RESULT_READY)
    assert (messages(other)[0].encoding, messages(other)[0].parts) == ("ucs2", 2)


def test_retired_agency_names_its_successor(make_dossier):
    dossier = make_dossier(proc="old", code="0502600001")
    event(dossier, DossierEvent.RESULT_READY)
    assert messages(dossier)[0].text.endswith("Bộ phận Một cửa UBND phường Nha Trang để nhận kết quả")


# --- templates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("Hồ sơ {Mã số biên nhận} của {Tên công dân} đã xong", "{Tên công dân}"),  # unknown field
        ("Hồ sơ của ông/bà đã xong tại {Tên cơ quan}", "{Mã số biên nhận}"),  # required field missing
    ],
)
def test_bad_template_is_refused_on_save_with_each_problem(province, text, fragment):
    with pytest.raises(ValidationError) as refused:
        Template.objects.create(agency=province["016"], kind="result", text=text)
    problems = refused.value.message_dict["text"]
    assert len(problems) == 1 and fragment in problems[0]
    assert not Template.objects.exists()


def test_template_listing_several_problems_reports_each(province):
    with pytest.raises(ValidationError) as refused:
        Template(agency=province["016"], kind="apology", text="Xin lỗi {Tên}").full_clean()
    assert len(refused.value.message_dict["text"]) == 3  # {Tên} unknown, code and date missing


def test_good_template_is_used_for_the_next_message(make_dossier, province):
    dossier = make_dossier(code="0161701234")
    event(dossier, DossierEvent.SUPPLEMENT_REQUESTED)
    Template.objects.create(
        agency=province["016"], kind="result", text="{Tên cơ quan}: hồ sơ {Mã số biên nhận} đã có kết quả."
    )
    event(dossier, DossierEvent.RESULT_READY)
    supplement, result = messages(dossier)
    assert supplement.text == SUPPLEMENT_TEXT  # written before: unchanged, the exact text is stored
    assert result.text == "Sở Du lịch: hồ sơ 0161701234 đã có kết quả."
    assert (result.encoding, result.parts) == ("ucs2", 1)


# --- quiet hours -----------------------------------------------------------------------------


def test_result_at_22h_waits_until_07h_next_day(make_dossier):
    dossier = make_dossier()
    with at_local(2026, 11, 24, 22, 0):
        event(dossier, DossierEvent.RESULT_READY, at=local(2026, 11, 24, 22, 0))
    [msg] = messages(dossier)
    assert msg.not_before == local(2026, 11, 25, 7, 0)


def test_supplement_at_06h_waits_until_07h_same_day(make_dossier):
    dossier = make_dossier()
    with at_local(2026, 11, 25, 6, 0):
        event(dossier, DossierEvent.SUPPLEMENT_REQUESTED, at=local(2026, 11, 25, 6, 0))
    assert messages(dossier)[0].not_before == local(2026, 11, 25, 7, 0)


def test_daytime_message_is_due_at_once(make_dossier):
    dossier = make_dossier()
    event(dossier, DossierEvent.RESULT_READY)
    assert messages(dossier)[0].not_before == local(2026, 11, 24, 10, 0)


# --- transactional outbox --------------------------------------------------------------------


def test_failure_after_the_message_is_written_leaves_neither_event_nor_message(make_dossier):
    dossier = make_dossier()
    events_before = DossierEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        event(dossier, DossierEvent.RESULT_READY)
        assert Message.objects.filter(dossier=dossier).count() == 1  # written, not yet committed
        raise RuntimeError("process dies before commit")
    assert DossierEvent.objects.count() == events_before
    assert messages(dossier) == []
    dossier.refresh_from_db()
    assert dossier.state == "received"


def test_failure_inside_apply_event_after_the_outbox_write_rolls_back_both(make_dossier):
    dossier = make_dossier()
    real = outbox.record_transition

    def write_then_fail(*args, **kwargs):
        assert real(*args, **kwargs) is not None
        raise OSError("disk full")

    with mock.patch.object(outbox, "record_transition", write_then_fail), pytest.raises(OSError):
        event(dossier, DossierEvent.SUPPLEMENT_REQUESTED)
    assert not DossierEvent.objects.filter(dossier=dossier, type=DossierEvent.SUPPLEMENT_REQUESTED).exists()
    assert messages(dossier) == []


def test_a_failing_receiver_of_the_change_signal_rolls_back_event_and_message(make_dossier):
    """The outbox hears of a change through a signal sent inside the event's transaction: whatever fails
    after it, in any receiver, takes the message back with the event."""
    dossier = make_dossier()

    def fail(**kwargs):
        assert Message.objects.filter(dossier=kwargs["dossier"]).count() == 1  # the outbox wrote it first
        raise OSError("disk full")

    dossier_changed.connect(fail, dispatch_uid="test-fail")
    try:
        with pytest.raises(OSError):
            event(dossier, DossierEvent.RESULT_READY)
    finally:
        dossier_changed.disconnect(dispatch_uid="test-fail")
    assert not DossierEvent.objects.filter(dossier=dossier, type=DossierEvent.RESULT_READY).exists()
    assert messages(dossier) == []
    dossier.refresh_from_db()
    assert dossier.state == "received"


def test_failure_writing_the_message_rolls_back_the_event(make_dossier):
    dossier = make_dossier()
    with mock.patch.object(Message, "save", side_effect=OSError("connection lost")), pytest.raises(OSError):
        event(dossier, DossierEvent.RESULT_READY)
    assert not DossierEvent.objects.filter(dossier=dossier, type=DossierEvent.RESULT_READY).exists()
    dossier.refresh_from_db()
    assert dossier.state == "received"


def test_created_at_records_the_moment_of_the_event(make_dossier):
    dossier = make_dossier()
    with at_local(2026, 11, 24, 15, 45):
        event(dossier, DossierEvent.RESULT_READY)
    assert messages(dossier)[0].created_at == local(2026, 11, 24, 15, 45)
