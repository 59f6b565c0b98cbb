"""Apply DVCQG records to our dossiers, idempotently: re-sending the same record changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from motcua.domain.dvcqg import ProgressRecord, SupplementRequest, SyncRecord
from motcua.domain.receipt_codes import clean_code
from motcua.domain.states import DossierState
from motcua.domain.steps import is_result_step, same_step
from motcua.dossiers import services
from motcua.dossiers.models import Agency, ApiKey, Dossier, DossierEvent, Procedure

SYNC_ACTOR = "dvcqg:{}"


def resolve_agency(key: ApiKey, unit: str) -> Agency:
    """The key's agency; for a province key, ``DonViXuLy`` matched to an agency code or name."""
    if key.agency_id is not None:
        return key.agency
    unit = unit.strip()
    if unit:
        agency = (
            Agency.objects.filter(code=unit).first()
            or Agency.objects.filter(sms_name__iexact=unit).first()
            or Agency.objects.filter(name__iexact=unit).first()
        )
        if agency:
            return agency
    raise services.DossierError("DonViXuLy", "Không xác định được cơ quan (mã hoặc tên cơ quan)")


def procedure_for(agency: Agency, record: SyncRecord) -> Procedure:
    """Known procedure, or one registered on the fly with a duration guessed from this record's dates.

    The guess is never taken as "same day" (which would silence every SMS of the procedure): the procedure
    stays unconfirmed, its dossiers get their SMS, and the desk lists it for an administrator to confirm."""
    procedure = Procedure.objects.filter(agency=agency, code=record.procedure_code).first()
    if procedure:
        return procedure
    days = Decimal(0)
    if record.appointment_at and record.appointment_at.date() != record.received_at.date():
        seconds = services.work_calendar().working_seconds_between(record.received_at, record.appointment_at)
        days = max(Decimal(1), Decimal(round(seconds / (8 * 3600))))
    field = Procedure._meta.get_field("processing_days")
    if days >= Decimal(10) ** (field.max_digits - field.decimal_places):  # the column would overflow: a 500
        raise services.DossierError("NgayHenTra", f"Ngày hẹn trả cách ngày tiếp nhận quá xa ({days} ngày làm việc)")
    procedure, _ = Procedure.objects.get_or_create(
        agency=agency,
        code=record.procedure_code,
        defaults={"name": record.procedure_name[:500], "processing_days": days, "duration_confirmed": False},
    )
    return procedure


def supplement_requests(record: SyncRecord) -> list[SupplementRequest]:
    """The record's supplement requests, one per request time. Software that lists the same request twice
    (a copy per document asked for, or an entry re-added on edit) means one request: counting it twice
    would send the citizen a second "cần bổ sung" and open a wait of no length. The last copy is kept,
    because only it can be read as still waiting."""
    by_time: dict = {}
    for request in record.supplements:
        by_time.pop(request.requested_at, None)
        by_time[request.requested_at] = request
    return sorted(by_time.values(), key=lambda r: r.requested_at)


def record_appointment(record: SyncRecord):
    """The appointment a record shows: ``NgayHenTra``, or a supplement's ``NgayHenTraMoi`` when that is later.

    Both move: a supplement sets a new date, and an extension moves ``NgayHenTra`` past it. The later one is
    the date the agency now promises; taking the supplement's alone would undo an extension on every resend."""
    appointment, moved = record.appointment_at, record.new_appointment
    if moved and (appointment is None or moved > appointment):
        return moved
    return appointment


def record_waits(record: SyncRecord) -> list[list[str | None]]:
    """The supplement waits a record shows, from its own request and answer times."""
    waits: list[list[str | None]] = []
    for request in supplement_requests(record):
        start = max(request.requested_at, record.received_at)
        end = max(request.answered_at, start) if request.answered_at else None
        waits.append([start.isoformat(), end.isoformat() if end else None])
    return waits


