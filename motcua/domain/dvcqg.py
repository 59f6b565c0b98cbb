"""The national portal's one-stop sync format (DVCQG ``DongBoHoSoMC`` / ``CapNhatTienDoHoSoMC``).

One-stop software already sends these payloads to the national portal; accepting them as they are
means a vendor integrates by pointing its existing sync at us. Parsing is pure and per record, so one
bad record is reported by field and does not stop the others. Unknown fields are ignored (newer
senders add fields such as ``NgayNopHoSo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from motcua.domain import freetext
from motcua.domain.calendar import DAY_END
from motcua.domain.states import DossierState
from motcua.domain.steps import display_step, is_result_step, is_supplement_step

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MIN_YEAR, MAX_YEAR = 2000, 2099
# How far ahead of our clock a record's time may be: the bound the events API puts on ``at`` (clocks of
# one-stop servers drift a little). Further ahead is a typo (2062 for 2026); taken as the record's time it
# would make every later record look older, and the dossier would stop moving.
FUTURE_TOLERANCE = timedelta(minutes=5)
# Step times written by older modules in the Vietnamese display form; read only where an unreadable time
# costs nothing but the step's place (QuaTrinhXuLy), never for a required field.
STEP_TIME_DISPLAY_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y")


def _now(now: datetime | None) -> datetime:
    """The caller's clock, or the machine's when none is given (parsing stays pure when callers pass it)."""
    return now if now is not None else datetime.now(LOCAL_TZ)


def _too_far_ahead(at: datetime | None, now: datetime) -> bool:
    return at is not None and at > now + FUTURE_TOLERANCE


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


def _parse(value: Any, field_name: str, required: bool, formats: tuple[str, ...] = ()) -> tuple[datetime | None, bool]:
    """The time and whether it was a bare date (``yyyyMMdd``), which some fields read as the end of that day."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(field_name, "bắt buộc (định dạng yyyyMMddHHmmss)")
        return None, False
    text = _as_text(value, field_name)
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d", *formats):
        if len(text) == len(datetime(2000, 1, 1).strftime(fmt)) and (text.isdigit() or fmt in formats):
            try:
                parsed = datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
            except ValueError:
                continue
            if not MIN_YEAR <= parsed.year <= MAX_YEAR:
                # 00010101 or 99991231 are placeholders or typos; the working-time calendar would overflow.
                raise RecordError(field_name, f"năm {parsed.year} ngoài khoảng {MIN_YEAR}–{MAX_YEAR}")
            return parsed, "%H" not in fmt
    raise RecordError(field_name, f"ngày giờ không hợp lệ {text[:20]!r} (định dạng yyyyMMddHHmmss)")


def parse_date(value: Any, field_name: str, required: bool = False) -> datetime | None:
    """``yyyyMMddHHmmss`` local time (also accepts ``yyyyMMdd``, read as 00:00); empty string = not set.

    Only the documented forms: a required field in another form is refused with the field named, so the
    sender learns of it instead of our guessing a day and month."""
    return _parse(value, field_name, required)[0]


def parse_appointment(value: Any, field_name: str) -> datetime | None:
    """An appointment (``NgayHenTra``, ``NgayHenTraMoi``, ``NgayKetThucTheoQuyDinh``): a bare date means the
    end of that day's working hours (:data:`motcua.domain.calendar.DAY_END`), not midnight — "hẹn trả ngày
    12/10" is kept by a result handed over at 10:00 that day, and the citizen is never told to come at 00:00."""
    parsed, date_only = _parse(value, field_name, required=False)
    if parsed is not None and date_only:
        parsed = parsed.replace(hour=DAY_END.hour, minute=DAY_END.minute)
    return parsed


def parse_step_time(value: Any, now: datetime | None = None) -> datetime | None:
    """A ``QuaTrinhXuLy.ThoiDiemXuLy`` usable for ordering, or None.

    Besides the documented forms, ``dd/MM/yyyy HH:mm:ss`` (older modules' display form) is read. A time that
    cannot be read, or lies more than :data:`FUTURE_TOLERANCE` ahead of ``now`` (a typo in the year), gives
    None: the step stays in the history but neither orders the record nor becomes the current step."""
    try:
        at = _parse(value, "QuaTrinhXuLy.ThoiDiemXuLy", False, STEP_TIME_DISPLAY_FORMATS)[0]
    except RecordError:
        return None
    return None if _too_far_ahead(at, _now(now)) else at


def _not_ahead(at: datetime | None, field_name: str, now: datetime) -> datetime | None:
    """A time that orders the record (finish, return, progress step): one far in the future is refused with
    the field named, as the events API refuses it, rather than freezing the dossier at that date."""
    if _too_far_ahead(at, now):
        raise RecordError(field_name, "ở tương lai (kiểm tra năm)")
    return at


