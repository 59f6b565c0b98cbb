"""The supplement pause starts when the request was made (the record's own times), and every request the
record lists is a request with its SMS, even one that appears only in DanhSachHoSoBoSung."""

from __future__ import annotations

import pytest

from motcua.dossiers.models import Dossier
from tests.conftest import local
from tests.dossiers.conftest import citizen_sms, lookup_reply, payload, post, replay

pytestmark = pytest.mark.django_db

CODE = "000.00.16.H35-261005-0001"


def test_supplement_asked_before_the_deadline_but_synced_after_it_is_not_late(client, api_key):
    replay(client, api_key("016"), "supplement_synced_late")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "supplement_requested"
    assert d.wait_intervals() == [(local(2026, 10, 9, 9, 0), None)]
    assert [k for k, _ in citizen_sms(CODE)] == ["supplement"]
    # The deadline was 12/10 09:00; on the 13th the citizen still owes the supplement: not the agency's delay.
    reply = lookup_reply(CODE, now=local(2026, 10, 13, 10, 0))
    assert "bước Chờ bổ sung" in reply and "Đúng hạn" in reply


def test_a_second_request_only_in_the_list_is_a_new_request_with_its_sms(client, api_key):
    key = api_key("016")
    answers = replay(client, key, "second_supplement_only_in_list")
    assert [a["results"][0]["status"] for a in answers] == ["created", "updated", "updated"]
    d = Dossier.objects.get(code=CODE)
    assert d.state == "supplement_requested"
    assert d.wait_intervals() == [
        (local(2026, 10, 6, 9, 0), local(2026, 10, 7, 9, 0)),
        (local(2026, 10, 8, 9, 0), None),
    ]
    assert d.appointment_at == local(2026, 10, 14, 9, 0)  # NgayHenTraMoi of the answered request
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["supplement", "supplement"]  # one per request
    # Sent again: nothing new for the citizen.
    post(client, key, payload("second_supplement_only_in_list")["sends"][-1])
    assert len(citizen_sms(CODE)) == 2


def test_both_requests_in_the_first_record_we_see(client, api_key):
    """Created from a record that already lists an answered and an open request: one SMS (the open one);
    both waits are kept for the on-time rule."""
    last = payload("second_supplement_only_in_list")["sends"][-1]
    post(client, api_key("016"), last)
    d = Dossier.objects.get(code=CODE)
    assert d.state == "supplement_requested"
    assert d.wait_intervals() == [
        (local(2026, 10, 6, 9, 0), local(2026, 10, 7, 9, 0)),
        (local(2026, 10, 8, 9, 0), None),
    ]
    assert [k for k, _ in citizen_sms(CODE)] == ["supplement"]


def test_answered_supplement_resumes_from_the_answer_time(client, api_key):
    key = api_key("016")
    replay(client, key, "supplement_synced_late")
    back = payload("supplement_synced_late")["sends"][-1]
    entry = back["data"][0]
    entry["TrangThaiHoSo"] = "4"
    entry["DanhSachHoSoBoSung"][0]["NgayTiepNhanBoSung"] = "20261010090000"
    post(client, key, back)
    d = Dossier.objects.get(code=CODE)
    assert d.state == "processing"
    assert d.wait_intervals() == [(local(2026, 10, 9, 9, 0), local(2026, 10, 10, 9, 0))]
    assert [k for k, _ in citizen_sms(CODE)] == ["supplement"]


def test_an_entry_without_a_request_time_is_not_a_request(client, api_key):
    replay(client, api_key("016"), "supplement_entry_without_request_time")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "processing" and d.current_step == "Thẩm định hồ sơ"
    assert citizen_sms(CODE) == []
    assert d.appointment_at == local(2026, 10, 14, 9, 0)


def test_a_request_learned_of_after_it_was_answered_sends_no_sms_but_counts(client, api_key):
    replay(client, api_key("016"), "answered_supplement_learned_late")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "processing" and d.current_step == "Thẩm định hồ sơ"
    assert citizen_sms(CODE) == []  # the citizen already brought the papers: no "cần bổ sung"
    assert d.wait_intervals() == [(local(2026, 10, 6, 9, 0), local(2026, 10, 7, 9, 0))]
    assert d.appointment_at == local(2026, 10, 13, 9, 0)
    assert "supplement_received" in [e.type for e in d.events.all()]


def test_an_answer_without_a_date_is_read_from_the_next_step(client, api_key):
    replay(client, api_key("016"), "supplement_answered_without_date")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "processing" and d.current_step == "Thẩm định hồ sơ"
    assert d.wait_intervals() == [(local(2026, 10, 6, 9, 0), local(2026, 10, 8, 9, 0))]
    assert [k for k, _ in citizen_sms(CODE)] == ["supplement"]
    assert "bước Thẩm định hồ sơ" in lookup_reply(CODE)