def apply_record(record: SyncRecord, key: ApiKey) -> str:
    actor = SYNC_ACTOR.format(key.prefix)
    record = replace(record, code=clean_code(record.code))
    if not record.code:
        raise services.DossierError("MaHoSo", "Mã hồ sơ trống (chỉ có khoảng trắng hoặc ký tự ẩn)")
    existing = Dossier.objects.filter(code=record.code).select_related("agency").first()
    if existing is None:
        if record.received_at > timezone.now() + timedelta(days=1):
            raise services.DossierError("NgayTiepNhan", "Ngày tiếp nhận ở tương lai")
        agency = resolve_agency(key, record.unit)
        appointment = record_appointment(record)
        try:
            services.create_dossier(
                services.NewDossier(
                    agency=agency,
                    procedure=procedure_for(agency, record),
                    received_at=record.received_at,
                    code=record.code,
                    applicant=record.applicant,
                    phone=record.phone,
                    appointment_at=appointment,
                    state=record.state,
                    step=record.last_step,
                    finished_at=(record.finished_at or record.state_at(record.state)) if record.state.is_finished else None,
                    source="dvcqg",
                    state_at=record.state_at(record.state) or record.as_of,
                    waits=record_waits(record),
                ),
                actor=actor,
                strict_phone=False,
            )
        except services.DossierError as e:
            existing = Dossier.objects.filter(code=record.code).select_related("agency").first()
            if e.status != 409 or existing is None:
                if e.field == "code":
                    raise services.DossierError("MaHoSo", e.message, status=e.status) from None
                raise
            # the same record sent twice at once: the other request created it; apply ours as an update
        else:
            return "created"
    if key.agency_id is not None and existing.agency_id not in _scope(key):
        raise services.DossierError("MaHoSo", services.CODE_NOT_YOURS, status=409)
    return update_from_record(existing, record, actor)


def _scope(key: ApiKey) -> list[int]:
    return key.agency_ids() or []


def latest_event_at(dossier: Dossier):
    return dossier.events.order_by("-occurred_at").values_list("occurred_at", flat=True).first()


def update_from_record(dossier: Dossier, record: SyncRecord, actor: str) -> str:
    """Bring a dossier up to what a re-sent record shows, never backwards.

    Records arrive late, repeated and out of order. A record is *stale* when the newest time it shows is
    older than what the dossier already knows; a stale record changes nothing but may still bring a result
    (a result is never lost to arrival order). A finished dossier reopens only for a record newer than its
    finish."""
    changed = False
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("agency", "procedure").get(pk=dossier.pk)
        latest = latest_event_at(dossier)
        stale = latest is not None and record.as_of < latest
        if not stale and services.update_details(dossier, actor, applicant=record.applicant, phone=record.phone,
                                                 strict=False, at=record.as_of):
            changed = True
        if _apply_supplements(dossier, record, actor):
            changed = True
        dossier.refresh_from_db()
        state = record.state
        appointment = record_appointment(record)
        if may_move(dossier, state, record.as_of, stale):
            event_type = services.STATE_EVENT[state]
            if dossier.state_enum == DossierState.SUPPLEMENT_REQUESTED and state == DossierState.PROCESSING:
                event_type = DossierEvent.SUPPLEMENT_RECEIVED
            new_appt = appointment if appointment and appointment != dossier.appointment_at and not stale else None
            services.apply_event(dossier, event_type, actor, at=_at(dossier, record.state_at(state) or record.as_of),
                                 appointment_at=new_appt, step=record.last_step, strict=False)
            changed = True
        elif stale:
            pass
        elif appointment and appointment != dossier.appointment_at and state == dossier.state_enum:
            services.apply_event(dossier, DossierEvent.RESCHEDULED, actor, at=_at(dossier, record.as_of),
                                 appointment_at=appointment, reason="Đồng bộ DVCQG", strict=False)
            changed = True
        dossier.refresh_from_db()
        if (
            not stale
            and record.last_step
            and not same_step(record.last_step, dossier.current_step)
            and not dossier.state_enum.is_finished
            and dossier.state_enum != DossierState.SUPPLEMENT_REQUESTED
            and not state.is_finished
            and state != DossierState.SUPPLEMENT_REQUESTED
            and not _stale_step(dossier, record.last_step_at)
        ):
            services.apply_event(dossier, DossierEvent.STEP_CHANGED, actor,
                                 at=_at(dossier, record.last_step_at or record.as_of), step=record.last_step,
                                 strict=False)
            changed = True
    return "updated" if changed else "unchanged"