def _clean(value: str, field_name: str, max_len: int) -> str:
    """Free text checked as everywhere else (surrogates, control characters, length) and put in NFC."""
    try:
        return freetext.clean(value, max_length=max_len)
    except freetext.FreeTextError as e:
        raise RecordError(field_name, e.reason) from None


def _text(record: dict, name: str, required: bool = False, max_len: int = 500) -> str:
    value = record.get(name)
    if value is None:
        value = ""
    if not isinstance(value, (str, int)):
        raise RecordError(name, "phải là chuỗi")
    value = _clean(_as_text(value, name), name, max_len)
    if required and not value:
        raise RecordError(name, "bắt buộc")
    return value


@dataclass(frozen=True)
class Step:
    """One ``QuaTrinhXuLy`` entry: its name as shown, and its own time when readable."""

    name: str
    at: datetime | None


@dataclass(frozen=True)
class SupplementRequest:
    """One ``DanhSachHoSoBoSung`` entry: when it was asked for, when the citizen brought it, the new due date."""

    requested_at: datetime
    received_at: datetime | None  # NgayTiepNhanBoSung as sent
    new_appointment: datetime | None
    # When the citizen answered: NgayTiepNhanBoSung, or else what the record implies (a later request, or a
    # later processing step, means this one was answered by then). None: still waiting.
    answered_at: datetime | None = None


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
    last_step: str | None = None  # the current QuaTrinhXuLy step (current_step), when given
    last_step_at: datetime | None = None  # its ThoiDiemXuLy, when given, readable and not in the future
    new_appointment: datetime | None = None  # NgayHenTraMoi of the newest DanhSachHoSoBoSung entry
    steps: tuple[Step, ...] = ()  # as they happened (_steps); untimed ones beside their listed neighbours
    supplements: tuple[SupplementRequest, ...] = ()  # oldest request first
    national_state: DossierState | None = None  # TrangThaiHoSo as sent, before reading the rest
    extra: dict = field(default_factory=dict)

    @property
    def as_of(self) -> datetime:
        """The newest time the record itself shows: how current its picture of the dossier is."""
        times = [self.received_at, self.finished_at, self.returned_at, *(s.at for s in self.steps)]
        for request in self.supplements:
            times += [request.requested_at, request.answered_at]
        return max(t for t in times if t is not None)

    @property
    def open_supplement(self) -> SupplementRequest | None:
        """The newest supplement request the citizen has not yet answered, if any."""
        if self.supplements and self.supplements[-1].answered_at is None:
            return self.supplements[-1]
        return None

    def state_at(self, state: DossierState) -> datetime | None:
        """When the record says the dossier entered ``state`` (None: the record does not say)."""
        if state == DossierState.RETURNED:
            return self.returned_at or self.finished_at or self.last_step_at
        if state == DossierState.RESULT_READY:
            result = [s.at for s in self.steps if s.at and is_result_step(s.name)]
            return self.finished_at or (result[-1] if result else None)
        if state.is_finished:
            return self.finished_at or self.last_step_at
        if state == DossierState.SUPPLEMENT_REQUESTED:
            if self.open_supplement:
                return self.open_supplement.requested_at
            asked = [s.at for s in self.steps if s.at and is_supplement_step(s.name)]
            return asked[-1] if asked else None
        return None


def _steps(raw: Any, now: datetime | None = None) -> tuple[Step, ...]:
    """The steps in the order they happened, read from their own times: some software lists newest first.

    The list's direction is read from its timed steps (more steps older than the one listed before them:
    newest first), and steps with the same time keep that direction — "Trả kết quả" listed before "Phê
    duyệt" at the same minute in a newest-first list is the later one. Without enough times to tell, the list
    is taken oldest first. A step without a usable time (see :func:`parse_step_time`) stays where the list puts
    it, after the timed step before it; :func:`current_step` never picks it over a timed one."""
    if not isinstance(raw, list):
        return ()
    listed: list[Step] = []
    for entry in raw[:500]:
        if not isinstance(entry, dict):
            continue
        name = entry.get("NoiDungXuLy") or entry.get("TenBuoc") or entry.get("BuocXuLy") or ""
        if not isinstance(name, (str, int)):
            continue
        name = display_step(_clean(_as_text(name, "QuaTrinhXuLy.NoiDungXuLy"), "QuaTrinhXuLy.NoiDungXuLy", 2000))
        if name:
            listed.append(Step(name[:255], parse_step_time(entry.get("ThoiDiemXuLy"), now)))
    times = [s.at for s in listed if s.at is not None]
    older = sum(1 for a, b in pairwise(times) if b < a)
    newer = sum(1 for a, b in pairwise(times) if b > a)
    if older > newer:
        listed.reverse()  # now oldest first, and steps with equal times in the order they happened
    # Each timed step carries the untimed ones the list puts right after it; sorting the timed steps (a stable
    # sort keeps equal times in list order) keeps the untimed ones beside their neighbour.
    lead: list[Step] = []
    groups: list[list[Step]] = []
    for step in listed:
        if step.at is None:
            (groups[-1] if groups else lead).append(step)
        else:
            groups.append([step])
    groups.sort(key=lambda g: g[0].at)  # type: ignore[arg-type,return-value]
    return tuple(lead + [step for group in groups for step in group])


