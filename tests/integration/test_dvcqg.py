"""``POST /api/v1/dvcqg``: the DongBoHoSoMC / CapNhatTienDoHoSoMC payloads one-stop software already sends."""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client

from motcua.domain import rules
from motcua.dossiers.models import Dossier, DossierEvent, Procedure
from motcua.messaging.models import Message, Status
from tests.conftest import local

pytestmark = pytest.mark.django_db


def record(code: str, status: int | str, **extra) -> dict:
    """A record as a real one-stop software sends it (with fields we do not use)."""
    base = {
        "MaHoSo": code,
        "MaTTHC": "1.004628",
        "TenTTHC": "Cấp thẻ hướng dẫn viên du lịch quốc tế",
        "MaLinhVuc": "G09-DL",
        "KenhThucHien": "1",
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": "1",
        "MaDoiTuong": "",
        "SoDienThoai": "0912 345 678",
        "Email": "an@example.vn",
        "DiaChiThuongTru": "12 Trần Phú, Nha Trang",
        "NgayNopHoSo": "20261005080000",
        "NgayTiepNhan": "20261005090000",
        "NgayHenTra": "20261012090000",
        "TrangThaiHoSo": str(status),
        "NgayTra": "",
        "NgayKetThucXuLy": "",
        "DonViXuLy": "Sở Du lịch",
        "HinhThuc": "0",
        "QuaTrinhXuLy": [
            {"MaHoSo": code, "NguoiXuLy": "Lê Thị C", "ChucDanh": "Chuyên viên", "ThoiDiemXuLy": "20261005090000",
             "PhongBanXuLy": "Bộ phận Một cửa", "NoiDungXuLy": "Tiếp nhận hồ sơ"},
        ],
        "DanhSachHoSoBoSung": [],
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "LP1", "HinhThucThu": "1", "Gia": "650000"}],
    }
    base.update(extra)
    return base