def _apply_supplements(dossier: Dossier, record: SyncRecord, actor: str) -> bool:
    """Supplement requests from ``DanhSachHoSoBoSung``, matched to our waits in order of request time.

    An entry beyond the waits we know is a new request: with its SMS while the citizen still owes the
    supplement, even while ``TrangThaiHoSo`` still reads 5 from the previous one (the "4" in between was
    never synced; the earlier wait is closed when it was answered). A new entry already answered is only
    history: its wait is kept for the on-time rule, and no "cần bổ sung" SMS reaches a citizen who has
    already brought the papers."""
    changed = False
    requests = supplement_requests(record)
    # In a record that shows the dossier finished, a request still unanswered was overtaken by the finish:
    # it is history (its wait ends there), never a "cần bổ sung" to a citizen whose result is ready.
    finish = record.state_at(record.state) or record.as_of if record.state.is_finished else None
    for index, request in enumerate(requests):
        dossier.refresh_from_db()
        if dossier.state_enum.is_finished:
            break
        waits = dossier.wait_intervals()
        open_wait = dossier.state_enum == DossierState.SUPPLEMENT_REQUESTED and waits and waits[-1][1] is None
        if index < len(waits):
            if open_wait and index == len(waits) - 1 and request.answered_at:
                services.apply_event(
                    dossier, DossierEvent.SUPPLEMENT_RECEIVED, actor, at=max(request.answered_at, waits[-1][0]),
                    appointment_at=_later_appointment(dossier, request.new_appointment), strict=False,
                )
                changed = True
            continue
        asked_at = max(request.requested_at, dossier.received_at)
        if open_wait:
            answered = requests[index - 1].answered_at if index > 0 else None
            services.apply_event(dossier, DossierEvent.SUPPLEMENT_RECEIVED, actor,
                                 at=max(min(answered or asked_at, asked_at), waits[-1][0]), strict=False)
            dossier.refresh_from_db()
        answered_at = request.answered_at or finish
        if answered_at:
            services.add_past_wait(dossier, actor, asked_at, max(answered_at, asked_at),
                                   appointment_at=_later_appointment(dossier, request.new_appointment))
        else:
            services.apply_event(dossier, DossierEvent.SUPPLEMENT_REQUESTED, actor, at=asked_at, strict=False)
        changed = True
    return changed


def _later_appointment(dossier: Dossier, appointment):
    return appointment if appointment and appointment != dossier.appointment_at else None


def _at(dossier: Dossier, at):
    """An event time from a record, never before the dossier was received (the record may be inconsistent)."""
    return max(at, dossier.received_at) if at else None


def may_move(dossier: Dossier, state: DossierState, as_of, stale: bool) -> bool:
    """Whether a record (or progress update) showing ``state`` as of ``as_of`` may change the dossier's state.

    Forward to a result always; RESULT_READY to RETURNED always; a finished dossier changes otherwise only for
    a record newer than its finish; an open dossier changes only for a record that is not stale."""
    if not moves_state(dossier, state):
        return False
    current = dossier.state_enum
    if current.is_finished:
        if current == DossierState.RESULT_READY and state == DossierState.RETURNED:
            return True
        finished = dossier.returned_at or dossier.finished_at
        return not stale and finished is not None and as_of > finished
    if state in (DossierState.RESULT_READY, DossierState.RETURNED):
        return True
    return not stale


def moves_state(dossier: Dossier, state: DossierState) -> bool:
    """Whether a record's state changes the dossier. "Mới đăng ký"/"Được tiếp nhận" map to a processing
    event, so a dossier already being processed is not moved by a re-sent record that still says 1 or 2
    (otherwise every re-send would append one more event and answer "updated")."""
    if state == dossier.state_enum:
        return False
    target = services.EVENT_STATE[services.STATE_EVENT[state]]
    return target != dossier.state_enum


def _stale_step(dossier: Dossier, at) -> bool:
    """A step older than what we already know (a progress update came in since) is not a step back."""
    if at is None:
        return False
    latest = latest_event_at(dossier)
    return latest is not None and at < latest


def apply_progress(record: ProgressRecord, key: ApiKey) -> str:
    record = replace(record, code=clean_code(record.code))
    if not record.code:
        raise services.DossierError("MaHoSo", "Mã hồ sơ trống (chỉ có khoảng trắng hoặc ký tự ẩn)")
    dossier = Dossier.objects.filter(code=record.code).select_related("agency").first()
    if dossier is None or (key.agency_id is not None and dossier.agency_id not in _scope(key)):
        raise services.DossierError("MaHoSo", f"Không tìm thấy hồ sơ {record.code}", status=404)
    actor = SYNC_ACTOR.format(key.prefix)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("agency", "procedure").get(pk=dossier.pk)
        latest = latest_event_at(dossier)
        stale = latest is not None and record.at < latest
        state = record.state
        if state is None and is_result_step(record.step):
            state = DossierState.RESULT_READY
        if state is not None and may_move(dossier, state, record.at, stale):
            services.apply_event(dossier, services.STATE_EVENT[state], actor, at=_at(dossier, record.at),
                                 step=record.step, strict=False)
            return "updated"
        if stale or not record.step or same_step(record.step, dossier.current_step):
            return "unchanged"
        if dossier.state_enum.is_finished or dossier.events.filter(occurred_at=record.at, step=record.step).exists():
            return "unchanged"
        services.apply_event(dossier, DossierEvent.STEP_CHANGED, actor, at=_at(dossier, record.at), step=record.step,
                             strict=False)
        return "updated"