def current_step(steps: tuple[Step, ...]) -> Step | None:
    """The step the dossier is at: the latest timed step; only when no step has a usable time, the last listed.
    A step whose time cannot be read may be old (an older module's format) and must not hide a later
    "Trả kết quả"."""
    timed = [s for s in steps if s.at is not None]
    if timed:
        return timed[-1]
    return steps[-1] if steps else None


def _supplements(raw: Any, now: datetime | None = None) -> tuple[SupplementRequest, ...]:
    """Supplement requests with a request time, oldest first (an entry without one cannot be placed in the
    dossier's history and is not taken as a request: a wrong "cần bổ sung" SMS is worse than none). A request
    or answer time far in the future (a typo in the year) counts as not given, for the same reason and so
    that it does not make the record look newer than every later one."""
    clock = _now(now)
    if not isinstance(raw, list):
        return ()
    out = []
    for position, entry in enumerate(raw[:100]):
        if not isinstance(entry, dict):
            continue
        requested = None
        for name in ("NgayYeuCauBoSung", "NgayBoSung"):
            requested = requested or parse_date(entry.get(name), f"DanhSachHoSoBoSung.{name}")
        received = parse_date(entry.get("NgayTiepNhanBoSung"), "DanhSachHoSoBoSung.NgayTiepNhanBoSung")
        new_appointment = parse_appointment(entry.get("NgayHenTraMoi"), "DanhSachHoSoBoSung.NgayHenTraMoi")
        if _too_far_ahead(received, clock):
            received = None
        if requested is not None and not _too_far_ahead(requested, clock):
            out.append((requested, position, SupplementRequest(requested, received, new_appointment)))
    out.sort(key=lambda s: (s[0], s[1]))
    return tuple(s[2] for s in out)


def _new_appointment(raw: Any) -> datetime | None:
    """``NgayHenTraMoi`` of the last entry that has one (entries are listed oldest first)."""
    if not isinstance(raw, list):
        return None
    found = None
    for entry in raw[:100]:
        if isinstance(entry, dict):
            found = parse_appointment(entry.get("NgayHenTraMoi"), "DanhSachHoSoBoSung.NgayHenTraMoi") or found
    return found


def with_answers(
    supplements: tuple[SupplementRequest, ...], steps: tuple[Step, ...], national: DossierState
) -> tuple[SupplementRequest, ...]:
    """Each request with when it was answered, as the record implies it when NgayTiepNhanBoSung is empty:
    a later request, or a later processing step, means the citizen had answered by then; the last request is
    still open when TrangThaiHoSo says 5."""
    out = []
    for index, request in enumerate(supplements):
        answered = request.received_at
        if answered is None:
            later = [s.at for s in steps if s.at and s.at > request.requested_at and not is_supplement_step(s.name)]
            last = index == len(supplements) - 1
            if not last:
                later.append(supplements[index + 1].requested_at)
            if later and not (last and national == DossierState.SUPPLEMENT_REQUESTED):
                answered = min(later)
        if answered is not None:
            answered = max(answered, request.requested_at)
        out.append(SupplementRequest(request.requested_at, request.received_at, request.new_appointment, answered))
    return tuple(out)


def whole_record_state(
    national: DossierState,
    steps: tuple[Step, ...],
    supplements: tuple[SupplementRequest, ...],
    finished_at: datetime | None,
    returned_at: datetime | None,
) -> DossierState:
    """The state the whole record shows, not only ``TrangThaiHoSo``.

    Software often leaves ``TrangThaiHoSo`` at 2 or 4 while the steps already end at "Trả kết quả", fills
    ``NgayKetThucXuLy``/``NgayTra``, or lists an unanswered supplement request: the citizen must get the
    SMS of what actually happened. An explicit finished state (3, 7, 8, 9, 10) is taken as sent."""
    if national.is_finished:
        return national
    if returned_at is not None:
        return DossierState.RETURNED
    current = current_step(steps)
    newest = current.name if current else None
    if finished_at is not None or is_result_step(newest):
        return DossierState.RESULT_READY
    if supplements and supplements[-1].answered_at is None:
        return DossierState.SUPPLEMENT_REQUESTED
    if national == DossierState.SUPPLEMENT_REQUESTED or is_supplement_step(newest):
        if national == DossierState.SUPPLEMENT_REQUESTED or not supplements:
            return DossierState.SUPPLEMENT_REQUESTED
        # the newest step says "Chờ bổ sung" but the list shows that request answered
        return DossierState.PROCESSING if national != DossierState.AWAITING_PAYMENT else national
    return national


