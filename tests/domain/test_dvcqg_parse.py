"""Pure parsing of DVCQG records: dates, states, steps, supplements, errors naming the field."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from motcua.domain.dvcqg import RecordError, parse_date, parse_progress, parse_record
from motcua.domain.states import DossierState

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def rec(**extra) -> dict:
    base = {"MaHoSo": "HS-1", "MaTTHC": "1.004628", "TenTTHC": "Cấp thẻ", "NgayTiepNhan": "20261005090000",
            "NgayHenTra": "20261012090000", "TrangThaiHoSo": "4", "SoDienThoai": "0912345678"}
    base.update(extra)
    return base


def test_dates_are_local_time():
    assert parse_date("20261123090000", "f") == datetime(2026, 11, 23, 9, 0, tzinfo=HCM)
    assert parse_date("20261123", "f") == datetime(2026, 11, 23, tzinfo=HCM)
    assert parse_date(20261123090000, "f") == datetime(2026, 11, 23, 9, 0, tzinfo=HCM)
    assert parse_date("", "f") is None and parse_date(None, "f") is None


@pytest.mark.parametrize("bad", ["2026-11-23", "20261323090000", "20261123250000", "2026112309", "x" * 14, "20260230",
                                 "99991231090000", "00010101000000", "19991231"])
def test_bad_dates_name_the_field(bad):
    with pytest.raises(RecordError) as e:
        parse_date(bad, "NgayTiepNhan")
    assert e.value.field == "NgayTiepNhan"


@pytest.mark.parametrize("code, state", [(1, "registered"), ("2", "received"), (" 5 ", "supplement_requested"),
                                         ("9", "result_ready"), (10, "returned")])
def test_national_states(code, state):
    assert parse_record(rec(TrangThaiHoSo=code)).state == DossierState(state)


@pytest.mark.parametrize("record, field", [
    (rec(TrangThaiHoSo="11"), "TrangThaiHoSo"),
    (rec(TrangThaiHoSo="0"), "TrangThaiHoSo"),
    (rec(TrangThaiHoSo=None), "TrangThaiHoSo"),
    (rec(TrangThaiHoSo=[4]), "TrangThaiHoSo"),
    (rec(MaHoSo=""), "MaHoSo"),
    (rec(MaHoSo={"a": 1}), "MaHoSo"),
    (rec(MaHoSo="x" * 65), "MaHoSo"),
    (rec(MaTTHC=None), "MaTTHC"),
    (rec(NgayTiepNhan=""), "NgayTiepNhan"),
    (rec(NgayHenTra="20261001090000"), "NgayHenTra"),
    (rec(ChuHoSo="A\x00B"), "ChuHoSo"),
    (rec(DanhSachHoSoBoSung=[{"NgayHenTraMoi": "mai"}]), "DanhSachHoSoBoSung.NgayHenTraMoi"),
    ([rec()], "data[]"),
])
def test_bad_records_name_the_field(record, field):
    with pytest.raises(RecordError) as e:
        parse_record(record)
    assert e.value.field == field


def test_steps_supplements_and_unknown_fields():
    r = parse_record(rec(
        QuaTrinhXuLy=[{"NoiDungXuLy": "Tiếp nhận hồ sơ", "ThoiDiemXuLy": "20261005090000"},
                      {"NoiDungXuLy": " Phê duyệt ", "ThoiDiemXuLy": "20261007100000"}],
        DanhSachHoSoBoSung=[{"NgayHenTraMoi": "20261010090000"}, {"NgayHenTraMoi": "20261015090000"}],
        TruongMoi={"x": 1},
    ))
    assert r.last_step == "Phê duyệt" and r.last_step_at == datetime(2026, 10, 7, 10, 0, tzinfo=HCM)
    assert r.new_appointment == datetime(2026, 10, 15, 9, 0, tzinfo=HCM)
    assert r.procedure_name == "Cấp thẻ" and r.phone == "0912345678"
    # An unreadable step time does not refuse the record.
    assert parse_record(rec(QuaTrinhXuLy=[{"NoiDungXuLy": "A", "ThoiDiemXuLy": "?"}])).last_step_at is None


def test_progress_records():
    p = parse_progress({"MaHoSo": "HS-1", "ThoiDiemXuLy": "20261006090000", "NoiDungXuLy": "Thẩm định",
                        "TrangThai": "4"})
    assert (p.code, p.step, p.state) == ("HS-1", "Thẩm định", DossierState.PROCESSING)
    assert p.at == datetime(2026, 10, 6, 9, 0, tzinfo=HCM)
    for bad, field in (({"MaHoSo": "HS-1"}, "ThoiDiemXuLy"), ({"ThoiDiemXuLy": "20261006090000"}, "MaHoSo"),
                       ({"MaHoSo": "HS-1", "ThoiDiemXuLy": "20261006090000", "TrangThai": "12"}, "TrangThai")):
        with pytest.raises(RecordError) as e:
            parse_progress(bad)
        assert e.value.field == field


def test_an_integer_too_long_to_print_is_a_record_error_naming_the_field():
    huge = 10**5000
    with pytest.raises(RecordError) as err:
        parse_date(huge, "NgayHenTra")
    assert err.value.field == "NgayHenTra"
    with pytest.raises(RecordError) as err:
        parse_record({"MaHoSo": huge, "TrangThaiHoSo": 2, "NgayTiepNhan": "20261123090000", "MaTTHC": "1"})
    assert err.value.field == "MaHoSo"
