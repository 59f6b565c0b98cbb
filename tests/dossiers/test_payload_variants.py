"""Vendors' DVCQG payloads as they really arrive (NFD, odd case and spaces, late, repeated, out of order,
newest first, already finished): each variant in tests/fixtures/payloads, and what the citizen notices."""

from __future__ import annotations

import json
import unicodedata
from datetime import date

import pytest

from motcua.dossiers.models import Dossier
from tests.conftest import local
from tests.dossiers.conftest import (
    apology_would_go_to,
    citizen_sms,
    lookup_reply,
    payload,
    post,
    replay,
    skipped_sms,
)

pytestmark = pytest.mark.django_db

CODE = "000.00.16.H35-261005-0001"
RESULT_TEXT = "(MS: 000.00.16.H35-261005-0001) đã được giải quyết xong"
SUPPLEMENT_TEXT = "(MS: 000.00.16.H35-261005-0001) cần bổ sung theo quy định"
DAY_BEFORE_DUE = date(2026, 10, 11)  # due 12/10: the 17:30 batch of 11/10 would apologise


def kinds(code: str = CODE) -> list[str]:
    return [kind for kind, _ in citizen_sms(code)]


def test_every_payload_variant_is_valid_json_with_a_description():
    from tests.dossiers.conftest import PAYLOADS

    files = sorted(PAYLOADS.glob("*.json"))
    assert len(files) >= 15
    for f in files:
        body = json.loads(f.read_text(encoding="utf-8"))
        assert body["about"] and body["sends"], f.name


def test_the_nfd_variant_really_is_decomposed():
    sent = payload("nfd_result_step")["sends"][1]["data"][0]["QuaTrinhXuLy"][-1]["NoiDungXuLy"]
    assert sent != "Trả kết quả" and unicodedata.normalize("NFC", sent) == "Trả kết quả"


@pytest.mark.parametrize("variant", [
    "nfd_result_step", "nfd_result_step_progress", "result_step_case_and_spaces",
])
def test_result_step_in_any_unicode_form_or_case_sends_the_result_once_and_no_apology(client, api_key, variant):
    replay(client, api_key("016"), variant)
    d = Dossier.objects.get(code=CODE)
    assert d.state == "result_ready"
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["result"] and RESULT_TEXT in sms[0][1]
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)
    assert "hiện đang ở bước Trả kết quả" in lookup_reply(CODE)


def test_supplement_step_in_nfd_lower_case_asks_the_citizen(client, api_key):
    replay(client, api_key("016"), "nfd_supplement_step_progress")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "supplement_requested"
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["supplement"] and SUPPLEMENT_TEXT in sms[0][1]
    assert "bước Chờ bổ sung" in lookup_reply(CODE)


def test_api_event_with_nfd_result_step_sends_the_result(client, api_key, province):
    key = api_key("016")
    created = client.post("/api/v1/dossiers", data=json.dumps({"procedure": "1.004628", "phone": "0912345678"}),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    code = created["code"]
    step = unicodedata.normalize("NFD", " trả kết QUẢ ")
    r = client.post(f"/api/v1/dossiers/{code}/events", data=json.dumps({"type": "step_changed", "step": step}),
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "result_ready" and r.json()["current_step"] == "Trả kết quả"
    assert kinds(code) == ["result"]


def test_desk_step_in_nfd_is_the_result_step(make_dossier):
    """The desk goes through the same service: a procedure whose step list was typed in NFD still ends
    at the result."""
    from motcua.dossiers import services

    d = make_dossier()
    services.apply_event(d, "step_changed", "staff:1", step=unicodedata.normalize("NFD", "Trả kết quả"))
    d.refresh_from_db()
    assert d.state == "result_ready"
    assert kinds(d.code) == ["result"]


@pytest.mark.parametrize("variant, state, finished", [
    ("first_record_at_result", "result_ready", local(2026, 10, 8, 10, 0)),
    ("first_record_finished_date_only", "result_ready", local(2026, 10, 8, 10, 0)),
])
def test_first_record_already_at_result_is_created_with_its_result_sms(client, api_key, variant, state, finished):
    answers = replay(client, api_key("016"), variant)
    assert answers[0]["results"][0]["status"] == "created"
    d = Dossier.objects.get(code=CODE)
    assert (d.state, d.finished_at, d.current_step) == (state, finished, "Trả kết quả")
    sms = citizen_sms(CODE)
    assert len(sms) == 1 and sms[0][0] == "result" and RESULT_TEXT in sms[0][1]
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)
    # The same record again: nothing more for the citizen.
    replay(client, api_key("016"), variant)
    assert len(citizen_sms(CODE)) == 1


def test_first_record_already_returned_sends_nothing_and_says_why(client, api_key):
    from motcua.domain import rules

    replay(client, api_key("016"), "first_record_returned_date_only")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "returned" and d.returned_at == local(2026, 10, 8, 15, 0)
    assert d.finished_at == local(2026, 10, 8, 10, 0)
    assert citizen_sms(CODE) == [] and skipped_sms(CODE) == [("result", rules.ALREADY_RETURNED)]
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)


def test_first_record_with_open_supplement_asks_once_and_pauses_from_the_request(client, api_key):
    replay(client, api_key("016"), "first_record_open_supplement")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "supplement_requested"
    assert d.wait_intervals() == [(local(2026, 10, 6, 15, 0), None)]
    assert kinds() == ["supplement"]
    replay(client, api_key("016"), "first_record_open_supplement")
    assert kinds() == ["supplement"]


@pytest.mark.parametrize("variant", ["stale_record_after_result", "stale_progress_after_result",
                                     "stale_supplement_after_result", "repeated_result_record"])
def test_late_or_repeated_records_never_undo_a_result(client, api_key, variant):
    replay(client, api_key("016"), variant)
    d = Dossier.objects.get(code=CODE)
    assert d.state == "result_ready" and d.current_step == "Trả kết quả"
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["result"]  # no "cần bổ sung" after "đã được giải quyết xong"
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)  # and no "chưa có kết quả" from the 17:30 batch
    assert "hiện đang ở bước Trả kết quả" in lookup_reply(CODE)


def test_a_stopped_dossier_is_not_reopened_by_an_older_record(client, api_key):
    replay(client, api_key("016"), "stale_record_after_stop")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "stopped"
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)


def test_a_newer_record_may_still_reopen_a_finished_dossier(client, api_key):
    """The one-stop software is the source of truth: it may correct a finish with a newer record."""
    key = api_key("016")
    replay(client, key, "stale_record_after_stop")
    body = payload("stale_record_after_stop")["sends"][1]
    body["data"][0]["QuaTrinhXuLy"].append({"ThoiDiemXuLy": "20261009090000", "NoiDungXuLy": "Thẩm định lại"})
    post(client, key, body)
    d = Dossier.objects.get(code=CODE)
    assert (d.state, d.current_step) == ("processing", "Thẩm định lại")


def test_steps_listed_newest_first_show_the_newest_step(client, api_key):
    replay(client, api_key("016"), "newest_first_steps")
    assert Dossier.objects.get(code=CODE).current_step == "Phê duyệt"
    assert "hiện đang ở bước Phê duyệt" in lookup_reply(CODE)


def test_progress_out_of_order_keeps_the_newest_step(client, api_key):
    answers = replay(client, api_key("016"), "out_of_order_progress")
    assert answers[-1]["results"][0]["status"] == "unchanged"
    assert Dossier.objects.get(code=CODE).current_step == "Phê duyệt"
    assert "hiện đang ở bước Phê duyệt" in lookup_reply(CODE)
