"""The OpenAPI surface, fuzzed (schemathesis): whatever one-stop software sends, the answer is never a 5xx,
and every refusal is a 4xx that says what is wrong.

The API documents one error body for everything under ``/api/`` (``{"errors": [{"field": …, "message":
…}]}``, see :mod:`motcua.dossiers.api`), the public lookup (:mod:`motcua.lookup.api`) included.
Schemathesis generates valid and invalid requests (modes positive and negative) from the schema the app
serves; the app runs in-process through its production WSGI entry (:mod:`motcua.wsgi`), no network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.transport import Response

from motcua.wsgi import application
from tests.conftest import local
from tests.domain.test_properties import progress_records, records

# 40 examples per operation keeps the file under a minute in CI; a longer hunt: MOTCUA_FUZZ_EXAMPLES=1000.
FUZZ = settings(
    max_examples=int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)

LOOKUP_PATH = "/api/v1/lookup"


def assert_clear_answer(path: str, status: int, headers: Mapping[str, Any], body: bytes, what: str) -> None:
    """No 5xx; a 4xx carries the error body its path documents, with something to read in it.

    A method the schema does not list (``TRACE``, ``PATCH``, …) is answered by django-ninja's router
    before our handlers: 405 with the ``Allow`` header naming the methods there are, as HTTP prescribes.
    """
    assert status < 500, f"{what} -> {status}: {body[:500]!r}"
    if status < 400:
        return
    if status == 405:
        allow = headers.get("Allow") or headers.get("allow")
        allow = allow[0] if isinstance(allow, list) else allow
        assert allow and what.split()[0] not in allow.split(", "), f"{what} -> 405 without Allow"
        return
    try:
        data = json.loads(body)
    except ValueError:
        raise AssertionError(f"{what} -> {status} without a JSON body: {body[:300]!r}") from None
    assert isinstance(data, dict) and set(data) == {"errors"}, f"{what} -> {status}: {data!r}"
    assert isinstance(data["errors"], list) and data["errors"], f"{what} -> {status}: {data!r}"
    for item in data["errors"]:
        assert set(item) == {"field", "message"}, f"{what} -> {status}: {data!r}"
        assert isinstance(item["field"], str) and item["field"]
        assert isinstance(item["message"], str) and item["message"].strip()


def check_response(case: Any, response: Response) -> None:
    what = f"{case.method} {case.formatted_path}"
    assert_clear_answer(case.operation.path, response.status_code, response.headers, response.content, what)


# -- the whole schema ---------------------------------------------------------------------------------


def in_test_transaction(app: Callable) -> Callable:
    """The WSGI app as Django's test client runs it: each request's end must not close the connection
    that holds the test's transaction (``close_old_connections`` would, outside autocommit)."""

    def run(environ: dict, start_response: Callable) -> list[bytes]:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return run


# Loaded when the module is collected (the schema is static; serving it needs no database). Not through
# ``schemathesis.pytest.from_fixture``: its lazy loader breaks on pytest 9 (``Function._nodeid``).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", in_test_transaction(application))


@pytest.fixture
def bearers(make_dossier, api_key) -> list[dict[str, str]]:
    """A province-wide key and an agency key, with dossiers of two agencies to find."""
    make_dossier(code="0161701234")
    make_dossier(proc="press", code="0102600001", received=local(2026, 11, 20, 9, 0))
    return [{"Authorization": f"Bearer {api_key(agency)}"} for agency in (None, "016")]


@schema.parametrize()
@FUZZ
def test_no_5xx_and_every_error_is_clear(case, bearers) -> None:
    for headers in bearers:
        check_response(case, case.call(headers=headers))


