"""Text as vendors' software really writes it: steps with invisible characters pasted from Word or the web,
the old-style tone placement "qủa", and phone fields with two numbers joined by a dash. What the citizen
notices: one result SMS and no apology, the supplement request, the step the 8083 reply names, and the SMS
reaching the first mobile written."""

from __future__ import annotations

import json
import unicodedata
from datetime import date

import pytest

from motcua.dossiers.models import Dossier
from motcua.messaging.models import Message, Status
from tests.dossiers.conftest import apology_would_go_to, citizen_sms, lookup_reply, payload, replay

pytestmark = pytest.mark.django_db

CODE = "000.00.16.H35-261005-0001"
RESULT_TEXT = "(MS: 000.00.16.H35-261005-0001) đã được giải quyết xong"
SUPPLEMENT_TEXT = "(MS: 000.00.16.H35-261005-0001) cần bổ sung theo quy định"
DAY_BEFORE_DUE = date(2026, 10, 11)  # due 12/10: the 17:30 batch of 11/10 would apologise

RESULT_VARIANTS = [
    "result_step_zero_width_space",
    "result_step_bom_and_word_joiner",
    "result_step_soft_hyphen_and_zwnj",
    "result_step_old_tone_placement",
    "result_step_progress_old_tone_upper_zero_width",
]


def invisible(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cf"]


def sent_steps(name: str) -> list[str]:
    """Every step name a payload variant sends."""
    out = []
    for body in payload(name)["sends"]:
        for record in body["data"]:
            out += [s["NoiDungXuLy"] for s in record.get("QuaTrinhXuLy", [])]
            if "NoiDungXuLy" in record:
                out.append(record["NoiDungXuLy"])
    return out


@pytest.mark.parametrize("variant", RESULT_VARIANTS)
def test_the_variant_really_is_not_the_plain_result_step(variant):
    last = sent_steps(variant)[-1]
    assert unicodedata.normalize("NFC", last) != "Trả kết quả"


@pytest.mark.parametrize("variant", RESULT_VARIANTS)
def test_result_step_with_invisible_characters_or_old_tone_sends_one_result_and_no_apology(client, api_key, variant):
    key = api_key("016")
    replay(client, key, variant)
    d = Dossier.objects.get(code=CODE)
    assert d.state == "result_ready"
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["result"] and RESULT_TEXT in sms[0][1]
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)
    reply = lookup_reply(CODE)
    assert "hiện đang ở bước Trả kết quả" in reply and not invisible(reply)
    # The same records again: still one result SMS.
    replay(client, key, variant)
    assert [k for k, _ in citizen_sms(CODE)] == ["result"]


def test_supplement_step_with_invisible_characters_asks_the_citizen(client, api_key):
    replay(client, api_key("016"), "supplement_step_progress_invisible_characters")
    d = Dossier.objects.get(code=CODE)
    assert d.state == "supplement_requested" and d.current_step == "Chờ bổ sung"
    sms = citizen_sms(CODE)
    assert [k for k, _ in sms] == ["supplement"] and SUPPLEMENT_TEXT in sms[0][1]
    assert "bước Chờ bổ sung" in lookup_reply(CODE)


def test_an_ordinary_step_is_shown_without_its_invisible_characters(client, api_key):
    replay(client, api_key("016"), "processing_step_progress_invisible_characters")
    d = Dossier.objects.get(code=CODE)
    assert (d.state, d.current_step) == ("processing", "Thẩm định hồ sơ")
    assert citizen_sms(CODE) == []  # not taken for the result or the supplement step
    reply = lookup_reply(CODE)
    assert "hiện đang ở bước Thẩm định hồ sơ" in reply and not invisible(reply)


@pytest.mark.parametrize("step", ["Trả kết quả\u200b", "\ufeffTrả kết qủa", unicodedata.normalize("NFD", "trả kết qủa\u2060")])
def test_api_event_with_invisible_characters_or_old_tone_sends_the_result(client, api_key, province, step):
    key = api_key("016")
    created = client.post("/api/v1/dossiers", data=json.dumps({"procedure": "1.004628", "phone": "0912345678"}),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    code = created["code"]
    r = client.post(f"/api/v1/dossiers/{code}/events", data=json.dumps({"type": "step_changed", "step": step}),
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "result_ready" and r.json()["current_step"] == "Trả kết quả"
    assert [k for k, _ in citizen_sms(code)] == ["result"]


@pytest.mark.parametrize("variant, raw, to, note", [
    ("phone_two_mobiles_joined_by_dash", "0912345678-0987654321", "84912345678",
     "Ô số điện thoại ghi 2 số: tin nhắn gửi tới số thứ 1 (0912***678)."),
    ("phone_landline_dash_mobile", "3822123 - 0912345678", "84912345678",
     "Ô số điện thoại ghi 2 số: tin nhắn gửi tới số thứ 2 (0912***678)."),
])
def test_the_result_sms_reaches_the_first_mobile_of_numbers_joined_by_a_dash(client, api_key, variant, raw, to, note):
    assert payload(variant)["sends"][0]["data"][0]["SoDienThoai"] == raw
    replay(client, api_key("016"), variant)
    message = Message.objects.get(dossier__code=CODE)
    assert (message.kind, message.status, message.to) == ("result", Status.QUEUED, to)
    assert RESULT_TEXT in message.text
    d = Dossier.objects.get(code=CODE)
    assert (d.phone, d.phone_raw) == ("0" + to[2:], raw)
    assert d.events.get(type="created").data["note"] == note
    assert not apology_would_go_to(CODE, DAY_BEFORE_DUE)