def sync(client: Client, key: str, records: list, service: str = "DongBoHoSoMC", updating=False):
    body = {"service": service, "isUpdating": updating, "data": records}
    response = client.post("/api/v1/dvcqg", data=json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return response.json()


def statuses(answer: dict) -> list[str]:
    return [r["status"] for r in answer["results"]]


@pytest.fixture
def client() -> Client:
    return Client()


FINISHED = {"NgayKetThucXuLy": "20261009100000"}
EXPECTED = {
    # TrangThaiHoSo: (state, [(kind, status, skip_reason)])
    1: ("registered", []),
    2: ("received", []),
    3: ("rejected", []),
    4: ("processing", []),
    5: ("supplement_requested", [("supplement", Status.QUEUED, "")]),
    6: ("awaiting_payment", []),
    7: ("withdrawn", []),
    8: ("stopped", []),
    9: ("result_ready", [("result", Status.QUEUED, "")]),
    10: ("returned", [("result", Status.SKIPPED, rules.ALREADY_RETURNED)]),
}


def all_ten() -> list[dict]:
    out = []
    for n in range(1, 11):
        extra = dict(FINISHED) if n in (3, 7, 8, 9, 10) else {}
        if n == 10:
            extra["NgayTra"] = "20261009150000"
        out.append(record(f"000.00.16.H35-261005-{n:04d}", n, **extra))
    return out


def test_all_ten_national_states(client, api_key, province):
    key = api_key("016")
    answer = sync(client, key, all_ten())
    assert answer["accepted"] == 10 and answer["rejected"] == 0
    assert statuses(answer) == ["created"] * 10
    for n, (state, messages) in EXPECTED.items():
        d = Dossier.objects.get(code=f"000.00.16.H35-261005-{n:04d}")
        assert d.state == state, n
        assert d.state_enum.national_code == n
        assert d.phone == "0912345678" and d.applicant == "Nguyễn Văn An" and d.source == "dvcqg"
        assert d.appointment_at == local(2026, 10, 12, 9, 0)
        got = [(m.kind, m.status, m.skip_reason) for m in d.messages.all()]
        assert got == messages, (n, got)
    assert Dossier.objects.get(code__endswith="0009").finished_at == local(2026, 10, 9, 10, 0)
    assert Dossier.objects.get(code__endswith="0009").current_step == "Trả kết quả"
    returned = Dossier.objects.get(code__endswith="0010")
    assert returned.finished_at == local(2026, 10, 9, 10, 0)
    assert Dossier.objects.get(code__endswith="0004").current_step == "Tiếp nhận hồ sơ"
    text = Message.objects.get(kind="supplement").text
    assert text == ("TB: Hồ sơ của quý ông/bà (MS: 000.00.16.H35-261005-0005) cần bổ sung theo quy định. "
                    "Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận thông báo")


def test_resending_the_same_payload_changes_nothing(client, api_key, province):
    key = api_key("016")
    payload = all_ten()
    sync(client, key, payload)
    events, messages = DossierEvent.objects.count(), Message.objects.count()
    snapshot = list(Dossier.objects.order_by("code").values("code", "state", "current_step", "appointment_at",
                                                            "finished_at", "waits", "phone"))
    for _ in range(2):
        answer = sync(client, key, copy.deepcopy(payload), updating=True)
        assert statuses(answer) == ["unchanged"] * 10
    assert (DossierEvent.objects.count(), Message.objects.count()) == (events, messages)
    assert snapshot == list(Dossier.objects.order_by("code").values(
        "code", "state", "current_step", "appointment_at", "finished_at", "waits", "phone"))


def test_state_update_4_to_9_queues_exactly_one_result_message(client, api_key, province):
    key = api_key("016")
    sync(client, key, [record("HS-49", 4)])
    assert Message.objects.count() == 0
    done = record("HS-49", 9, NgayKetThucXuLy="20261009100000")
    done["QuaTrinhXuLy"].append({"ThoiDiemXuLy": "20261009100000", "NoiDungXuLy": "Trả kết quả"})
    assert statuses(sync(client, key, [done])) == ["updated"]
    assert statuses(sync(client, key, [done])) == ["unchanged"]
    d = Dossier.objects.get(code="HS-49")
    assert d.state == "result_ready" and d.finished_at == local(2026, 10, 9, 10, 0)
    message = Message.objects.get()
    assert (message.kind, message.status, message.to) == ("result", Status.QUEUED, "84912345678")
    assert "(MS: HS-49) đã được giải quyết xong" in message.text
    # Then 10 (returned): still that single result message, no skipped duplicate.
    sync(client, key, [record("HS-49", 10, NgayKetThucXuLy="20261009100000", NgayTra="20261009150000")])
    assert Dossier.objects.get(code="HS-49").state == "returned"
    assert Message.objects.count() == 1


def test_stale_received_status_does_not_add_events_on_every_resend(client, api_key, province):
    """Created as 2 (received), moved on by a progress update; the full record is re-sent still saying 2."""
    key = api_key("016")
    sync(client, key, [record("HS-22", 2)])
    sync(client, key, [{"MaHoSo": "HS-22", "ThoiDiemXuLy": "20261006090000", "NoiDungXuLy": "Thẩm định hồ sơ",
                        "TrangThai": "4"}], service="CapNhatTienDoHoSoMC")
    assert Dossier.objects.get(code="HS-22").state == "processing"
    events = DossierEvent.objects.count()
    for _ in range(3):
        assert statuses(sync(client, key, [record("HS-22", 2)])) == ["unchanged"]
    assert DossierEvent.objects.count() == events
    assert Dossier.objects.get(code="HS-22").current_step == "Thẩm định hồ sơ"


def test_supplement_round_trip(client, api_key, province):
    key = api_key("016")
    sync(client, key, [record("HS-BS", 4)])
    asked = record("HS-BS", 5)
    assert statuses(sync(client, key, [asked])) == ["updated"]
    d = Dossier.objects.get(code="HS-BS")
    assert d.state == "supplement_requested" and d.current_step == "Chờ bổ sung"
    assert [m.kind for m in d.messages.all()] == ["supplement"]
    back = record("HS-BS", 4, DanhSachHoSoBoSung=[
        {"MaHoSoBoSung": "BS1", "NgayYeuCauBoSung": "20261006090000", "NgayTiepNhanBoSung": "20261008090000",
         "NgayHenTraMoi": "20261014090000", "NoiDungBoSung": "Thiếu ảnh 4x6"},
    ])
    assert statuses(sync(client, key, [back])) == ["updated"]
    assert statuses(sync(client, key, [back])) == ["unchanged"]
    d.refresh_from_db()
    assert d.state == "processing" and d.current_step == "Tiếp nhận hồ sơ"
    assert d.appointment_at == local(2026, 10, 14, 9, 0)
    assert len(d.waits) == 1 and d.waits[0][1] is not None
    assert [e.type for e in d.events.all()][-1] == "supplement_received"
    assert d.messages.count() == 1


def test_unknown_procedure_is_registered_on_the_fly(client, api_key, province):
    key = api_key("016")
    same_day = record("HS-NEW-1", 9, MaTTHC="1.009999", TenTTHC="Chứng thực bản sao",
                      NgayTiepNhan="20261005090000", NgayHenTra="20261005160000", NgayKetThucXuLy="20261005150000")
    longer = record("HS-NEW-2", 9, MaTTHC="1.008888", TenTTHC="Cấp giấy phép lữ hành",
                    NgayTiepNhan="20261005090000", NgayHenTra="20261008090000", NgayKetThucXuLy="20261007150000")
    assert statuses(sync(client, key, [same_day, longer])) == ["created", "created"]
    p1 = Procedure.objects.get(code="1.009999")
    # Due on the day of receipt, but "same day" (no SMS) is an administrator's decision, not one record's guess.
    assert p1.agency.code == "016" and p1.name == "Chứng thực bản sao" and p1.processing_days == 0
    assert not p1.duration_confirmed and not p1.same_day
    p2 = Procedure.objects.get(code="1.008888")
    assert p2.processing_days == 3 and not p2.same_day
    assert Message.objects.get(dossier__code="HS-NEW-1").status == Status.QUEUED
    assert Message.objects.get(dossier__code="HS-NEW-2").status == Status.QUEUED


def test_a_bad_record_does_not_stop_the_others(client, api_key, province):
    key = api_key("016")
    no_code = record("x", 4)
    del no_code["MaHoSo"]
    records = [
        record("OK-1", 4),
        record("BAD-DATE", 4, NgayTiepNhan="20261345090000"),
        no_code,
        record("BAD-STATE", 11),
        record("OK-2", 9, NgayKetThucXuLy="20261009100000", SoDienThoai="không có"),
        "not an object",
        record("BAD-APPT", 4, NgayHenTra="20261001090000"),
        record("NUL", 4, ChuHoSo="A\x00B"),
        record("BAD-TYPE", 4, MaTTHC=["1.004628"]),
        record("YEAR-9999", 4, NgayTiepNhan="99991231090000", NgayHenTra=""),
        record("FUTURE", 4, NgayTiepNhan="20991005090000", NgayHenTra=""),
        # A new procedure's duration is derived from the dates: 70 years would overflow its column.
        record("FAR-APPT", 4, MaTTHC="1.000777", NgayHenTra="20961012090000"),
    ]
    answer = sync(client, key, records)
    assert statuses(answer) == ["created", "rejected", "rejected", "rejected", "created", "rejected", "rejected",
                                "rejected", "rejected", "rejected", "rejected", "rejected"]
    assert (answer["accepted"], answer["rejected"]) == (2, 10)
    fields = {r["MaHoSo"]: r["errors"][0]["field"] for r in answer["results"] if r["status"] == "rejected"}
    assert fields == {"BAD-DATE": "NgayTiepNhan", None: "data[]", "BAD-STATE": "TrangThaiHoSo",
                      "BAD-APPT": "NgayHenTra", "NUL": "ChuHoSo", "BAD-TYPE": "MaTTHC", "YEAR-9999": "NgayTiepNhan",
                      "FUTURE": "NgayTiepNhan", "FAR-APPT": "NgayHenTra"} | {None: "data[]"}
    assert answer["results"][2]["errors"][0]["field"] == "MaHoSo"
    assert sorted(Dossier.objects.values_list("code", flat=True)) == ["OK-1", "OK-2"]
    assert not Procedure.objects.filter(code="1.000777").exists()
    # A bad phone does not refuse the record; the result message is skipped with the reason.
    m = Message.objects.get(dossier__code="OK-2")
    assert m.status == Status.SKIPPED and m.skip_reason.startswith(rules.BAD_PHONE)


def test_unknown_fields_are_ignored(client, api_key, province):
    r = record("HS-X", 4, TruongMoi={"a": [1, 2]}, NgayNopHoSoMoi="x", SoLuong=3)
    answer = sync(client, api_key("016"), [r])
    assert statuses(answer) == ["created"]


def test_progress_updates(client, api_key, province):
    key = api_key("016")
    sync(client, key, [record("HS-P", 2)])
    step = {"MaHoSo": "HS-P", "ThoiDiemXuLy": "20261006090000", "NoiDungXuLy": "Thẩm định hồ sơ",
            "NguoiXuLy": "Phạm D", "ChucDanh": "Chuyên viên", "PhongBanXuLy": "Phòng Lữ hành"}
    answer = sync(client, key, [step], service="CapNhatTienDoHoSoMC")
    assert statuses(answer) == ["updated"]
    assert statuses(sync(client, key, [step], service="CapNhatTienDoHoSoMC")) == ["unchanged"]
    d = Dossier.objects.get(code="HS-P")
    assert (d.state, d.current_step) == ("processing", "Thẩm định hồ sơ")
    last = d.events.last()
    assert last.type == "step_changed" and last.occurred_at == local(2026, 10, 6, 9, 0)
    assert last.actor.startswith("dvcqg:")
    result = dict(step, ThoiDiemXuLy="20261008100000", NoiDungXuLy="Trả kết quả")
    assert statuses(sync(client, key, [result], service="CapNhatTienDoHoSoMC")) == ["updated"]
    d.refresh_from_db()
    assert d.state == "result_ready" and d.finished_at == local(2026, 10, 8, 10, 0)
    assert Message.objects.get(dossier=d).kind == "result"
    unknown = dict(step, MaHoSo="NOPE")
    bad_time = dict(step, ThoiDiemXuLy="hôm qua")
    answer = sync(client, key, [unknown, bad_time], service="CapNhatTienDoHoSoMC")
    assert [r["errors"][0]["field"] for r in answer["results"]] == ["MaHoSo", "ThoiDiemXuLy"]


def test_isolation_and_province_key(client, api_key, province):
    sync(client, api_key("016"), [record("HS-016", 4)])
    # Another agency's key can neither update nor learn about it.
    answer = sync(client, api_key("010"), [record("HS-016", 9, NgayKetThucXuLy="20261009100000")])
    assert statuses(answer) == ["rejected"]
    assert Dossier.objects.get(code="HS-016").state == "processing"
    answer = sync(client, api_key("010"), [{"MaHoSo": "HS-016", "ThoiDiemXuLy": "20261006090000",
                                            "NoiDungXuLy": "Trả kết quả"}], service="CapNhatTienDoHoSoMC")
    assert statuses(answer) == ["rejected"]
    assert Message.objects.count() == 0
    # A province key routes by DonViXuLy (code or SMS name).
    province_key = api_key(None)
    answer = sync(client, province_key, [
        record("HS-TT", 4, MaTTHC="1.003920", DonViXuLy="010"),
        record("HS-DL", 4, DonViXuLy="sở du lịch"),
        record("HS-NONE", 4, DonViXuLy="Sở Không Có"),
    ])
    assert statuses(answer) == ["created", "created", "rejected"]
    assert answer["results"][2]["errors"][0]["field"] == "DonViXuLy"
    assert Dossier.objects.get(code="HS-TT").agency.code == "010"
    assert Dossier.objects.get(code="HS-DL").agency.code == "016"


def test_a_newer_step_in_a_full_record_moves_the_dossier(client, api_key, province):
    key = api_key("016")
    sync(client, key, [record("HS-ST", 4)])
    r = record("HS-ST", 4)
    r["QuaTrinhXuLy"].append({"ThoiDiemXuLy": "20261006140000", "NoiDungXuLy": "Phê duyệt"})
    assert statuses(sync(client, key, [r])) == ["updated"]
    d = Dossier.objects.get(code="HS-ST")
    assert d.current_step == "Phê duyệt"
    assert d.events.last().occurred_at == local(2026, 10, 6, 14, 0)
    assert statuses(sync(client, key, [r])) == ["unchanged"]