def parse_record(record: Any, now: datetime | None = None) -> SyncRecord:
    """One ``DongBoHoSoMC`` record. ``now`` (aware; default: the machine's clock) bounds how far ahead a time
    may be: step and supplement times beyond it are not used, a finish or return time beyond it is refused."""
    clock = _now(now)
    if not isinstance(record, dict):
        raise RecordError("data[]", "mỗi hồ sơ phải là một đối tượng JSON")
    try:
        national = DossierState.from_national(record.get("TrangThaiHoSo", ""))
    except ValueError as e:
        raise RecordError("TrangThaiHoSo", str(e)) from None
    steps = _steps(record.get("QuaTrinhXuLy") or [], clock)
    supplements = with_answers(_supplements(record.get("DanhSachHoSoBoSung") or [], clock), steps, national)
    received = parse_date(record.get("NgayTiepNhan"), "NgayTiepNhan", required=True)
    appointment = parse_appointment(record.get("NgayHenTra"), "NgayHenTra")
    if appointment is not None and received is not None and appointment < received:
        raise RecordError("NgayHenTra", "trước NgayTiepNhan")
    finished_at = _not_ahead(parse_date(record.get("NgayKetThucXuLy"), "NgayKetThucXuLy"), "NgayKetThucXuLy", clock)
    returned_at = _not_ahead(parse_date(record.get("NgayTra"), "NgayTra"), "NgayTra", clock)
    current = current_step(steps)
    new_appointment = _new_appointment(record.get("DanhSachHoSoBoSung") or [])
    return SyncRecord(
        code=_text(record, "MaHoSo", required=True, max_len=64),
        procedure_code=_text(record, "MaTTHC", required=True, max_len=64),
        procedure_name=_text(record, "TenTTHC") or _text(record, "MaTTHC"),
        applicant=_text(record, "ChuHoSo", max_len=255),
        phone=_text(record, "SoDienThoai", max_len=64),
        received_at=received,  # type: ignore[arg-type]
        appointment_at=appointment,
        state=whole_record_state(national, steps, supplements, finished_at, returned_at),
        finished_at=finished_at,
        returned_at=returned_at,
        unit=_text(record, "DonViXuLy", max_len=255),
        last_step=current.name if current else None,
        last_step_at=current.at if current else None,
        new_appointment=new_appointment,
        steps=steps,
        supplements=supplements,
        national_state=national,
    )


@dataclass(frozen=True)
class ProgressRecord:
    """One ``CapNhatTienDoHoSoMC`` record: a step taken by an officer."""

    code: str
    at: datetime
    step: str | None
    state: DossierState | None
    deadline: datetime | None


def parse_progress(record: Any, now: datetime | None = None) -> ProgressRecord:
    """One ``CapNhatTienDoHoSoMC`` record. Its ``ThoiDiemXuLy`` is the update's only time: one more than
    :data:`FUTURE_TOLERANCE` ahead of ``now`` (default: the machine's clock) is refused with the field named,
    as the events API refuses such an ``at``; taken, it would make every later update look stale."""
    clock = _now(now)
    if not isinstance(record, dict):
        raise RecordError("data[]", "mỗi bản ghi phải là một đối tượng JSON")
    state = None
    if str(record.get("TrangThai", "")).strip():
        try:
            state = DossierState.from_national(record["TrangThai"])
        except ValueError as e:
            raise RecordError("TrangThai", str(e)) from None
    step = display_step(_text(record, "NoiDungXuLy", max_len=2000))[:255] or None
    return ProgressRecord(
        code=_text(record, "MaHoSo", required=True, max_len=64),
        at=_not_ahead(parse_date(record.get("ThoiDiemXuLy"), "ThoiDiemXuLy", required=True),  # type: ignore[arg-type]
                      "ThoiDiemXuLy", clock),
        step=step,
        state=state,
        deadline=parse_appointment(record.get("NgayKetThucTheoQuyDinh"), "NgayKetThucTheoQuyDinh"),
    )
