"""The national portal's one-stop sync format (DVCQG ``DongBoHoSoMC`` / ``CapNhatTienDoHoSoMC``).

One-stop software already sends these payloads to the national portal; accepting them as they are
means a vendor integrates by pointing its existing sync at us. Parsing is pure and per record, so one
bad record is reported by field and does not stop the others. Unknown fields are ignored (newer
senders add fields such as ``NgayNopHoSo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from motcua.domain.states import DossierState

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MIN_YEAR, MAX_YEAR = 2000, 2099


class RecordError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _as_text(value: Any, field_name: str) -> str:
    """str() of a value, refusing ints too long to print (Python raises ValueError past 4,300 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        raise RecordError(field_name, "số quá dài")
    return str(value).strip()


def parse_date(value: Any, field_name: str, required: bool = False) -> datetime | None:
    """``yyyyMMddHHmmss`` local time (also accepts ``yyyyMMdd``); empty string = not set."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(field_name, "bắt buộc (định dạng yyyyMMddHHmmss)")
        return None
    text = _as_text(value, field_name)
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d"):
        if len(text) == len(datetime(2000, 1, 1).strftime(fmt)) and text.isdigit():
            try:
                parsed = datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
            except ValueError:
                break
            if not MIN_YEAR <= parsed.year <= MAX_YEAR:
                # 00010101 or 99991231 are placeholders or typos; the working-time calendar would overflow.
                raise RecordError(field_name, f"năm {parsed.year} ngoài khoảng {MIN_YEAR}–{MAX_YEAR}")
            return parsed
    raise RecordError(field_name, f"ngày giờ không hợp lệ {text[:20]!r} (định dạng yyyyMMddHHmmss)")


def _text(record: dict, name: str, required: bool = False, max_len: int = 500) -> str:
    value = record.get(name)
    if value is None:
        value = ""
    if not isinstance(value, (str, int)):
        raise RecordError(name, "phải là chuỗi")
    value = _as_text(value, name)
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise RecordError(name, "chứa ký tự điều khiển")
    if required and not value:
        raise RecordError(name, "bắt buộc")
    if len(value) > max_len:
        raise RecordError(name, f"dài quá {max_len} ký tự")
    return value


@dataclass(frozen=True)
class SyncRecord:
    """One ``DongBoHoSoMC`` record, reduced to what we use."""

    code: str  # MaHoSo
    procedure_code: str  # MaTTHC
    procedure_name: str  # TenTTHC
    applicant: str  # ChuHoSo
    phone: str  # SoDienThoai, as sent
    received_at: datetime  # NgayTiepNhan
    appointment_at: datetime | None  # NgayHenTra
    state: DossierState  # TrangThaiHoSo
    finished_at: datetime | None  # NgayKetThucXuLy
    returned_at: datetime | None  # NgayTra
    unit: str  # DonViXuLy
    last_step: str | None = None  # from QuaTrinhXuLy, when given
    last_step_at: datetime | None = None  # its ThoiDiemXuLy, when given and readable
    new_appointment: datetime | None = None  # DanhSachHoSoBoSung[-1].NgayHenTraMoi
    extra: dict = field(default_factory=dict)


def parse_record(record: Any) -> SyncRecord:
    if not isinstance(record, dict):
        raise RecordError("data[]", "mỗi hồ sơ phải là một đối tượng JSON")
    try:
        state = DossierState.from_national(record.get("TrangThaiHoSo", ""))
    except ValueError as e:
        raise RecordError("TrangThaiHoSo", str(e)) from None
    steps = record.get("QuaTrinhXuLy") or []
    last_step, last_step_at = None, None
    if isinstance(steps, list) and steps and isinstance(steps[-1], dict):
        last_step = str(
            steps[-1].get("NoiDungXuLy") or steps[-1].get("TenBuoc") or steps[-1].get("BuocXuLy") or ""
        ).strip()[:255] or None
        try:
            last_step_at = parse_date(steps[-1].get("ThoiDiemXuLy"), "QuaTrinhXuLy.ThoiDiemXuLy")
        except RecordError:
            last_step_at = None  # the time is only used to spot stale re-sends; the record stays valid
    supplements = record.get("DanhSachHoSoBoSung") or []
    new_appointment = None
    if isinstance(supplements, list) and supplements and isinstance(supplements[-1], dict):
        new_appointment = parse_date(supplements[-1].get("NgayHenTraMoi"), "DanhSachHoSoBoSung.NgayHenTraMoi")
    received = parse_date(record.get("NgayTiepNhan"), "NgayTiepNhan", required=True)
    appointment = parse_date(record.get("NgayHenTra"), "NgayHenTra")
    if appointment is not None and received is not None and appointment < received:
        raise RecordError("NgayHenTra", "trước NgayTiepNhan")
    return SyncRecord(
        code=_text(record, "MaHoSo", required=True, max_len=64),
        procedure_code=_text(record, "MaTTHC", required=True, max_len=64),
        procedure_name=_text(record, "TenTTHC") or _text(record, "MaTTHC"),
        applicant=_text(record, "ChuHoSo", max_len=255),
        phone=_text(record, "SoDienThoai", max_len=64),
        received_at=received,  # type: ignore[arg-type]
        appointment_at=appointment,
        state=state,
        finished_at=parse_date(record.get("NgayKetThucXuLy"), "NgayKetThucXuLy"),
        returned_at=parse_date(record.get("NgayTra"), "NgayTra"),
        unit=_text(record, "DonViXuLy", max_len=255),
        last_step=last_step,
        last_step_at=last_step_at,
        new_appointment=new_appointment,
    )


@dataclass(frozen=True)
class ProgressRecord:
    """One ``CapNhatTienDoHoSoMC`` record: a step taken by an officer."""

    code: str
    at: datetime
    step: str | None
    state: DossierState | None
    deadline: datetime | None


def parse_progress(record: Any) -> ProgressRecord:
    if not isinstance(record, dict):
        raise RecordError("data[]", "mỗi bản ghi phải là một đối tượng JSON")
    state = None
    if str(record.get("TrangThai", "")).strip():
        try:
            state = DossierState.from_national(record["TrangThai"])
        except ValueError as e:
            raise RecordError("TrangThai", str(e)) from None
    step = _text(record, "NoiDungXuLy", max_len=2000)[:255] or None
    return ProgressRecord(
        code=_text(record, "MaHoSo", required=True, max_len=64),
        at=parse_date(record.get("ThoiDiemXuLy"), "ThoiDiemXuLy", required=True),  # type: ignore[arg-type]
        step=step,
        state=state,
        deadline=parse_date(record.get("NgayKetThucTheoQuyDinh"), "NgayKetThucTheoQuyDinh"),
    )
