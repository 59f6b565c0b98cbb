"""Apply DVCQG records to our dossiers, idempotently: re-sending the same record changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from motcua.domain.dvcqg import ProgressRecord, SyncRecord
from motcua.domain.states import DossierState
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
    """Known procedure, or one registered on the fly: same-day when due on the day of receipt."""
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
        defaults={"name": record.procedure_name[:500], "processing_days": days},
    )
    return procedure


def apply_record(record: SyncRecord, key: ApiKey) -> str:
    actor = SYNC_ACTOR.format(key.prefix)
    existing = Dossier.objects.filter(code=record.code).select_related("agency").first()
    if existing is None:
        if record.received_at > timezone.now() + timedelta(days=1):
            raise services.DossierError("NgayTiepNhan", "Ngày tiếp nhận ở tương lai")
        agency = resolve_agency(key, record.unit)
        try:
            services.create_dossier(
                services.NewDossier(
                    agency=agency,
                    procedure=procedure_for(agency, record),
                    received_at=record.received_at,
                    code=record.code,
                    applicant=record.applicant,
                    phone=record.phone,
                    appointment_at=record.appointment_at,
                    state=record.state,
                    step=record.last_step,
                    finished_at=record.finished_at,
                    source="dvcqg",
                ),
                actor=actor,
                strict_phone=False,
            )
        except services.DossierError as e:
            existing = Dossier.objects.filter(code=record.code).select_related("agency").first()
            if e.status != 409 or existing is None:
                raise
            # the same record sent twice at once: the other request created it; apply ours as an update
        else:
            return "created"
    if key.agency_id is not None and existing.agency_id not in _scope(key):
        raise services.DossierError("MaHoSo", "Hồ sơ thuộc cơ quan khác", status=403)
    return update_from_record(existing, record, actor)


def _scope(key: ApiKey) -> list[int]:
    return key.agency_ids() or []


def update_from_record(dossier: Dossier, record: SyncRecord, actor: str) -> str:
    changed = False
    with transaction.atomic():
        phone, phone_raw = services.clean_phone(record.phone, strict=False)
        if phone_raw != dossier.phone_raw or record.applicant != dossier.applicant:
            Dossier.objects.filter(pk=dossier.pk).update(phone=phone, phone_raw=phone_raw, applicant=record.applicant)
            dossier.phone, dossier.phone_raw, dossier.applicant = phone, phone_raw, record.applicant
            changed = True
        appointment = record.new_appointment or record.appointment_at
        state = record.state
        at = _when(record)
        if appointment and appointment != dossier.appointment_at and state == dossier.state_enum:
            services.apply_event(dossier, DossierEvent.RESCHEDULED, actor, at=at, appointment_at=appointment,
                                 reason="Đồng bộ DVCQG", strict=False)
            changed = True
        if moves_state(dossier, state):
            event_type = services.STATE_EVENT[state]
            if dossier.state_enum == DossierState.SUPPLEMENT_REQUESTED and state == DossierState.PROCESSING:
                event_type = DossierEvent.SUPPLEMENT_RECEIVED
            new_appt = appointment if appointment and appointment != dossier.appointment_at else None
            services.apply_event(dossier, event_type, actor, at=at, appointment_at=new_appt,
                                 step=record.last_step, strict=False)
            changed = True
        elif record.last_step and record.last_step != dossier.current_step and not state.is_finished \
                and state != DossierState.SUPPLEMENT_REQUESTED and not _stale_step(dossier, record):
            services.apply_event(dossier, DossierEvent.STEP_CHANGED, actor, at=record.last_step_at or at,
                                 step=record.last_step, strict=False)
            changed = True
    return "updated" if changed else "unchanged"


def moves_state(dossier: Dossier, state: DossierState) -> bool:
    """Whether a record's state changes the dossier. "Mới đăng ký"/"Được tiếp nhận" map to a processing
    event, so a dossier already being processed is not moved by a re-sent record that still says 1 or 2
    (otherwise every re-send would append one more event and answer "updated")."""
    if state == dossier.state_enum:
        return False
    target = services.EVENT_STATE[services.STATE_EVENT[state]]
    return target != dossier.state_enum


def _stale_step(dossier: Dossier, record: SyncRecord) -> bool:
    """A last step older than what we already know (a progress update came in since) is not a step back."""
    if record.last_step_at is None:
        return False
    latest = dossier.events.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    return latest is not None and record.last_step_at < latest


def _when(record: SyncRecord):
    if record.state == DossierState.RETURNED and record.returned_at:
        return record.returned_at
    if record.state.is_finished and record.finished_at:
        return record.finished_at
    return None


def apply_progress(record: ProgressRecord, key: ApiKey) -> str:
    dossier = Dossier.objects.filter(code=record.code).select_related("agency").first()
    if dossier is None or (key.agency_id is not None and dossier.agency_id not in _scope(key)):
        raise services.DossierError("MaHoSo", f"Không tìm thấy hồ sơ {record.code}", status=404)
    actor = SYNC_ACTOR.format(key.prefix)
    if record.state is not None and moves_state(dossier, record.state):
        services.apply_event(dossier, services.STATE_EVENT[record.state], actor, at=record.at,
                             step=record.step, strict=False)
        return "updated"
    if record.step and record.step != dossier.current_step and not dossier.state_enum.is_finished:
        if dossier.events.filter(occurred_at=record.at, step=record.step).exists():
            return "unchanged"
        services.apply_event(dossier, DossierEvent.STEP_CHANGED, actor, at=record.at, step=record.step, strict=False)
        return "updated"
    return "unchanged"
