"""Records that tell a dossier's life in ways the other variants do not: a finish that overtakes an open
supplement request, a result again after a supplement, an extension beside a supplement's date, a request
listed twice, a code with an invisible character, and an API client's late retry.

In each, what the citizen's phone receives is the assertion: one notice per piece of news, none that
contradicts the dossier's state."""

from __future__ import annotations

import json
from datetime import date

import pytest

from motcua.dossiers.models import Dossier
from motcua.messaging.models import Message
from tests.conftest import local
from tests.dossiers.conftest import apology_would_go_to, citizen_sms, lookup_reply, payload, post, replay

pytestmark = pytest.mark.django_db

CODE = "000.00.16.H35-261005-0001"


def kinds(code: str = CODE) -> list[str]:
    return [kind for kind, _ in citizen_sms(code)]


@pytest.mark.parametrize(("name", "state"), [
    ("finished_record_with_an_unanswered_supplement", "result_ready"),
    ("returned_record_with_an_unanswered_supplement", "returned"),
])
def test_a_finish_overtakes_a_supplement_request_nobody_answered(client, api_key, name, state):
    """The software never filled NgayTiepNhanBoSung, but the record says the dossier is finished: the
    request is history, and no "cần bổ sung" reaches a citizen whose result is ready or in hand."""
    replay(client, api_key("016"), name)
    dossier = Dossier.objects.get(code=CODE)
    assert dossier.state == state
    assert "supplement" not in kinds()
    assert kinds() == (["result"] if state == "result_ready" else [])
    assert all(end is not None for _, end in dossier.wait_intervals())  # the wait ended, at the finish


def test_a_result_after_a_supplement_request_is_told_again(client, api_key):
    """Told "đã giải quyết xong", then asked for a supplement: the new result is news, told once."""
    key = api_key("016")
    replay(client, key, "result_again_after_a_supplement_request")
    assert kinds() == ["result", "supplement", "result"]
    # the last record again, and a flip back and forth without a new request: nothing more
    post(client, key, payload("result_again_after_a_supplement_request")["sends"][-1])
    assert kinds() == ["result", "supplement", "result"]
    assert "Trả kết quả" in lookup_reply(CODE)


def test_a_result_undone_and_set_again_is_told_once(client, api_key, make_dossier):
    from motcua.dossiers import services

    dossier = make_dossier(code="0162600101")
    services.apply_event(dossier, "result_ready", "test")
    services.apply_event(dossier, "step_changed", "test", step="Thẩm định hồ sơ", strict=False)
    services.apply_event(dossier, "result_ready", "test", strict=False)
    assert kinds("0162600101") == ["result"]


def test_an_extension_is_kept_beside_an_earlier_supplement_date(client, api_key):
    key = api_key("016")
    replay(client, key, "extension_after_a_supplement_date")
    assert Dossier.objects.get(code=CODE).appointment_at == local(2026, 10, 26, 9, 0)
    assert not apology_would_go_to(CODE, date(2026, 10, 14))
    # the same record again changes nothing: re-sending is idempotent
    assert post(client, key, payload("extension_after_a_supplement_date")["sends"][-1])["results"][0]["status"] \
        == "unchanged"
    assert Dossier.objects.get(code=CODE).appointment_at == local(2026, 10, 26, 9, 0)


def test_a_supplement_request_listed_twice_is_one_request(client, api_key):
    replay(client, api_key("016"), "supplement_entry_listed_twice")
    assert kinds() == ["supplement"]
    assert all(end is None or end > start for start, end in Dossier.objects.get(code=CODE).wait_intervals())


@pytest.mark.parametrize("invisible", ["\ufeff", "\u200b", "\u2060", "\u00ad"])
def test_an_invisible_character_in_a_code_does_not_make_a_second_dossier(client, api_key, invisible):
    sends = payload("bom_in_receipt_code")["sends"]
    sends[0]["data"][0]["MaHoSo"] = invisible + CODE + (invisible if invisible != "\ufeff" else "")
    key = api_key("016")
    for body in sends:
        post(client, key, body)
    assert list(Dossier.objects.values_list("code", flat=True)) == [CODE]
    assert kinds() == ["result"] and not apology_would_go_to(CODE, date(2026, 10, 11))


def test_an_api_clients_late_retry_of_an_event_changes_nothing(client, api_key, province):
    headers = {"content_type": "application/json", "HTTP_AUTHORIZATION": f"Bearer {api_key('016')}"}
    code = client.post("/api/v1/dossiers", data=json.dumps({
        "procedure": "1.004628", "phone": "0912345678", "received_at": "2026-12-03T09:00:00+07:00"}),
        **headers).json()["code"]

    def send(body: dict) -> int:
        return client.post(f"/api/v1/dossiers/{code}/events", data=json.dumps(body), **headers).status_code

    asked = {"type": "supplement_requested", "at": "2026-12-04T09:00:00+07:00"}
    assert send(asked) == 201
    assert send({"type": "supplement_received", "at": "2026-12-05T09:00:00+07:00"}) == 201
    assert send(asked) == 200  # the first request's retry, after the papers came in
    assert send({"type": "step_changed", "step": "Thẩm định hồ sơ", "at": "2026-12-05T10:00:00+07:00"}) == 201
    assert send({"type": "step_changed", "step": "thẩm định  hồ sơ", "at": "2026-12-05T10:00:00+07:00"}) == 200
    assert kinds(code) == ["supplement"]
    dossier = Dossier.objects.get(code=code)
    assert dossier.state == "processing" and dossier.current_step == "Thẩm định hồ sơ"
    assert Message.objects.filter(dossier=dossier, kind="supplement").count() == 1


@pytest.mark.parametrize(("event", "label"), [
    ("withdrawn", "Công dân rút hồ sơ"), ("stopped", "Dừng xử lý"), ("rejected", "Không được tiếp nhận")])
def test_a_dossier_closed_without_a_result_is_not_read_out_at_its_last_step(make_dossier, event, label):
    """8083 and /tra-cuu say where the dossier is: closed, not at the step it stopped at, which may even
    be "Trả kết quả" in a vendor's record."""
    from motcua.dossiers import services
    from motcua.lookup.public import public_status

    dossier = make_dossier(code="0162600102")
    services.apply_event(dossier, "step_changed", "test", step="Trả kết quả hồ sơ (chuẩn bị)")
    services.apply_event(dossier, event, "test")
    reply = lookup_reply("0162600102")
    assert f"hiện đang ở bước {label}" in reply and "chuẩn bị" not in reply
    dossier.refresh_from_db()
    assert public_status(dossier).current_step == label


def test_a_withdrawn_record_whose_last_step_is_the_result_step(client, api_key):
    body = payload("nfd_result_step")["sends"][0]
    body["data"][0].update(TrangThaiHoSo="7", NgayKetThucXuLy="20261008100000")
    post(client, api_key("016"), body)
    code = body["data"][0]["MaHoSo"]
    assert Dossier.objects.get(code=code).state == "withdrawn"
    assert "hiện đang ở bước Công dân rút hồ sơ" in lookup_reply(code)
    assert kinds(code) == []


def test_a_code_of_invisible_characters_only_is_refused_not_replaced(client, api_key):
    body = payload("bom_in_receipt_code")["sends"][0]
    body["data"][0]["MaHoSo"] = "\u200b\ufeff"
    [result] = post(client, api_key("016"), body)["results"]
    assert result["status"] == "rejected" and result["errors"][0]["field"] == "MaHoSo"
    assert not Dossier.objects.exists()
