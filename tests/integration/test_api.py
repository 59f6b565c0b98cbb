"""The HTTP API as other software uses it: auth, creation, timeline, filters, events, isolation, errors."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.test import Client
from django.utils import timezone

from motcua.dossiers.models import ApiKey, Dossier, DossierEvent
from motcua.messaging.models import Message, Status
from tests.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _replayed_history(settings):
    """These scenarios replay events of October 2026 whatever today is; the bound on backdated events is
    proven in tests/security/test_history_events.py."""
    settings.MOTCUA_LIMITS = settings.MOTCUA_LIMITS | {"EVENT_BACKDATE_DAYS": 36500}


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client: Client, url: str, body, key: str | None):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = auth(key) if key else {}
    return client.post(url, data=data, content_type="application/json", **headers)


def assert_error_shape(response, field: str | None = None) -> list[dict]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"], body
    for item in body["errors"]:
        assert isinstance(item["field"], str) and isinstance(item["message"], str) and item["message"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body["errors"]


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def client() -> Client:
    return Client()


# --- auth ------------------------------------------------------------------------------------


def test_missing_wrong_and_revoked_keys_get_401_json(client, api_key):
    key = api_key("016")
    assert client.get("/api/v1/dossiers").status_code == 401
    assert_error_shape(client.get("/api/v1/dossiers"), "Authorization")
    for bad in ("nonsense", "mc_deadbeef_xyz", key[:-1] + ("A" if key[-1] != "A" else "B")):
        response = client.get("/api/v1/dossiers", **auth(bad))
        assert response.status_code == 401
        assert_error_shape(response, "Authorization")
    assert client.get("/api/v1/dossiers", **auth(key)).status_code == 200
    ApiKey.objects.update(revoked_at=timezone.now())
    response = client.get("/api/v1/dossiers", **auth(key))
    assert response.status_code == 401
    assert_error_shape(response, "Authorization")
    assert post(client, "/api/v1/dossiers", {"procedure": "1.004628"}, key).status_code == 401
    assert Dossier.objects.count() == 0


def test_key_is_stored_hashed(api_key):
    key = api_key("016")
    stored = ApiKey.objects.get()
    assert key not in (stored.hashed, stored.prefix) and stored.hashed == ApiKey.hash(key)


# --- creation --------------------------------------------------------------------------------


def test_create_with_given_code_keeps_it_exactly(client, api_key):
    response = post(
        client,
        "/api/v1/dossiers",
        {
            "code": "G09.20-20260609-0092637",
            "procedure": "1.004628",
            "applicant": "Trần Thị Bình",
            "phone": "+84 912.345.678",
            "received_at": "2026-11-23T09:00:00+07:00",
            "appointment_at": "2026-12-04T16:00:00+07:00",
        },
        api_key("016"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "G09.20-20260609-0092637"
    assert body["agency"] == "016" and body["agency_name"] == "Sở Du lịch"
    assert body["phone"] == "0912345678"
    assert parse(body["appointment_at"]) == local(2026, 12, 4, 16, 0)
    assert body["state"] == "received" and body["national_state"] == 2
    assert body["current_step"] == "Tiếp nhận hồ sơ"
    assert [e["type"] for e in body["timeline"]] == ["created"]
    assert body["timeline"][0]["actor"].startswith("key:")
    assert len(body["access_code"]) >= 4


def test_issued_codes_are_agency_year_serial(client, api_key):
    key = api_key("016")
    codes = []
    for _ in range(3):
        response = post(
            client, "/api/v1/dossiers",
            {"procedure": "1.004628", "received_at": "2026-11-23T09:00:00+07:00"}, key,
        )
        assert response.status_code == 201, response.content
        codes.append(response.json()["code"])
    assert codes == ["0162600001", "0162600002", "0162600003"]


def test_appointment_is_computed_with_the_working_calendar(client, api_key):
    # Mon 23/11/2026 09:00 + 5 working days (40 h): 24/11 is Ngày Văn hóa Việt Nam (a day off),
    # 28–29/11 a weekend, so 6 h on the 23rd, 8 h each on 25, 26, 27, 30/11 and 2 h on 1/12 → 09:00.
    response = post(
        client, "/api/v1/dossiers",
        {"procedure": "1.004628", "received_at": "2026-11-23T09:00:00+07:00", "phone": "0912345678"},
        api_key("016"),
    )
    assert response.status_code == 201, response.content
    assert parse(response.json()["appointment_at"]) == local(2026, 12, 1, 9, 0)


def test_same_day_procedure_is_due_at_17h_and_flagged(client, api_key):
    response = post(
        client, "/api/v1/dossiers",
        {"procedure": "1.000000", "received_at": "2026-11-23T08:00:00+07:00"}, api_key("016"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["same_day"] is True
    assert parse(body["appointment_at"]) == local(2026, 11, 23, 17, 0)


def test_naive_datetimes_are_read_as_local_time(client, api_key):
    response = post(
        client, "/api/v1/dossiers",
        {"procedure": "1.004628", "received_at": "2026-11-23T09:00:00"}, api_key("016"),
    )
    assert response.status_code == 201
    assert parse(response.json()["received_at"]) == local(2026, 11, 23, 9, 0)


def test_duplicate_code_is_409(client, api_key):
    key = api_key("016")
    body = {"code": "ABC-1", "procedure": "1.004628", "received_at": "2026-11-23T09:00:00+07:00"}
    assert post(client, "/api/v1/dossiers", body, key).status_code == 201
    response = post(client, "/api/v1/dossiers", body, key)
    assert response.status_code == 409
    assert_error_shape(response, "code")
    assert Dossier.objects.count() == 1


def test_bad_phone_is_422_naming_phone(client, api_key):
    response = post(
        client, "/api/v1/dossiers", {"procedure": "1.004628", "phone": "0281234567"}, api_key("016")
    )
    assert response.status_code == 422
    assert_error_shape(response, "phone")
    assert Dossier.objects.count() == 0


def test_province_key_must_name_the_agency(client, api_key):
    key = api_key(None)
    response = post(client, "/api/v1/dossiers", {"procedure": "1.003920"}, key)
    assert_error_shape(response, "agency")
    response = post(
        client, "/api/v1/dossiers",
        {"agency": "010", "procedure": "1.003920", "received_at": "2026-11-23T09:00:00+07:00"}, key,
    )
    assert response.status_code == 201
    assert response.json()["code"] == "0102600001"


def test_agency_key_cannot_create_for_another_agency(client, api_key):
    response = post(client, "/api/v1/dossiers", {"agency": "010", "procedure": "1.003920"}, api_key("016"))
    assert response.status_code == 403
    assert_error_shape(response, "agency")
    response = post(client, "/api/v1/dossiers", {"procedure": "1.003920"}, api_key("016"))
    assert_error_shape(response, "procedure")


# --- reading and events ----------------------------------------------------------------------


def event(client, key, code, **body):
    return post(client, f"/api/v1/dossiers/{code}/events", body, key)


def test_every_event_type_through_the_api(client, api_key, make_dossier):
    key = api_key("016")
    d = make_dossier(code="T-1", received=local(2026, 10, 5, 9, 0))  # due Mon 12/10/2026 09:00
    steps = [
        ({"type": "step_changed", "step": "Thẩm định hồ sơ", "at": "2026-10-05T10:00:00+07:00"},
         "processing", "Thẩm định hồ sơ"),
        ({"type": "supplement_requested", "at": "2026-10-05T10:30:00+07:00"}, "supplement_requested", "Chờ bổ sung"),
        ({"type": "supplement_received", "at": "2026-10-07T08:00:00+07:00",
          "appointment_at": "2026-10-14T08:00:00+07:00"}, "processing", "Thẩm định hồ sơ"),
        ({"type": "rescheduled", "appointment_at": "2026-10-15T08:00:00+07:00", "reason": "Chờ ý kiến Sở Xây dựng",
          "at": "2026-10-08T08:00:00+07:00"}, "processing", "Thẩm định hồ sơ"),
        ({"type": "step_changed", "step": "Phê duyệt", "at": "2026-10-08T09:00:00+07:00"}, "processing", "Phê duyệt"),
        ({"type": "result_ready", "at": "2026-10-09T09:00:00+07:00"}, "result_ready", "Trả kết quả"),
        ({"type": "returned", "at": "2026-10-09T10:00:00+07:00"}, "returned", "Trả kết quả"),
    ]
    for body, state, step in steps:
        response = event(client, key, d.code, **body)
        assert response.status_code == 201, (body, response.content)
        out = response.json()
        assert (out["state"], out["current_step"]) == (state, step), body
        assert parse(out["timeline"][-1]["occurred_at"]) == parse(body["at"])
        assert out["timeline"][-1]["type"] == body["type"]
    out = client.get(f"/api/v1/dossiers/{d.code}", **auth(key)).json()
    assert [e["type"] for e in out["timeline"]] == ["created"] + [b["type"] for b, _, _ in steps]
    assert out["timeline"][4]["data"]["reason"] == "Chờ ý kiến Sở Xây dựng"
    assert parse(out["appointment_at"]) == local(2026, 10, 15, 8, 0)
    assert parse(out["finished_at"]) == local(2026, 10, 9, 9, 0)
    assert (out["on_time"], out["on_time_label"]) == ("on_time", "Đúng hạn")
    assert sorted(m["kind"] for m in out["messages"]) == ["result", "supplement"]
    assert all(m["status"] == Status.QUEUED for m in out["messages"])
    assert "(MS: T-1)" in out["messages"][0]["text"]


@pytest.mark.parametrize("type_", ["withdrawn", "stopped"])
def test_withdrawn_and_stopped_close_the_dossier(client, api_key, make_dossier, type_):
    key = api_key("016")
    d = make_dossier(code="T-2")
    response = event(client, key, d.code, type=type_, at="2026-11-23T10:00:00+07:00")
    assert response.status_code == 201
    assert response.json()["state"] == type_
    assert parse(response.json()["finished_at"]) == local(2026, 11, 23, 10, 0)
    assert response.json()["messages"] == []
    response = event(client, key, d.code, type="step_changed", step="Phê duyệt")
    assert response.status_code == 409
    assert_error_shape(response, "type")


def test_step_change_to_tra_ket_qua_means_result_ready(client, api_key, make_dossier):
    key = api_key("016")
    d = make_dossier(code="T-3")
    response = event(client, key, d.code, type="step_changed", step="  Trả kết quả ", at="2026-11-23T11:00:00+07:00")
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["state"] == "result_ready" and out["national_state"] == 9
    assert [m["kind"] for m in out["messages"]] == ["result"]
    assert out["messages"][0]["text"].startswith("TB: Hồ sơ của quý ông/bà (MS: T-3) đã được giải quyết xong.")
    # Another "result ready" is no second message.
    event(client, key, d.code, type="returned", at="2026-11-23T11:30:00+07:00")
    assert Message.objects.filter(dossier=d).count() == 1


def test_supplement_wait_is_not_counted_against_the_agency(client, api_key, make_dossier):
    key = api_key("016")
    # Received Mon 16/11/2026 09:00, due Mon 23/11 09:00. Waiting from 16/11 10:00 to 17/11 10:00 is
    # 8 working hours, which moves the deadline past the day off of 24/11 to Wed 25/11 09:00.
    d = make_dossier(code="T-4", received=local(2026, 11, 16, 9, 0))
    response = event(client, key, d.code, type="supplement_requested", at="2026-11-16T10:00:00+07:00")
    assert response.json()["current_step"] == "Chờ bổ sung"
    out = event(client, key, d.code, type="supplement_received", at="2026-11-17T10:00:00+07:00").json()
    assert out["current_step"] == "Tiếp nhận hồ sơ" and out["state"] == "processing"
    out = event(client, key, d.code, type="result_ready", at="2026-11-23T15:00:00+07:00").json()
    assert parse(out["appointment_at"]) == local(2026, 11, 23, 9, 0)
    assert out["on_time"] == "on_time"
    # The same finish without the wait is late.
    other = make_dossier(code="T-5", received=local(2026, 11, 16, 9, 0))
    out = event(client, key, other.code, type="result_ready", at="2026-11-23T15:00:00+07:00").json()
    assert (out["on_time"], out["on_time_label"]) == ("late", "Trễ hạn")


def test_event_in_the_future_is_refused(client, api_key, make_dossier):
    d = make_dossier(code="T-6")
    response = event(client, api_key("016"), d.code, type="returned", at="2099-01-01T00:00:00+07:00")
    assert response.status_code == 422
    assert_error_shape(response, "at")
    assert Dossier.objects.get(pk=d.pk).state == "received"


def test_event_before_the_dossier_was_received_is_refused(client, api_key, make_dossier):
    d = make_dossier(code="T-7")
    response = event(client, api_key("016"), d.code, type="result_ready", at="2026-11-22T10:00:00+07:00")
    assert response.status_code == 422
    assert_error_shape(response, "at")
    assert Dossier.objects.get(pk=d.pk).state == "received"


# --- lists -----------------------------------------------------------------------------------


def codes_of(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(i["code"] for i in response.json()["items"])


def test_list_filters(client, api_key, make_dossier):
    from motcua.dossiers import services

    key = api_key("016")
    late_open = make_dossier(code="L-OPEN", received=local(2025, 3, 3, 9, 0))  # due 10/3/2025, still open
    late_done = make_dossier(code="L-DONE", received=local(2025, 3, 3, 9, 0))
    services.apply_event(late_done, "result_ready", actor="t", at=local(2025, 3, 20, 9, 0))
    ok_done = make_dossier(code="OK-DONE", received=local(2025, 3, 3, 9, 0))
    services.apply_event(ok_done, "result_ready", actor="t", at=local(2025, 3, 5, 9, 0))
    future = make_dossier(code="FUTURE", appointment=local(2030, 1, 2, 9, 0))
    waiting = make_dossier(code="WAIT", received=local(2025, 3, 3, 9, 0))
    services.apply_event(waiting, "supplement_requested", actor="t", at=local(2025, 3, 4, 9, 0))
    waiting_late = make_dossier(code="WAIT-LATE", received=local(2025, 3, 3, 9, 0))  # asked after the due date
    services.apply_event(waiting_late, "supplement_requested", actor="t", at=local(2025, 3, 12, 9, 0))

    url = "/api/v1/dossiers"
    everything = ["FUTURE", "L-DONE", "L-OPEN", "OK-DONE", "WAIT", "WAIT-LATE"]
    assert codes_of(client.get(url, **auth(key))) == everything
    assert codes_of(client.get(url, {"state": "result_ready"}, **auth(key))) == ["L-DONE", "OK-DONE"]
    assert codes_of(client.get(url, {"national_state": 9}, **auth(key))) == ["L-DONE", "OK-DONE"]
    assert codes_of(client.get(url, {"national_state": 5}, **auth(key))) == ["WAIT", "WAIT-LATE"]
    assert codes_of(client.get(url, {"due": "2030-01-02"}, **auth(key))) == ["FUTURE"]
    assert codes_of(client.get(url, {"due": "2025-03-10"}, **auth(key))) == everything[1:]
    assert codes_of(client.get(url, {"late": "true"}, **auth(key))) == ["L-DONE", "L-OPEN", "WAIT-LATE"]
    assert codes_of(client.get(url, {"late": "false"}, **auth(key))) == ["FUTURE", "OK-DONE", "WAIT"]
    page = client.get(url, {"limit": 2, "offset": 1}, **auth(key)).json()
    assert page["count"] == 6 and len(page["items"]) == 2
    late_page = client.get(url, {"late": "true", "limit": 2, "offset": 2}, **auth(key)).json()
    assert late_page["count"] == 3 and [i["code"] for i in late_page["items"]] == ["WAIT-LATE"]
    items = {i["code"]: i for i in client.get(url, **auth(key)).json()["items"]}
    assert (items["L-OPEN"]["on_time"], items["L-OPEN"]["on_time_label"]) == ("late", "Trễ hạn")
    assert (items["FUTURE"]["on_time"], items["FUTURE"]["on_time_label"]) == ("on_time", "Đúng hạn")
    for bad in ({"state": "bogus"}, {"national_state": 11}, {"due": "32/13/2025"}, {"limit": 0}, {"late": "maybe"}):
        assert_error_shape(client.get(url, bad, **auth(key)))
    assert late_open.pk and future.pk


# --- isolation -------------------------------------------------------------------------------


def test_isolation_between_agencies(client, api_key, make_dossier):
    mine = make_dossier(code="DL-1")
    theirs = make_dossier(proc="press", code="TT-1")
    old = make_dossier(proc="old", code="OLD-1")
    key_010, key_016 = api_key("010"), api_key("016")

    response = client.get(f"/api/v1/dossiers/{mine.code}", **auth(key_010))
    assert response.status_code == 404
    assert_error_shape(response, "code")
    response = event(client, key_010, mine.code, type="result_ready")
    assert response.status_code == 404
    assert Dossier.objects.get(pk=mine.pk).state == "received"
    assert Message.objects.count() == 0
    assert codes_of(client.get("/api/v1/dossiers", **auth(key_010))) == ["TT-1"]
    assert codes_of(client.get("/api/v1/dossiers", {"agency": "016"}, **auth(key_010))) == []
    assert codes_of(client.get("/api/v1/dossiers", **auth(key_016))) == ["DL-1"]
    assert client.get(f"/api/v1/dossiers/{theirs.code}", **auth(key_016)).status_code == 404

    province = api_key(None)
    assert codes_of(client.get("/api/v1/dossiers", **auth(province))) == ["DL-1", "OLD-1", "TT-1"]
    assert client.get(f"/api/v1/dossiers/{theirs.code}", **auth(province)).status_code == 200

    # The ward (051) replaced the retired city (050): its key sees and works the old dossiers.
    successor = api_key("051")
    assert codes_of(client.get("/api/v1/dossiers", **auth(successor))) == ["OLD-1"]
    response = event(client, successor, old.code, type="result_ready", at="2026-11-23T10:00:00+07:00")
    assert response.status_code == 201
    assert "UBND phường Nha Trang" in response.json()["messages"][0]["text"]
    # …but the retired agency's key does not see its successor's new dossiers.
    assert client.get(f"/api/v1/dossiers/{mine.code}", **auth(api_key("050"))).status_code == 404


# --- malformed input -------------------------------------------------------------------------


BAD_CREATE_BODIES = [
    "not json",
    "{",
    "",
    "[]",
    "[1, 2]",
    "null",
    "42",
    '"a string"',
    {},
    {"procedure": None},
    {"procedure": 12},
    {"procedure": ["1.004628"]},
    {"procedure": {"code": "1.004628"}},
    {"procedure": ""},
    {"procedure": "x" * 100_000},
    {"procedure": "1.004628", "code": "x" * 65},
    {"procedure": "1.004628", "applicant": "x" * 10_000},
    {"procedure": "1.004628", "phone": "9" * 1000},
    {"procedure": "1.004628", "phone": 912345678},
    {"procedure": "1.004628", "phone": "abc"},
    {"procedure": "1.004628", "received_at": "hôm qua"},
    {"procedure": "1.004628", "received_at": "2026-02-30T09:00:00+07:00"},
    {"procedure": "1.004628", "received_at": "2026-11-23T25:00:00+07:00"},
    {"procedure": "1.004628", "received_at": 20261123090000},
    {"procedure": "1.004628", "received_at": "20261123090000"},
    {"procedure": "1.004628", "received_at": "9999-12-31T23:59:59+07:00"},
    {"procedure": "1.004628", "received_at": "0001-01-01T00:00:00+00:00"},
    {"procedure": "1.004628", "received_at": "2099-01-01T09:00:00+07:00"},
    {"procedure": "1.004628", "received_at": True},
    {"procedure": "1.004628", "appointment_at": "9999-12-31T00:00:00"},
    {"procedure": "1.004628", "appointment_at": "2020-01-01T09:00:00+07:00", "received_at": "2026-11-23T09:00:00+07:00"},
    {"procedure": "1.004628", "agency": "0160"},
    {"procedure": "1.004628", "agency": "999"},
    {"procedure": "không có"},
    {"procedure": "1.004628", "code": "   ", "phone": "+84"},
    {"procedure": "1.004628", "code": "A\x00B"},
]


def test_malformed_creation_bodies_are_4xx_json_never_500(client, api_key):
    key, province = api_key("016"), api_key(None)
    for body in BAD_CREATE_BODIES:
        for k in (key, province):
            response = post(client, "/api/v1/dossiers", body, k)
            if response.status_code == 201:  # only the province key may miss "agency"; no body here is good
                pytest.fail(f"accepted {body!r}")
            assert_error_shape(response)
    assert Dossier.objects.count() == 0


BAD_EVENT_BODIES = [
    "not json",
    "[]",
    [{"type": "returned"}],
    {},
    {"type": None},
    {"type": "exploded"},
    {"type": "created"},
    {"type": "rejected"},
    {"type": 3},
    {"type": "step_changed"},
    {"type": "step_changed", "step": "   "},
    {"type": "step_changed", "step": "x" * 256},
    {"type": "step_changed", "step": 12},
    {"type": "rescheduled"},
    {"type": "rescheduled", "appointment_at": "mai"},
    {"type": "rescheduled", "appointment_at": "2000-01-01T09:00:00+07:00"},
    {"type": "returned", "at": "2026-13-01T00:00:00+07:00"},
    {"type": "returned", "at": "yesterday"},
    {"type": "returned", "at": []},
    {"type": "returned", "reason": "x" * 501},
    {"type": "supplement_received", "appointment_at": {"d": 1}},
]


def test_malformed_event_bodies_are_4xx_json_never_500(client, api_key, make_dossier):
    key = api_key("016")
    d = make_dossier(code="E-1")
    for body in BAD_EVENT_BODIES:
        response = post(client, f"/api/v1/dossiers/{d.code}/events", body, key)
        assert_error_shape(response)
    assert DossierEvent.objects.filter(dossier=d).count() == 1
    # Unknown dossier, odd codes in the path.
    for code in ("NOPE", "x" * 300, "%00", "a b"):
        assert_error_shape(event(client, key, code, type="returned"))
        assert_error_shape(client.get(f"/api/v1/dossiers/{code}", **auth(key)))
    # Events on a closed dossier.
    assert event(client, key, d.code, type="withdrawn", at="2026-11-23T10:00:00+07:00").status_code == 201
    for body in ({"type": "result_ready"}, {"type": "supplement_requested"}, {"type": "stopped"},
                 {"type": "rescheduled", "appointment_at": "2026-12-24T09:00:00+07:00"}):
        response = post(client, f"/api/v1/dossiers/{d.code}/events", body, key)
        assert response.status_code == 409
        assert_error_shape(response, "type")
    assert Dossier.objects.get(pk=d.pk).state == "withdrawn"


def test_malformed_sync_bodies_are_4xx_json(client, api_key):
    key = api_key("016")
    for body in ("nope", "[]", {}, {"service": "Khac", "data": []}, {"service": "DongBoHoSoMC"},
                 {"service": "DongBoHoSoMC", "data": {"MaHoSo": "1"}}, {"service": "DongBoHoSoMC", "data": "x"}):
        assert_error_shape(post(client, "/api/v1/dvcqg", body, key))


def test_numbers_are_not_read_as_unix_timestamps(client, api_key):
    """DVCQG writes dates as digits; over this API they must be ISO text, not a timestamp in 2612."""
    key = api_key("016")
    for value in (20261123090000, "20261123090000", 1763863200):
        response = post(client, "/api/v1/dossiers", {"procedure": "1.004628", "received_at": value}, key)
        assert response.status_code == 422, response.content
        assert_error_shape(response, "received_at")
    assert Dossier.objects.count() == 0


def test_field_names_in_validation_errors(client, api_key, make_dossier):
    response = post(client, "/api/v1/dossiers", {"procedure": "1.004628", "received_at": "hôm qua"}, api_key("016"))
    assert_error_shape(response, "received_at")
    d = make_dossier(code="E-2")
    response = event(client, api_key("016"), d.code, type="exploded")
    assert_error_shape(response, "type")


# --- docs ------------------------------------------------------------------------------------


def test_openapi_and_docs_respond(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert "/api/v1/dossiers" in spec["paths"] and "/api/v1/dvcqg" in spec["paths"]
    assert "/api/v1/dossiers/{code}/events" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_a_wrong_method_is_405_json_naming_the_allowed_ones(client, api_key):
    key = api_key("016")
    for method, url, allowed in (
        ("put", "/api/v1/dvcqg", "POST"),
        ("delete", "/api/v1/dossiers", "GET, POST"),
        ("patch", "/api/v1/lookup", "GET"),
    ):
        response = getattr(client, method)(url, **auth(key))
        assert response.status_code == 405, (method, url)
        assert response["Allow"] == allowed
        [error] = assert_error_shape(response, "method")
        assert method.upper() in error["message"] and allowed in error["message"]
    assert client.get("/api/v1/dossiers", **auth(key)).status_code == 200
