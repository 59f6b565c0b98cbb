"""Threat: any input that makes a 500 (an error page, a half-done request, a log full of tracebacks an
attacker can trigger at will). Property-based: arbitrary JSON and strings, NUL, surrogates, control
characters, extreme numbers and dates, sent to every API route (read from the OpenAPI schema) and every
desk form; never a 5xx, and under /api/ every refusal in the API's error shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.dossiers.api import api
from tests.security.test_api_error_shape import assert_error_shape

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

NASTY = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202e", "\r\n", "\x1b[31m", "\u0085", "=1+1", "%00",
    "0001-01-01", "9999-12-31", "0001-01-01T00:00:00", "9999-12-31T23:59:59+14:00", "20261123090000",
    "99999999999999999999999", "-1", "1e309", "NaN", "null", "[]", "{}", "0" * 300, "x" * 5000,
    "Nguyễn Văn An", "'; DROP TABLE dossiers_dossier; --", "<script>alert(1)</script>", "../../etc/passwd",
    "0161701234", "016", "1.004628", "result_ready", "DongBoHoSoMC", "CapNhatTienDoHoSoMC",
]
FIELDS = [
    "code", "agency", "procedure", "applicant", "phone", "received_at", "appointment_at", "type", "step",
    "reason", "at", "service", "data", "isUpdating", "MaHoSo", "MaTTHC", "NgayTiepNhan", "TrangThaiHoSo",
    "ChuHoSo", "SoDienThoai", "NgayHenTra", "DonViXuLy", "QuaTrinhXuLy", "NoiDungXuLy", "ThoiDiemXuLy",
    "state", "national_state", "due", "late", "limit", "offset", "access_code",
]
text = st.one_of(st.text(max_size=30), st.sampled_from(NASTY))
form_text = st.one_of(st.text(max_size=30), st.sampled_from([t for t in NASTY if "\ud800" not in t and "\udfff" not in t]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=6)),
    max_leaves=20,
)
# Objects whose keys are the API's own field names: more of them get past the first validation.
json_objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)


def api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [(path, method.upper()) for path, item in schema["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")]


@pytest.fixture
def keys(api_key, make_dossier) -> list[dict[str, str]]:
    make_dossier(code="0161701234")
    return [{"Authorization": f"Bearer {api_key(agency)}"} for agency in (None, "016")] + [{}]


def check_api(response) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert_error_shape(response, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method"), api_operations())
@given(code=form_text, body=st.one_of(json_objects, json_values), query=st.dictionaries(st.sampled_from(FIELDS), form_text, max_size=5))
@FUZZ
def test_every_api_route_answers_any_json_and_any_string_without_5xx(keys, path, method, code, body, query):
    url = "/api" + path.replace("{code}", quote(code, safe="") or "x")
    client = Client()
    for headers in keys:
        if method == "GET":
            response = client.get(url, query, headers=headers)
        else:
            response = client.generic(method, url, json.dumps(body), content_type="application/json", headers=headers)
        check_api(response)


@pytest.mark.django_db
@given(raw=st.binary(max_size=200))
@FUZZ
def test_api_bodies_that_are_not_json_or_not_utf8_are_4xx(keys, raw):
    for headers in keys[:1]:
        for path in ("/api/v1/dossiers", "/api/v1/dvcqg", "/api/v1/dossiers/0161701234/events"):
            check_api(Client().post(path, raw, content_type="application/json", headers=headers))


DESK_FORMS: list = [
    ("POST", "/desk/login", ["username", "password", "next"]),
    ("POST", "/admin/login/", ["username", "password", "next"]),
    ("GET", "/desk/", ["loc", "trang"]),
    ("POST", "/desk/", ["q", "loc", "trang"]),
    ("POST", "/desk/tiep-nhan", ["procedure", "applicant", "phone", "agency"]),
    ("POST", "/desk/kiem-tra-so", ["phone"]),
    ("POST", "/desk/ho-so/{pk}/cap-nhat", ["action", "step", "reason", "appointment_at"]),
    ("GET", "/desk/mau-tin-nhan", ["agency", "kind"]),
    ("POST", "/desk/mau-tin-nhan", ["agency", "kind", "text", "reset"]),
    ("POST", "/desk/mau-tin-nhan/xem-truoc", ["agency", "kind", "text"]),
    ("POST", "/desk/mau-tin-nhan", ["kind", "text", "reset"]),
    ("POST", "/desk/mau-tin-nhan/xem-truoc", ["kind", "text"]),
    ("GET", "/desk/bao-cao", ["tu", "den", "theo", "co_quan"]),
    ("GET", "/desk/bao-cao.xlsx", ["tu", "den", "theo", "co_quan"]),
    ("POST", "/desk/callback", ["action", "key", "url", "secret"]),
    ("GET", "/tra-cuu", ["code", "access_code", "lang"]),
    ("GET", "/tra-cuu/bao-cao/mo", ["month", "format"]),
    ("POST", "/simulator", ["sender", "text"]),
]


@pytest.fixture
def desk_clients(people, make_dossier) -> tuple[list[Client], int]:
    dossier = make_dossier(code="0161701234")
    clients = []
    for who in ("province", "agency_admin"):
        c = Client()
        c.force_login(people[who])
        clients.append(c)
    return clients, dossier.pk


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "fields"), DESK_FORMS)
@given(values=st.lists(form_text, min_size=4, max_size=4), extreme=st.sampled_from(["", "0001-01-01", "9999-12-31", "abc", "1" * 30]))
@FUZZ
def test_every_desk_form_answers_any_string_without_5xx(desk_clients, method, path, fields, values, extreme):
    clients, pk = desk_clients
    url = path.replace("{pk}", str(pk))
    data: dict[str, Any] = dict(zip(fields, values, strict=False))
    for variant in (data, {**data, fields[0]: extreme}):
        for client in clients:
            response = client.get(url, variant) if method == "GET" else client.post(url, variant)
            assert response.status_code < 500, (method, url, variant, response.content[:300])


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"tu": "0001-01-01"}, {"den": "9999-12-31"}, {"co_quan": "abc"},
                                   {"co_quan": "9" * 30}, {"tu": "9999-12-31", "den": "0001-01-01"}])
@pytest.mark.parametrize("path", ["/desk/bao-cao", "/desk/bao-cao.xlsx"])
def test_desk_report_extremes_are_400(desk_clients, path, query):
    clients, _ = desk_clients
    assert clients[0].get(path, query).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["ChuHoSo", "TenTTHC"])
@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"])
def test_a_surrogate_or_nul_in_a_dvcqg_record_is_rejected_not_a_500(keys, field, bad):
    record = {"MaHoSo": "G09.20-20260609-0092637", "MaTTHC": "1.004628", "NgayTiepNhan": "20261110090000",
              "NgayHenTra": "20261117090000", "TrangThaiHoSo": 4, "DonViXuLy": "016", field: bad}
    response = Client().post("/api/v1/dvcqg", json.dumps({"service": "DongBoHoSoMC", "data": [record]}),
                             content_type="application/json", headers=keys[0])
    check_api(response)
    assert response.json()["results"][0]["status"] == "rejected"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/desk/?loc=a%00b", "/tra-cuu?code=%00&access_code=%00", "/tra-cuu/bien-nhan/016%0026",
                                  "/desk/ho-so/1%00", "/desk/bao-cao?tu=%00"])
def test_a_nul_in_a_page_url_is_a_400_on_every_database(desk_clients, path):
    clients, _ = desk_clients
    assert clients[0].get(path).status_code == 400


@pytest.mark.django_db
def test_a_nul_in_a_form_field_is_a_400_on_every_database(desk_clients):
    clients, _ = desk_clients
    assert clients[0].post("/desk/tiep-nhan", {"applicant": "a\x00b", "phone": "0912345678"}).status_code == 400
