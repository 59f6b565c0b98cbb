"""Pure parsing of DVCQG records: dates, states, steps, supplements, errors naming the field."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from motcua.domain.dvcqg import (
    FUTURE_TOLERANCE,
    RecordError,
    parse_appointment,
    parse_date,
    parse_progress,
    parse_record,
    parse_step_time,
)
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


# --- Steps listed newest first with equal times --------------------------------------------------------------

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=HCM)


def steps(*pairs) -> list[dict]:
    return [{"ThoiDiemXuLy": t, "NoiDungXuLy": n} for t, n in pairs]


NEWEST_FIRST_DAYS = steps(("20261008", "Trả kết quả"), ("20261008", "Phê duyệt"), ("20261006", "Thẩm định hồ sơ"),
                          ("20261005", "Tiếp nhận hồ sơ"))
NEWEST_FIRST_SECONDS = steps(("20261008100000", "Trả kết quả"), ("20261008100000", "Phê duyệt"),
                             ("20261006090000", "Thẩm định hồ sơ"), ("20261005090000", "Tiếp nhận hồ sơ"))


@pytest.mark.parametrize("listed", [NEWEST_FIRST_DAYS, NEWEST_FIRST_SECONDS], ids=["days", "seconds"])
def test_newest_first_list_with_a_tie_puts_the_earlier_entry_last(listed):
    r = parse_record(rec(QuaTrinhXuLy=listed), now=NOW)
    assert [s.name for s in r.steps] == ["Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt", "Trả kết quả"]
    assert r.last_step == "Trả kết quả" and r.state == DossierState.RESULT_READY


@pytest.mark.parametrize("listed", [list(reversed(NEWEST_FIRST_DAYS)), list(reversed(NEWEST_FIRST_SECONDS))],
                         ids=["days", "seconds"])
def test_oldest_first_list_with_a_tie_puts_the_later_entry_last(listed):
    r = parse_record(rec(QuaTrinhXuLy=listed), now=NOW)
    assert [s.name for s in r.steps] == ["Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt", "Trả kết quả"]
    assert r.last_step == "Trả kết quả" and r.state == DossierState.RESULT_READY


def test_oldest_first_tie_where_the_result_is_not_last_is_not_a_result():
    r = parse_record(rec(QuaTrinhXuLy=steps(("20261005", "Tiếp nhận hồ sơ"), ("20261008", "Trả kết quả"),
                                            ("20261008", "Phê duyệt"))), now=NOW)
    assert r.last_step == "Phê duyệt" and r.state == DossierState.PROCESSING


def test_a_newest_first_list_with_one_step_out_of_place_is_still_newest_first():
    r = parse_record(rec(QuaTrinhXuLy=steps(("20261009", "Trả kết quả"), ("20261009", "Phê duyệt"),
                                            ("20261006", "Thẩm định hồ sơ"), ("20261007", "Lấy ý kiến"),
                                            ("20261005", "Tiếp nhận hồ sơ"))), now=NOW)
    assert r.last_step == "Trả kết quả"
    assert [s.name for s in r.steps][:3] == ["Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Lấy ý kiến"]


def test_all_steps_at_the_same_time_are_read_in_list_order():
    r = parse_record(rec(QuaTrinhXuLy=steps(("20261008", "Phê duyệt"), ("20261008", "Trả kết quả"))), now=NOW)
    assert r.last_step == "Trả kết quả"


# --- Steps whose time cannot be read --------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["?", "2026-10-09 09:00", "10/09/2026 9h", "", None, "20261345090000"])
def test_an_untimed_step_never_hides_a_later_timed_result(bad):
    r = parse_record(rec(QuaTrinhXuLy=[{"ThoiDiemXuLy": "20261008100000", "NoiDungXuLy": "Trả kết quả"},
                                       {"ThoiDiemXuLy": bad, "NoiDungXuLy": "Lưu hồ sơ"}]), now=NOW)
    assert r.last_step == "Trả kết quả" and r.last_step_at == datetime(2026, 10, 8, 10, 0, tzinfo=HCM)
    assert r.state == DossierState.RESULT_READY
    assert [s.name for s in r.steps] == ["Trả kết quả", "Lưu hồ sơ"]  # kept in the history where listed


def test_an_untimed_step_keeps_its_place_beside_its_listed_neighbour():
    r = parse_record(rec(QuaTrinhXuLy=steps(("20261008100000", "Trả kết quả"), ("?", "Ký số"),
                                            ("20261007090000", "Phê duyệt"), ("20261005090000", "Tiếp nhận hồ sơ"))),
                     now=NOW)
    assert [s.name for s in r.steps] == ["Tiếp nhận hồ sơ", "Phê duyệt", "Ký số", "Trả kết quả"]
    assert r.last_step == "Trả kết quả"


def test_an_untimed_result_step_after_timed_steps_is_not_the_current_step():
    r = parse_record(rec(QuaTrinhXuLy=steps(("20261006090000", "Thẩm định hồ sơ"), ("mai", "Trả kết quả"))),
                     now=NOW)
    assert r.last_step == "Thẩm định hồ sơ" and r.state == DossierState.PROCESSING


def test_without_any_readable_time_the_last_listed_step_is_current():
    r = parse_record(rec(QuaTrinhXuLy=steps(("?", "Tiếp nhận hồ sơ"), ("", "Thẩm định hồ sơ"))), now=NOW)
    assert r.last_step == "Thẩm định hồ sơ" and r.last_step_at is None


@pytest.mark.parametrize("text, expected", [
    ("05/10/2026 09:00:00", datetime(2026, 10, 5, 9, 0, tzinfo=HCM)),
    ("05/10/2026", datetime(2026, 10, 5, tzinfo=HCM)),
    ("20261005090000", datetime(2026, 10, 5, 9, 0, tzinfo=HCM)),
    ("31/02/2026 09:00:00", None),
    ("5/10/2026 9:00:00", None),
    ("2026-10-05T09:00:00", None),
])
def test_step_times_also_read_the_vietnamese_display_form(text, expected):
    assert parse_step_time(text, NOW) == expected


def test_a_step_in_the_display_form_is_ordered_by_its_time():
    r = parse_record(rec(QuaTrinhXuLy=steps(("05/10/2026 09:00:00", "Tiếp nhận hồ sơ"),
                                            ("20261008100000", "Trả kết quả"))), now=NOW)
    assert [s.at for s in r.steps] == [datetime(2026, 10, 5, 9, 0, tzinfo=HCM), datetime(2026, 10, 8, 10, 0, tzinfo=HCM)]
    assert r.last_step == "Trả kết quả" and r.state == DossierState.RESULT_READY


@pytest.mark.parametrize("field", ["NgayTiepNhan", "NgayKetThucXuLy", "NgayTra", "NgayHenTra"])
def test_required_and_record_times_keep_the_documented_forms_only(field):
    with pytest.raises(RecordError) as e:
        parse_record(rec(**{field: "05/10/2026 09:00:00"}), now=NOW)
    assert e.value.field == field


# --- Times in the future ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ahead, usable", [(timedelta(minutes=4), True), (FUTURE_TOLERANCE, True),
                                           (FUTURE_TOLERANCE + timedelta(seconds=1), False),
                                           (timedelta(days=300), False)])
def test_a_step_time_ahead_of_the_clock_is_usable_only_within_the_tolerance(ahead, usable):
    at = (NOW + ahead).strftime("%Y%m%d%H%M%S")
    assert (parse_step_time(at, NOW) is not None) == usable


@pytest.mark.parametrize("typo", ["20621006090000", "20271006", "20271006090000"])
def test_a_step_dated_in_the_future_neither_dates_the_record_nor_becomes_current(typo):
    r = parse_record(rec(QuaTrinhXuLy=steps(("20261005090000", "Tiếp nhận hồ sơ"), (typo, "Thẩm định hồ sơ"),
                                            ("20261007090000", "Chờ bổ sung"))), now=NOW)
    assert r.as_of == datetime(2026, 10, 7, 9, 0, tzinfo=HCM)
    assert r.last_step == "Chờ bổ sung" and r.state == DossierState.SUPPLEMENT_REQUESTED
    assert "Thẩm định hồ sơ" in [s.name for s in r.steps]


def test_a_future_result_step_is_not_taken_as_the_result():
    r = parse_record(rec(QuaTrinhXuLy=steps(("20261005090000", "Tiếp nhận hồ sơ"), ("20621008", "Trả kết quả"))),
                     now=NOW)
    assert r.last_step == "Tiếp nhận hồ sơ" and r.state == DossierState.PROCESSING


def test_the_clock_is_the_callers():
    listed = steps(("20261005090000", "Tiếp nhận hồ sơ"), ("20261008100000", "Trả kết quả"))
    early = datetime(2026, 10, 6, 9, 0, tzinfo=HCM)
    assert parse_record(rec(QuaTrinhXuLy=listed), now=early).last_step == "Tiếp nhận hồ sơ"
    assert parse_record(rec(QuaTrinhXuLy=listed), now=NOW).last_step == "Trả kết quả"
    assert parse_record(rec(QuaTrinhXuLy=listed)).last_step == "Trả kết quả"  # default: the machine's clock


@pytest.mark.parametrize("field", ["NgayKetThucXuLy", "NgayTra"])
def test_a_finish_or_return_dated_in_the_future_is_refused_naming_the_field(field):
    with pytest.raises(RecordError) as e:
        parse_record(rec(**{field: "20621008100000"}), now=NOW)
    assert e.value.field == field
    assert parse_record(rec(**{field: "20261008100000"}), now=NOW).state in (DossierState.RESULT_READY,
                                                                             DossierState.RETURNED)


def test_a_supplement_request_dated_in_the_future_is_not_a_request():
    r = parse_record(rec(TrangThaiHoSo="4", DanhSachHoSoBoSung=[{"NgayYeuCauBoSung": "20621007090000"}]), now=NOW)
    assert r.supplements == () and r.state == DossierState.PROCESSING
    assert r.as_of == datetime(2026, 10, 5, 9, 0, tzinfo=HCM)


def test_a_supplement_answer_dated_in_the_future_is_not_taken():
    r = parse_record(rec(TrangThaiHoSo="5", DanhSachHoSoBoSung=[
        {"NgayYeuCauBoSung": "20261007090000", "NgayTiepNhanBoSung": "20621008090000"}]), now=NOW)
    assert r.open_supplement is not None and r.as_of == datetime(2026, 10, 7, 9, 0, tzinfo=HCM)


@pytest.mark.parametrize("at, refused", [("20621006090000", True), ("20271006", True), ("20261207150400", False),
                                         ("20261006090000", False)])
def test_a_progress_update_dated_in_the_future_is_refused_naming_the_field(at, refused):
    record = {"MaHoSo": "HS-1", "ThoiDiemXuLy": at, "NoiDungXuLy": "Thẩm định hồ sơ"}
    if refused:
        with pytest.raises(RecordError) as e:
            parse_progress(record, now=NOW)
        assert e.value.field == "ThoiDiemXuLy"
    else:
        assert parse_progress(record, now=NOW).step == "Thẩm định hồ sơ"


# --- A date-only appointment ----------------------------------------------------------------------------------

def test_a_date_only_appointment_is_the_end_of_that_working_day():
    assert parse_appointment("20261012", "NgayHenTra") == datetime(2026, 10, 12, 17, 0, tzinfo=HCM)
    assert parse_appointment("20261012090000", "NgayHenTra") == datetime(2026, 10, 12, 9, 0, tzinfo=HCM)
    assert parse_appointment("20261012000000", "NgayHenTra") == datetime(2026, 10, 12, 0, 0, tzinfo=HCM)  # as sent
    assert parse_appointment("", "NgayHenTra") is None
    with pytest.raises(RecordError):
        parse_appointment("12/10/2026", "NgayHenTra")


def test_date_only_appointment_fields_of_records():
    r = parse_record(rec(NgayHenTra="20261012", DanhSachHoSoBoSung=[
        {"NgayYeuCauBoSung": "20261007090000", "NgayTiepNhanBoSung": "20261008090000", "NgayHenTraMoi": "20261015"}]),
        now=NOW)
    assert r.appointment_at == datetime(2026, 10, 12, 17, 0, tzinfo=HCM)
    assert r.new_appointment == datetime(2026, 10, 15, 17, 0, tzinfo=HCM)
    assert r.supplements[0].new_appointment == datetime(2026, 10, 15, 17, 0, tzinfo=HCM)
    p = parse_progress({"MaHoSo": "HS-1", "ThoiDiemXuLy": "20261006090000", "NgayKetThucTheoQuyDinh": "20261012"},
                       now=NOW)
    assert p.deadline == datetime(2026, 10, 12, 17, 0, tzinfo=HCM)


def test_a_date_only_appointment_on_the_day_received_is_not_before_it():
    r = parse_record(rec(NgayTiepNhan="20261005090000", NgayHenTra="20261005"), now=NOW)
    assert r.appointment_at == datetime(2026, 10, 5, 17, 0, tzinfo=HCM)


def test_other_date_only_fields_keep_midnight():
    r = parse_record(rec(NgayTiepNhan="20261005", NgayKetThucXuLy="20261009", NgayHenTra="20261012090000"), now=NOW)
    assert r.received_at == datetime(2026, 10, 5, tzinfo=HCM)
    assert r.finished_at == datetime(2026, 10, 9, tzinfo=HCM)
