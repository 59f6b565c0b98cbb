"""Shared fixtures. The suite runs twice in CI: on SQLite (default) and on PostgreSQL (DATABASE_URL set).

Tests marked ``postgres`` exercise concurrency that only PostgreSQL offers; on SQLite they are deselected
by ``-m "not postgres"`` in .ci/run (never silently skipped).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> datetime:
    """local(2026, 11, 23, 9, 0) -> an aware Asia/Ho_Chi_Minh datetime."""
    return datetime(*args, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate limits and login throttling live in Django's cache, a database table: each test that uses
    the database starts with none counted (a table that is not a model's survives a transactional
    test's flush). A test without the database cannot reach the cache either."""
    db_fixtures = {"db", "transactional_db", "live_server", "client", "admin_client", "django_user_model"}
    if request.node.get_closest_marker("django_db") or db_fixtures & set(request.fixturenames):
        from django.core.cache import cache

        request.getfixturevalue("_django_db_helper")
        cache.clear()
    yield


@pytest.fixture
def province(db):
    """Two agencies with procedures (incl. a same-day one), a retired agency and its successor."""
    from motcua.dossiers.models import Agency, Procedure

    du_lich = Agency.objects.create(code="016", name="Sở Du lịch tỉnh Khánh Hòa", sms_name="Sở Du lịch")
    tttt = Agency.objects.create(code="010", name="Sở Thông tin và Truyền thông", sms_name="Sở Thông tin và Truyền thông")
    ward = Agency.objects.create(code="051", name="UBND phường Nha Trang", sms_name="UBND phường Nha Trang")
    old = Agency.objects.create(code="050", name="UBND TP Nha Trang", sms_name="UBND TP Nha Trang", successor=ward)
    procs = {
        "guide": Procedure.objects.create(agency=du_lich, code="1.004628", name="Cấp thẻ hướng dẫn viên", processing_days=5),
        "sameday": Procedure.objects.create(agency=du_lich, code="1.000000", name="Xác nhận trong ngày", processing_days=0),
        "press": Procedure.objects.create(agency=tttt, code="1.003920", name="Cấp phép bản tin", processing_days=7),
        "old": Procedure.objects.create(agency=old, code="2.000815", name="Chứng thực", processing_days=1),
    }
    return {"016": du_lich, "010": tttt, "051": ward, "050": old, **procs}


@pytest.fixture
def make_dossier(province):
    from motcua.dossiers import services

    def make(proc="guide", phone="0912345678", received=None, code=None, appointment=None, **kw):
        procedure = province[proc]
        return services.create_dossier(
            services.NewDossier(
                agency=procedure.agency,
                procedure=procedure,
                received_at=received or local(2026, 11, 23, 9, 0),
                code=code,
                applicant=kw.pop("applicant", "Nguyễn Văn An"),
                phone=phone,
                appointment_at=appointment,
                **kw,
            ),
            actor="test",
        )

    return make


@pytest.fixture
def api_key(province):
    from motcua.dossiers.models import ApiKey

    def issue(agency_code: str | None = "016") -> str:
        return ApiKey.issue("test", province[agency_code] if agency_code else None)[1]

    return issue