@schema.parametrize()
@settings(max_examples=max(10, FUZZ.max_examples // 4), deadline=None, suppress_health_check=list(HealthCheck))
def test_without_a_key_every_answer_is_a_clear_401_or_public(case, db) -> None:
    """Without a key nothing but 401 comes back, so a caller learns nothing about the parameters.

    The one earlier answer is the 400 for a NUL in the URL (:class:`motcua.ops.middleware.NulRejectMiddleware`),
    which every caller gets, keyed or not, before anything about the request is read.
    """
    response = case.call(headers={"Authorization": "Bearer not-a-key"})
    check_response(case, response)
    if case.operation.path != LOOKUP_PATH and case.method.upper() == case.operation.method.upper():
        expected = 400 if has_nul_in_url(case) else 401
        assert response.status_code == expected, f"{case.method} {case.formatted_path} -> {response.status_code}"


def has_nul_in_url(case: Any) -> bool:
    parts = [case.formatted_path]
    for name, value in (case.query or {}).items():
        parts.append(name)
        parts.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    return any("\x00" in part for part in parts)


@pytest.mark.parametrize("query", ["%00=false", "q=%00", "status=ab%00c"])
@pytest.mark.parametrize("key", [None, "not-a-key", "valid"])
def test_a_nul_in_the_query_is_the_same_400_for_every_caller(client, api_key, key, query) -> None:
    headers = {"Authorization": f"Bearer {api_key('016') if key == 'valid' else key}"} if key else {}
    response = client.get(f"/api/v1/dossiers?{query}", headers=headers)
    assert response.status_code == 400
    assert set(response.json()) == {"errors"}


# -- deeper: real dossiers and plausible DVCQG records -----------------------------------------------
# Random codes almost never name an existing dossier, and random JSON almost never gets a DVCQG record
# past its first field. These drive the same app with a real code and with records that have the
# national field names, so the services behind the validation (events, sync) are fuzzed too.

CODE = "0161701234"
events = schema["/api/v1/dossiers/{code}/events"]["POST"]


@given(case=events.as_strategy())
@FUZZ
def test_events_on_a_real_dossier_never_5xx(case, bearers) -> None:
    case.path_parameters = {"code": CODE}
    for headers in bearers:
        check_response(case, case.call(headers=headers))


def post_json(client: Client, path: str, payload: Any, headers: dict[str, str]) -> Any:
    response = client.post(path, data=json.dumps(payload), content_type="application/json", headers=headers)
    assert_clear_answer(path, response.status_code, response.headers, response.content, f"POST {path}")
    return response


@given(st.lists(records, min_size=1, max_size=3), st.lists(progress_records, min_size=1, max_size=3))
@FUZZ
def test_dvcqg_records_are_each_answered_never_5xx(bearers, sync_records, progress) -> None:
    client = Client()
    for headers in bearers:
        for service, data in (("DongBoHoSoMC", sync_records), ("CapNhatTienDoHoSoMC", progress)):
            response = post_json(client, "/api/v1/dvcqg", {"service": service, "data": data}, headers)
            assert response.status_code == 200, response.content[:300]
            body = response.json()
            assert len(body["results"]) == len(data)
            for result in body["results"]:
                assert result["status"] in {"created", "updated", "unchanged", "rejected"}
                if result["status"] == "rejected":
                    assert result["errors"] and all(e["field"] and e["message"] for e in result["errors"])


past_dates = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 11, 1))
national_date = st.one_of(
    past_dates.map(lambda d: d.strftime("%Y%m%d%H%M%S")),
    past_dates.map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(["", "20991231235959", "00000000000000", "2026-11-23"]),
)
# Records that mostly parse: the fields our sync uses, filled with what vendors really send.
plausible_records = st.fixed_dictionaries(
    {
        "MaHoSo": st.sampled_from(
            [CODE, "0102600001", "G09.20-20260609-0092637", "000.00.16.H31-261123-0001"]
        ),
        "MaTTHC": st.sampled_from(["1.004628", "1.003920", "1.000000", "2.000815", "9.999999"]),
        "NgayTiepNhan": national_date,
        "TrangThaiHoSo": st.one_of(st.integers(min_value=1, max_value=10), st.sampled_from(["4", "11", ""])),
    },
    optional={
        "TenTTHC": st.text(max_size=40),
        "ChuHoSo": st.text(max_size=40),
        "SoDienThoai": st.text(alphabet="0123456789 +.", max_size=14),
        "NgayHenTra": national_date,
        "NgayTra": national_date,
        "NgayKetThucXuLy": national_date,
        "DonViXuLy": st.sampled_from(["016", "010", "050", "Sở Du lịch", "Không có", ""]),
        "QuaTrinhXuLy": st.lists(
            st.fixed_dictionaries({"NoiDungXuLy": st.text(max_size=30), "ThoiDiemXuLy": national_date}),
            max_size=2,
        ),
        "DanhSachHoSoBoSung": st.lists(st.fixed_dictionaries({"NgayHenTraMoi": national_date}), max_size=2),
        "NgayNopHoSo": national_date,
    },
)
plausible_progress = st.fixed_dictionaries(
    {
        "MaHoSo": st.sampled_from([CODE, "0102600001", "khong-co"]),
        "ThoiDiemXuLy": national_date,
    },
    optional={
        "NoiDungXuLy": st.text(max_size=30),
        "TrangThai": st.one_of(st.integers(min_value=0, max_value=11), st.just("")),
        "NgayKetThucTheoQuyDinh": national_date,
        "NguoiXuLy": st.text(max_size=20),
    },
)


