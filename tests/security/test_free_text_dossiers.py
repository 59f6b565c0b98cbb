"""Threat: text no database can store (lone surrogates, NUL and other control characters, huge strings) sent
into the dossier paths to get a 500, or to leave a DVCQG batch half-written so every retry stops there."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from motcua.dossiers import sync as sync_module
from motcua.dossiers.models import Dossier, DossierEvent, Procedure
from tests.dossiers.conftest import citizen_sms, payload

pytestmark = pytest.mark.django_db

BAD = {"surrogate": "An\ud800", "nul": "An\x00", "c1": "A\x85n", "newline": "An\nB", "escape": "An\x1b[31m"}


def rec(code: str, **extra) -> dict:
    r = payload("first_record_at_result")["sends"][0]["data"][0] | {"MaHoSo": code}
    r.update(extra)
    return r


def post(client: Client, key: str, path: str, body: object):
    # json.dumps escapes a lone surrogate as \\ud800: the server's JSON parser gives it back as one
    return client.post(path, data=json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def client() -> Client:
    return Client()


def steps(name: str) -> list:
    return [{"ThoiDiemXuLy": "20261005090000", "NoiDungXuLy": "Tiếp nhận hồ sơ"},
            {"ThoiDiemXuLy": "20261008100000", "NoiDungXuLy": name}]


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("field", ["ChuHoSo", "MaHoSo", "TenTTHC", "MaTTHC", "DonViXuLy", "SoDienThoai",
                                   "QuaTrinhXuLy"])
def test_a_bad_record_is_rejected_by_field_and_the_batch_goes_on(client, api_key, field, kind):
    value = BAD[kind]
    bad = rec("HS-BAD", **({"QuaTrinhXuLy": steps(value)} if field == "QuaTrinhXuLy" else {field: value}))
    r = post(client, api_key("016"), "/api/v1/dvcqg", {"service": "DongBoHoSoMC",
                                                        "data": [rec("HS-1"), bad, rec("HS-3")]})
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "rejected", "created"]
    assert results[1]["errors"][0]["field"].startswith(field)
    assert sorted(Dossier.objects.values_list("code", flat=True)) == ["HS-1", "HS-3"]
    # the good records' citizens got their result SMS
    assert [k for k, _ in citizen_sms("HS-1")] == [k for k, _ in citizen_sms("HS-3")] == ["result"]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_progress_updates_with_bad_step_are_rejected(client, api_key, kind):
    key = api_key("016")
    post(client, key, "/api/v1/dvcqg", {"service": "DongBoHoSoMC", "data": [rec("HS-1", TrangThaiHoSo="4",
                                                                              QuaTrinhXuLy=steps("Thẩm định"))]})
    r = post(client, key, "/api/v1/dvcqg", {"service": "CapNhatTienDoHoSoMC", "data": [
        {"MaHoSo": "HS-1", "ThoiDiemXuLy": "20261009090000", "NoiDungXuLy": BAD[kind]}]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "rejected"
    assert Dossier.objects.get(code="HS-1").current_step == "Thẩm định"


def test_an_unexpected_error_rejects_only_its_record_and_rolls_it_back(client, api_key, monkeypatch):
    real = sync_module.record_waits

    def fails_for_boom(record):
        if record.code == "HS-BOOM":
            raise RuntimeError("disk on fire")
        return real(record)

    monkeypatch.setattr(sync_module, "record_waits", fails_for_boom)
    # HS-BOOM names a new procedure: it is registered before the failure, and must be rolled back with it.
    records = [rec("HS-1"), rec("HS-BOOM", MaTTHC="9.999999"), rec("HS-3")]
    r = post(client, api_key("016"), "/api/v1/dvcqg", {"service": "DongBoHoSoMC", "data": records})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "rejected", "created"]
    assert "không mong đợi" in results[1]["errors"][0]["message"] and "disk" not in r.content.decode()
    assert not Procedure.objects.filter(code="9.999999").exists()
    assert sorted(Dossier.objects.values_list("code", flat=True)) == ["HS-1", "HS-3"]


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("field", ["applicant", "phone", "code", "procedure"])
def test_api_create_refuses_bad_text_with_422(client, api_key, province, field, kind):
    body = {"procedure": "1.004628", "applicant": "An", "phone": "0912345678"} | {field: BAD[kind]}
    r = post(client, api_key("016"), "/api/v1/dossiers", body)
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["field"] == field
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("kind", sorted(BAD))
def test_api_event_refuses_bad_step_and_reason(client, api_key, make_dossier, kind):
    d = make_dossier()
    key = api_key("016")
    for body in ({"type": "step_changed", "step": BAD[kind]},
                 {"type": "rescheduled", "appointment_at": "2026-12-01T09:00:00+07:00", "reason": "x\x00\ud800"}):
        r = post(client, key, f"/api/v1/dossiers/{d.code}/events", body)
        assert r.status_code == 422, r.content
    assert DossierEvent.objects.filter(dossier=d).count() == 1


@pytest.mark.parametrize("token", ["mc_ab\x00cd_x", "mc_\ud800_x", "mc_abcd_" + "x" * 5000])
def test_a_strange_api_key_is_a_401_not_a_500(client, token):
    from motcua.dossiers.models import ApiKey

    assert ApiKey.authenticate(token) is None
    r = client.get("/api/v1/dossiers", HTTP_AUTHORIZATION="Bearer mc_ab\x00cd_x")
    assert r.status_code == 401 and "errors" in r.json()


def test_list_filter_with_bad_text_is_a_422(client, api_key):
    r = client.get("/api/v1/dossiers", {"agency": "0\x001"}, HTTP_AUTHORIZATION=f"Bearer {api_key(None)}")
    assert r.status_code in (400, 422) and "errors" in r.json()  # a NUL is refused before any view: 400


def test_nfd_names_are_stored_in_nfc(client, api_key):
    import unicodedata

    r = post(client, api_key("016"), "/api/v1/dvcqg", {"service": "DongBoHoSoMC", "data": [
        rec("HS-1", ChuHoSo=unicodedata.normalize("NFD", "  Nguyễn Văn Ân "))]})
    assert r.json()["results"][0]["status"] == "created"
    assert Dossier.objects.get().applicant == "Nguyễn Văn Ân"
