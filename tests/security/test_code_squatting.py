"""Threat: one agency's API key squats another agency's receipt codes (blocking its issuing, reading its
text to the other agency's citizens), learns which codes another agency holds, or floods the series."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.messaging.models import Message
from tests.conftest import local
from tests.dossiers.conftest import lookup_reply, payload

pytestmark = pytest.mark.django_db

YEAR = local(2026, 11, 23, 9, 0).year % 100


def rec(code: str, **extra) -> dict:
    r = payload("nfd_result_step")["sends"][0]["data"][0] | {"MaHoSo": code}
    r.update(extra)
    return r


def sync(client: Client, key: str, records: list, service: str = "DongBoHoSoMC"):
    return client.post("/api/v1/dvcqg", data=json.dumps({"service": service, "data": records}),
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def create(client: Client, key: str, **body):
    body.setdefault("procedure", "1.004628")
    return client.post("/api/v1/dossiers", data=json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def client() -> Client:
    return Client()


def test_another_agencys_key_cannot_take_its_next_codes(client, api_key, province):
    squatter = api_key("010")
    codes = [f"016{YEAR:02d}{n:05d}" for n in range(1, 51)]
    answer = sync(client, squatter, [rec(c, MaTTHC="1.003920", DonViXuLy="010") for c in codes]).json()
    assert answer["rejected"] == 50
    assert {(r["errors"][0]["field"], r["errors"][0]["message"]) for r in answer["results"]} == {
        ("MaHoSo", services.CODE_NOT_YOURS)}
    assert not Dossier.objects.exists()
    # Agency 016 still receives dossiers, with the first code of its series.
    r = create(client, api_key("016"), phone="0912345678")
    assert r.status_code == 201 and r.json()["code"] == f"016{YEAR:02d}00001"
    # and through the API with a supplied code, too: refused for the other agency
    r = create(client, squatter, procedure="1.003920", code=f"016{YEAR:02d}00007")
    assert r.status_code == 409 and r.json()["errors"][0]["message"] == services.CODE_NOT_YOURS


def test_existence_of_another_agencys_code_is_never_revealed(client, api_key, make_dossier):
    held = make_dossier().code  # 016's first code
    national = make_dossier(code="000.00.16.H35-261123-0001").code  # a vendor's code, outside our series
    missing = f"016{YEAR:02d}09999"
    other = api_key("010")

    def answer(code: str) -> tuple[int, list]:
        r = sync(client, other, [rec(code, MaTTHC="1.003920", TrangThaiHoSo="9", NgayKetThucXuLy="20261009100000")])
        return r.status_code, [(x["status"], x["errors"]) for x in r.json()["results"]]

    assert answer(held) == answer(missing) == answer(national)
    # Progress updates, reading, events: "not found" exactly as for a code nobody holds.
    def progress(code: str):
        r = sync(client, other, [{"MaHoSo": code, "ThoiDiemXuLy": "20261124090000", "NoiDungXuLy": "Ghi đè"}],
                 service="CapNhatTienDoHoSoMC")
        return r.json()["results"][0]["errors"][0]["message"].replace(code, "<code>")

    assert progress(held) == progress(missing)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {other}"}
    assert client.get(f"/api/v1/dossiers/{held}", **auth).json()["errors"][0]["message"].replace(held, "X") == \
        client.get(f"/api/v1/dossiers/{missing}", **auth).json()["errors"][0]["message"].replace(missing, "X")
    r1 = create(client, other, procedure="1.003920", code=national)
    r2 = create(client, other, procedure="1.003920", code=held)
    assert r1.status_code == r2.status_code == 409 and r1.json() == r2.json()
    # Nothing reached 016's citizens: no SMS, and the 8083 reply reads 016's own step.
    assert not Message.objects.exists()
    assert "hiện đang ở bước Tiếp nhận hồ sơ" in lookup_reply(held)


@pytest.mark.parametrize("written", ["{c}", "{l}", " {c} "])
def test_codes_of_a_unit_another_agency_declared_are_refused_whether_or_not_they_exist(
        client, api_key, make_dossier, province, written):
    """National-form codes (<unit>-<date>-<serial>) come from the unit's own software: once the province
    says which agency a unit is, another agency's key gets one answer for all of them."""
    province["016"].dvcqg_units = "000.00.16.H35, G09.20"
    province["016"].save()
    held = make_dossier(code="000.00.16.H35-261123-0001").code
    other = api_key("010")
    answers = set()
    for code in (held, "000.00.16.H35-261123-0002", "G09.20-20260609-0092637"):
        typed = written.format(c=code, l=code.lower())
        r = sync(client, other, [rec(typed, MaTTHC="1.003920", DonViXuLy="010")])
        answers.add((r.status_code, json.dumps(r.json()["results"][0]["errors"], ensure_ascii=False)))
        r = create(client, other, procedure="1.003920", code=typed)
        answers.add((r.status_code, json.dumps(r.json(), ensure_ascii=False)))
    assert len(answers) == 2 and {status for status, _ in answers} == {200, 409}
    assert all(services.CODE_NOT_YOURS in body for _, body in answers)
    assert Dossier.objects.count() == 1
    # The unit's own agency creates them, and other units' national codes stay open to everyone.
    assert create(client, api_key("016"), code="000.00.16.H35-261123-0002").status_code == 201
    assert create(client, other, procedure="1.003920", code="000.00.10.H35-261123-0001").status_code == 201