@given(
    st.lists(plausible_records, min_size=1, max_size=4), st.lists(plausible_progress, min_size=1, max_size=4)
)
@FUZZ
def test_plausible_dvcqg_syncs_never_5xx(bearers, sync_records, progress) -> None:
    client = Client()
    for headers in bearers:
        for service, data in (("DongBoHoSoMC", sync_records), ("CapNhatTienDoHoSoMC", progress)):
            response = post_json(client, "/api/v1/dvcqg", {"service": service, "data": data}, headers)
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["results"]) == len(data)


def test_a_plausible_record_is_created_so_the_fuzzing_above_reaches_the_sync(bearers) -> None:
    record = {
        "MaHoSo": "G09.20-20260609-0092637",
        "MaTTHC": "1.004628",
        "NgayTiepNhan": "20261110090000",
        "NgayHenTra": "20261117090000",
        "TrangThaiHoSo": 4,
        "DonViXuLy": "016",
    }
    response = post_json(Client(), "/api/v1/dvcqg", {"service": "DongBoHoSoMC", "data": [record]}, bearers[0])
    assert response.json()["results"][0]["status"] == "created"


# -- regressions found by the fuzzing above ----------------------------------------------------------


@pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_a_due_day_outside_2000_2099_is_a_422_not_a_500(bearers, due) -> None:
    """``GET /api/v1/dossiers?due=0001-01-01`` overflowed converting local midnight to UTC (a 500)."""
    for headers in bearers:
        response = Client().get("/api/v1/dossiers", {"due": due}, headers=headers)
        assert_clear_answer("/api/v1/dossiers", response.status_code, response.headers, response.content, due)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "due"


@pytest.mark.parametrize("offset", [str(2**63), str(10**30)])
def test_a_huge_offset_is_a_422_not_a_500(bearers, offset) -> None:
    """``?offset=9223372036854775808`` does not fit the database's 64-bit integer: the driver raised."""
    response = Client().get("/api/v1/dossiers", {"offset": offset}, headers=bearers[0])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offset"


def test_a_due_day_inside_the_range_still_filters(bearers) -> None:
    from motcua.dossiers.models import Dossier

    due = timezone.localdate(Dossier.objects.get(code=CODE).appointment_at)
    response = Client().get("/api/v1/dossiers", {"due": due.isoformat()}, headers=bearers[0])
    assert response.status_code == 200
    assert [d["code"] for d in response.json()["items"]] == [CODE]
