""""Same day" (no SMS at all) is an administrator's decision: never one record's guess; proposed from the
evidence of several dossiers; confirmed on the desk by an administrator of the agency or the province."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.desk.models import Role, StaffProfile
from motcua.domain import rules
from motcua.dossiers.models import Procedure
from motcua.messaging.models import Message, Status
from tests.dossiers.conftest import payload, post

pytestmark = pytest.mark.django_db
NEW = "1.007777"


def rec(code: str, received: str, due: str, status: int = 9, finished: str | None = None) -> dict:
    r = payload("first_record_at_result")["sends"][0]["data"][0] | {
        "MaHoSo": code, "MaTTHC": NEW, "TenTTHC": "Chứng thực chữ ký", "NgayTiepNhan": received, "NgayHenTra": due,
        "TrangThaiHoSo": str(status), "NgayKetThucXuLy": finished or received[:8] + "163000",
    }
    r["QuaTrinhXuLy"] = [{"ThoiDiemXuLy": received, "NoiDungXuLy": "Tiếp nhận hồ sơ"}]
    return r


def send(client, key, *records):
    return post(client, key, {"service": "DongBoHoSoMC", "data": list(records)})


def desk_for(django_user_model, province, username: str, agency: str | None, role: str = Role.AGENCY_ADMIN):
    if agency is None:
        user = django_user_model.objects.create_superuser(username, f"{username}@example.vn", "x")
    else:
        user = django_user_model.objects.create_user(username, password="x")
        StaffProfile.objects.create(user=user, agency=province[agency], role=role)
    c = Client()
    c.force_login(user)
    return c


def test_a_first_record_without_appointment_does_not_silence_the_procedure(client, api_key):
    key = api_key("016")
    send(client, key, rec("HS-1", "20261005090000", ""))
    p = Procedure.objects.get(code=NEW)
    assert p.processing_days == 0 and not p.duration_confirmed and not p.same_day
    send(client, key, rec("HS-2", "20261006090000", "20261009090000"))
    for code in ("HS-1", "HS-2"):
        m = Message.objects.get(dossier__code=code)
        assert (m.kind, m.status) == ("result", Status.QUEUED)


def test_same_day_evidence_across_dossiers_is_proposed_and_an_admin_confirms_it(client, api_key, province,
                                                                                django_user_model):
    key = api_key("016")
    # First seen received at 16:00 and due next morning (a same-day procedure's rule): not a one-day guess
    # that anyone must live with; the evidence of later dossiers decides.
    send(client, key, rec("HS-1", "20261005160000", "20261006080000", finished="20261006080000"),
         rec("HS-2", "20261006090000", "20261006170000"), rec("HS-3", "20261007100000", "20261007170000"))
    assert all(m.status == Status.QUEUED for m in Message.objects.all()) and Message.objects.count() == 3
    admin = desk_for(django_user_model, province, "hung", "016")
    page = admin.get("/desk/thu-tuc-cho-xac-nhan").content.decode()
    assert NEW in page and "3 / 3" in page and "Giải quyết trong ngày" in page
    r = admin.post("/desk/thu-tuc-cho-xac-nhan", {"procedure": Procedure.objects.get(code=NEW).pk,
                                                  "action": "same_day"})
    assert r.status_code == 302
    p = Procedure.objects.get(code=NEW)
    assert p.duration_confirmed and p.same_day
    assert f'data-code="{NEW}"' not in admin.get("/desk/thu-tuc-cho-xac-nhan").content.decode()
    # From now on the citizen of a same-day dossier gets no SMS, and staff see why.
    send(client, key, rec("HS-4", "20261008090000", "20261008170000"))
    m = Message.objects.get(dossier__code="HS-4")
    assert (m.status, m.skip_reason) == (Status.SKIPPED, rules.SAME_DAY)


def test_mixed_evidence_is_not_proposed_and_a_duration_can_be_confirmed(client, api_key, province, django_user_model):
    key = api_key("016")
    send(client, key, rec("HS-1", "20261005090000", "20261005170000"),
         rec("HS-2", "20261006090000", "20261009090000"), rec("HS-3", "20261007090000", "20261012090000"))
    admin = desk_for(django_user_model, province, "tinh", None)
    page = admin.get("/desk/thu-tuc-cho-xac-nhan").content.decode()
    assert "1 / 3" in page and "Chưa đủ căn cứ" in page
    pk = Procedure.objects.get(code=NEW).pk
    assert admin.post("/desk/thu-tuc-cho-xac-nhan", {"procedure": pk, "action": "days", "days": "0"}).status_code == 422
    assert admin.post("/desk/thu-tuc-cho-xac-nhan", {"procedure": pk, "action": "days", "days": "3"}).status_code == 302
    p = Procedure.objects.get(pk=pk)
    assert (p.processing_days, p.duration_confirmed, p.same_day) == (3, True, False)


def test_only_administrators_of_the_agency_or_province(client, api_key, province, django_user_model):
    send(client, api_key("016"), rec("HS-1", "20261005090000", ""))
    pk = Procedure.objects.get(code=NEW).pk
    staff = desk_for(django_user_model, province, "lan", "016", Role.STAFF)
    assert staff.get("/desk/thu-tuc-cho-xac-nhan").status_code == 403
    assert staff.post("/desk/thu-tuc-cho-xac-nhan", {"procedure": pk, "action": "same_day"}).status_code == 403
    other = desk_for(django_user_model, province, "minh", "010")
    assert NEW not in other.get("/desk/thu-tuc-cho-xac-nhan").content.decode()
    assert other.post("/desk/thu-tuc-cho-xac-nhan", {"procedure": pk, "action": "same_day"}).status_code == 404
    assert not Procedure.objects.get(pk=pk).duration_confirmed
    admin = desk_for(django_user_model, province, "hung", "016")
    assert "thu-tuc-cho-xac-nhan" in admin.get("/desk/").content.decode()  # the menu entry