def test_own_issuing_is_not_blocked_by_rows_someone_else_created(client, api_key, make_dossier, province):
    """Rows already in the table before the rule (here 2,500 of 016's next codes held by another agency)."""
    squatted = [
        Dossier(code=f"016{YEAR:02d}{n:05d}", agency=province["010"], procedure=province["press"],
                received_at=local(2026, 11, 20, 9, 0), appointment_at=local(2026, 11, 30, 9, 0),
                current_step="x", state="processing", access_code="AAAAAA")
        for n in range(1, 2501)
    ]
    Dossier.objects.bulk_create(squatted, batch_size=500)
    r = create(client, api_key("016"), phone="0912345678")
    assert r.status_code == 201 and r.json()["code"] == f"016{YEAR:02d}02501"
    assert make_dossier().code == f"016{YEAR:02d}02502"


def test_a_batch_over_the_bound_is_refused_whole_with_413(client, api_key, settings):
    settings.MOTCUA_LIMITS = settings.MOTCUA_LIMITS | {"SYNC_MAX_RECORDS": 3}
    r = sync(client, api_key("016"), [rec(f"HS-{n}") for n in range(4)])
    assert r.status_code == 413
    assert r.json()["errors"][0]["field"] == "data" and "3" in r.json()["errors"][0]["message"]
    assert not Dossier.objects.exists()


def test_new_dossiers_per_key_per_minute_are_bounded_with_429(client, api_key, settings):
    settings.MOTCUA_LIMITS = settings.MOTCUA_LIMITS | {"NEW_DOSSIERS_PER_MINUTE": 5}
    key = api_key("016")
    first = [rec(f"HS-{n}") for n in range(4)]
    assert sync(client, key, first).status_code == 200
    r = sync(client, key, [rec(f"HS-{n}") for n in range(4, 6)])
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert r.json()["errors"][0]["field"] == "data"
    assert Dossier.objects.count() == 4 and not Dossier.objects.filter(code__in=["HS-4", "HS-5"]).exists()
    # Updates of dossiers we hold are not new dossiers: still accepted.
    again = sync(client, key, first)
    assert again.status_code == 200 and again.json()["rejected"] == 0
    assert sync(client, key, [rec("HS-4")]).status_code == 200  # the fifth fits
    r = create(client, key, phone="0912345678")
    assert r.status_code == 429 and "errors" in r.json()
    # Another key has its own budget.
    assert create(client, api_key("016"), phone="0912345678").status_code == 201
