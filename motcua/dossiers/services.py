"""The one code path for changing a dossier: API, DVCQG sync and the staff desk all come through here.

Each change appends a ``DossierEvent`` and, in the same transaction, sends ``signals.dossier_changed``:
the messaging app records there the SMS the change causes (or why none is sent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from motcua.domain import freetext
from motcua.domain.calendar import WorkCalendar
from motcua.domain.ontime import late_after
from motcua.domain.phones import InvalidPhone, first_mobile, normalise_phone, try_normalise_phone
from motcua.domain.receipt_codes import (
    clean_code,
    format_receipt_code,
    generate_access_code,
    national_unit,
    series_owner,
)
from motcua.domain.states import RESULT_STEP, DossierState
from motcua.domain.steps import SUPPLEMENT_STEP, display_step, is_result_step, is_supplement_step
from motcua.dossiers.models import Agency, CalendarDay, Dossier, DossierEvent, Procedure, ReceiptSerial
from motcua.dossiers.signals import dossier_changed

log = logging.getLogger(__name__)


class DossierError(ValueError):
    """A change refused for a reason the caller can fix; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def work_calendar() -> WorkCalendar:
    days = list(CalendarDay.objects.values_list("day", "kind"))
    return WorkCalendar(
        extra_days_off=[d for d, k in days if k == CalendarDay.OFF],
        extra_working_days=[d for d, k in days if k == CalendarDay.WORKING],
    )


# One answer for a code another agency owns, whether a dossier with it exists or not: the answer must not
# tell one agency which codes another agency has issued.
CODE_NOT_YOURS = "Mã số biên nhận này không dùng được cho cơ quan của khóa API (thuộc dãy mã của cơ quan khác)"


def _format_code(fmt: str, agency: Agency, year: int, serial: int) -> str:
    try:
        return format_receipt_code(fmt, agency.code, year, serial)
    except ValueError:
        raise DossierError("code", "Không cấp được mã số biên nhận mới: hết dãy số của năm") from None


def issue_code(agency: Agency, at: datetime) -> str:
    """Next receipt code for the agency and year. The conditional UPDATE takes a row lock on PostgreSQL,
    so concurrent creations get distinct serials; on SQLite the write transaction serialises them.

    Rows created with codes of our own series (by this agency's own software, before it was refused for
    anyone else) cannot block issuing: the next free serial is found with one query per thousand serials
    and claimed, never by trying one code at a time."""
    year = timezone.localtime(at).year
    fmt = settings.MOTCUA["RECEIPT_CODE_FORMAT"]
    while True:
        with transaction.atomic():
            updated = ReceiptSerial.objects.filter(agency=agency, year=year).update(last=F("last") + 1)
            if not updated:
                try:
                    with transaction.atomic():
                        ReceiptSerial.objects.create(agency=agency, year=year, last=1)
                except IntegrityError:
                    continue  # another process created it first: take the UPDATE path again
            serial = ReceiptSerial.objects.get(agency=agency, year=year).last
        code = _format_code(fmt, agency, year, serial)
        if not Dossier.objects.filter(code=code).exists():
            return code
        serials = range(serial + 1, serial + 1001)
        block = {s: _format_code(fmt, agency, year, s) for s in serials if _fits(fmt, agency, year, s)}
        if not block:
            raise DossierError("code", "Không cấp được mã số biên nhận mới: hết dãy số của năm")
        taken = set(Dossier.objects.filter(code__in=block.values()).values_list("code", flat=True))
        free = next((s for s, c in block.items() if c not in taken), None)
        target = free if free is not None else max(block)
        claimed = ReceiptSerial.objects.filter(agency=agency, year=year, last__lt=target).update(last=target)
        if free is not None and claimed:
            return block[free]
        # another process moved past it first, or the whole block is taken: go on from where the serial is


def _fits(fmt: str, agency: Agency, year: int, serial: int) -> bool:
    try:
        format_receipt_code(fmt, agency.code, year, serial)
    except ValueError:
        return False
    return True


def check_code_owner(agency: Agency, code: str) -> None:
    """Refuse a supplied code in another agency's issued series, or of a national-form unit another agency
    declared (``Agency.dvcqg_units``), whether or not it exists yet.

    The code is printed (now or soon) on that agency's receipts: refusing it is the only way that agency's
    issuing cannot be blocked and its citizens are never read another agency's text. Codes in the agency's
    own series are its own software's business; :func:`issue_code` steps over them."""
    fmt = settings.MOTCUA["RECEIPT_CODE_FORMAT"]
    own = agency.with_predecessors()
    others = Agency.objects.exclude(pk__in=own)
    if series_owner(fmt, code, others.values_list("code", flat=True)) is not None:
        raise DossierError("code", CODE_NOT_YOURS, status=409)
    unit = national_unit(code)
    if unit and any(unit in a.units() for a in others.exclude(dvcqg_units="").only("dvcqg_units")):
        raise DossierError("code", CODE_NOT_YOURS, status=409)


@dataclass
class NewDossier:
    agency: Agency
    procedure: Procedure
    received_at: datetime
    code: str | None = None
    applicant: str = ""
    phone: str = ""
    appointment_at: datetime | None = None
    state: DossierState = DossierState.RECEIVED
    step: str | None = None
    finished_at: datetime | None = None
    source: str = "api"
    # When the record says the dossier entered ``state`` (the finish, the supplement request); None: received_at.
    state_at: datetime | None = None
    # Supplement waits the record already shows, [[start_iso, end_iso_or_None], ...], oldest first.
    waits: list | None = None


def text(value: str | None, field: str, max_length: int, multiline: bool = False) -> str:
    """Outside free text checked once before it reaches the database: a surrogate or NUL would make the
    driver raise (a 500), a control character has no place in a name or step."""
    try:
        return freetext.clean(value or "", max_length=max_length, multiline=multiline)
    except freetext.FreeTextError as e:
        raise DossierError(field, e.reason) from None


def clean_phone(raw: str, strict: bool) -> tuple[str, str]:
    """(national form or "", raw as given). Strict callers (desk, API) refuse a bad number; the sync keeps
    the record and the outbox later records "invalid phone" as the reason no SMS was sent."""
    raw = text(raw, "phone", 64)
    if not raw:
        return "", ""
    try:
        return normalise_phone(raw).national, raw
    except InvalidPhone as e:
        found = first_mobile(raw)  # "0912 345 678 (Zalo)", "0258 3822 123, 0987 654 321": the first mobile
        if found is not None:
            return found[0].national, raw
        if strict:
            raise DossierError("phone", e.reason) from None
        return "", raw


FIELD_LABELS = {"applicant": "họ tên người nộp", "phone": "số điện thoại"}


def phone_note(raw: str) -> str:
    """For the timeline: which number of a field written by a person the SMS go to (masked; the desk card
    shows the field itself). Empty when the field is simply one number."""
    raw = (raw or "").strip()
    if not raw or try_normalise_phone(raw) is not None:
        return ""
    found = first_mobile(raw)
    if found is None:
        return ""
    phone, place, count = found
    if count > 1:
        return f"Ô số điện thoại ghi {count} số: tin nhắn gửi tới số thứ {place} ({phone.masked})."
    return f"Ô số điện thoại có ghi chú: tin nhắn gửi tới {phone.masked}."


def initial_step(state: DossierState, given: str | None, steps: list[str]) -> str:
    """The step a new dossier starts at. A dossier that arrives already processed is at "Trả kết quả" and
    one waiting for the citizen at "Chờ bổ sung", whatever step the sender listed last (DVCQG records list
    the steps taken, which need not end with the result step), as :func:`_move` would have left them."""
    if state in (DossierState.RESULT_READY, DossierState.RETURNED):
        return RESULT_STEP
    if state == DossierState.SUPPLEMENT_REQUESTED:
        return SUPPLEMENT_STEP
    if is_result_step(given):
        return RESULT_STEP
    if is_supplement_step(given):
        return SUPPLEMENT_STEP
    return display_step(given or "")[:255] or steps[0]


def create_dossier(new: NewDossier, actor: str, strict_phone: bool = True) -> Dossier:
    new.applicant = text(new.applicant, "applicant", 255)
    new.step = text(new.step, "step", 255) or None
    new.code = text(new.code, "code", 64) or None
    phone, phone_raw = clean_phone(new.phone, strict_phone)
    if new.procedure.agency_id != new.agency.pk:
        raise DossierError("procedure", "Thủ tục không thuộc cơ quan này")
    appointment = new.appointment_at or work_calendar().appointment(
        new.received_at, Decimal(new.procedure.processing_days)
    )
    if appointment < new.received_at:
        raise DossierError("appointment_at", "Ngày hẹn trả trước ngày tiếp nhận")
    steps = new.procedure.step_names()
    step = initial_step(new.state, new.step, steps)
    state_at = max(new.state_at or new.received_at, new.received_at)
    finished_at = (new.finished_at or state_at) if new.state.is_finished else None
    waits = [list(w) for w in new.waits or []]
    if new.state == DossierState.SUPPLEMENT_REQUESTED and not (waits and waits[-1][1] is None):
        waits.append([state_at.isoformat(), None])
    elif new.state != DossierState.SUPPLEMENT_REQUESTED and waits and waits[-1][1] is None:
        waits[-1][1] = state_at.isoformat()  # the record moved on without saying when the supplement came
    if new.code:
        new.code = clean_code(new.code) or None  # blank to a reader: as if none was given, we issue one
    with transaction.atomic():
        if new.code:
            check_code_owner(new.agency, new.code)
        code = new.code or issue_code(new.agency, new.received_at)
        holder = Dossier.objects.filter(code=code).values_list("agency_id", flat=True).first()
        if holder is not None and holder not in new.agency.with_predecessors():
            raise DossierError("code", CODE_NOT_YOURS, status=409)
        if holder is not None:
            raise DossierError("code", f"Mã số biên nhận {code} đã tồn tại", status=409)
        try:
            with transaction.atomic():
                dossier = Dossier(
                    code=code,
                    agency=new.agency,
                    procedure=new.procedure,
                    applicant=new.applicant,
                    phone=phone,
                    phone_raw=phone_raw,
                    received_at=new.received_at,
                    appointment_at=appointment,
                    current_step=step,
                    state=new.state,
                    finished_at=finished_at,
                    returned_at=state_at if new.state == DossierState.RETURNED else None,
                    waits=waits,
                    access_code=generate_access_code(),
                    source=new.source,
                )
                dossier.late_after = _late_after(dossier)
                dossier.save(force_insert=True)
        except IntegrityError:  # the same code created concurrently by another request
            raise DossierError("code", f"Mã số biên nhận {code} đã tồn tại", status=409) from None
        event = DossierEvent.objects.create(
            dossier=dossier,
            type=DossierEvent.CREATED,
            occurred_at=new.received_at,
            actor=actor,
            state_after=dossier.state,
            step=step,
            data={"appointment_at": appointment.isoformat(), "source": new.source}
            | ({"note": note} if (note := phone_note(phone_raw)) else {}),
        )
        dossier_changed.send(sender=Dossier, dossier=dossier, event=event, before=None)
    log.info("dossier created code=%s agency=%s by=%s", dossier.code, new.agency.code, actor)
    return dossier


# What each event type does to the state. None = state unchanged.
EVENT_STATE = {
    DossierEvent.STEP_CHANGED: DossierState.PROCESSING,
    DossierEvent.PROCESSING: DossierState.PROCESSING,
    DossierEvent.SUPPLEMENT_REQUESTED: DossierState.SUPPLEMENT_REQUESTED,
    DossierEvent.SUPPLEMENT_RECEIVED: DossierState.PROCESSING,
    DossierEvent.RESCHEDULED: None,
    DossierEvent.DETAILS_CHANGED: None,
    DossierEvent.RESULT_READY: DossierState.RESULT_READY,
    DossierEvent.RETURNED: DossierState.RETURNED,
    DossierEvent.WITHDRAWN: DossierState.WITHDRAWN,
    DossierEvent.STOPPED: DossierState.STOPPED,
    DossierEvent.REJECTED: DossierState.REJECTED,
    DossierEvent.PAYMENT_REQUESTED: DossierState.AWAITING_PAYMENT,
}
STATE_EVENT = {
    DossierState.REGISTERED: DossierEvent.PROCESSING,
    DossierState.RECEIVED: DossierEvent.PROCESSING,
    DossierState.PROCESSING: DossierEvent.PROCESSING,
    DossierState.SUPPLEMENT_REQUESTED: DossierEvent.SUPPLEMENT_REQUESTED,
    DossierState.AWAITING_PAYMENT: DossierEvent.PAYMENT_REQUESTED,
    DossierState.WITHDRAWN: DossierEvent.WITHDRAWN,
    DossierState.STOPPED: DossierEvent.STOPPED,
    DossierState.REJECTED: DossierEvent.REJECTED,
    DossierState.RESULT_READY: DossierEvent.RESULT_READY,
    DossierState.RETURNED: DossierEvent.RETURNED,
}


def apply_event(
    dossier: Dossier,
    type: str,
    actor: str,
    at: datetime | None = None,
    step: str | None = None,
    appointment_at: datetime | None = None,
    reason: str = "",
    strict: bool = True,
) -> DossierEvent:
    """Apply one event. ``strict`` (API and desk) refuses changes to a closed dossier; the DVCQG sync is
    not strict because the one-stop software is the source of truth and may correct its own records."""
    if type not in EVENT_STATE:
        raise DossierError("type", f"Loại sự kiện không hợp lệ: {type}")
    at = at or timezone.now()
    step = text(step, "step", 255) or None
    reason = text(reason, "reason", 500, multiline=True)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("agency", "procedure").get(pk=dossier.pk)
        before = dossier.state_enum
        if strict and before.is_closed and type != DossierEvent.RETURNED:
            raise DossierError("type", f"Hồ sơ đã kết thúc ({before.label}), không thể cập nhật", status=409)
        if strict and type == DossierEvent.RETURNED and before == DossierState.RETURNED:
            raise DossierError("type", "Hồ sơ đã trả kết quả", status=409)
        if type == DossierEvent.STEP_CHANGED and not (step or "").strip():
            raise DossierError("step", "Thiếu tên bước")
        if type in (DossierEvent.RESCHEDULED,) and appointment_at is None:
            raise DossierError("appointment_at", "Thiếu ngày hẹn trả mới")
        if at < dossier.received_at:
            raise DossierError("at", "Thời điểm xảy ra trước ngày tiếp nhận hồ sơ")
        if appointment_at is not None and appointment_at < dossier.received_at:
            raise DossierError("appointment_at", "Ngày hẹn trả trước ngày tiếp nhận")
        after = EVENT_STATE[type] or before
        data: dict = {}
        if type == DossierEvent.STEP_CHANGED and is_result_step(step):
            after = DossierState.RESULT_READY
        elif type == DossierEvent.STEP_CHANGED and is_supplement_step(step):
            after = DossierState.SUPPLEMENT_REQUESTED
        _move(dossier, before, after, at, step, data)
        if appointment_at is not None:
            data["appointment_before"] = dossier.appointment_at.isoformat()
            dossier.appointment_at = appointment_at
        if reason:
            data["reason"] = reason
        dossier.late_after = _late_after(dossier)
        dossier.save()
        event = DossierEvent.objects.create(
            dossier=dossier,
            type=type,
            occurred_at=at,
            actor=actor,
            state_before=before,
            state_after=after,
            step=dossier.current_step,
            data=data,
        )
        dossier_changed.send(sender=Dossier, dossier=dossier, event=event, before=before)
    log.info("dossier event code=%s type=%s by=%s", dossier.code, type, actor)
    return event


def update_details(dossier: Dossier, actor: str, *, applicant: str, phone: str, strict: bool = True,
                   at: datetime | None = None) -> DossierEvent | None:
    """Change the applicant's name or phone, leaving an event that names the fields changed (never their
    values: the timeline is shown to staff of the agency, the log to operators). None: nothing changed."""
    applicant = text(applicant, "applicant", 255)
    phone_national, phone_raw = clean_phone(phone, strict)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("agency", "procedure").get(pk=dossier.pk)
        fields = [name for name, old, new in (("applicant", dossier.applicant, applicant),
                                              ("phone", dossier.phone_raw, phone_raw)) if old != new]
        if not fields:
            return None
        dossier.applicant, dossier.phone, dossier.phone_raw = applicant, phone_national, phone_raw
        dossier.save(update_fields=["applicant", "phone", "phone_raw", "updated_at"])
        state = dossier.state_enum
        event = DossierEvent.objects.create(
            dossier=dossier, type=DossierEvent.DETAILS_CHANGED, occurred_at=at or timezone.now(), actor=actor,
            state_before=state, state_after=state, step=dossier.current_step,
            data={"fields": fields, "note": " ".join(
                [f"Đã sửa: {', '.join(FIELD_LABELS[f] for f in fields)}.", phone_note(phone_raw) if "phone" in fields else ""]
            ).strip()},
        )
        dossier_changed.send(sender=Dossier, dossier=dossier, event=event, before=state)
    log.info("dossier details changed code=%s fields=%s by=%s", dossier.code, ",".join(fields), actor)
    return event


def add_past_wait(dossier: Dossier, actor: str, start: datetime, end: datetime,
                  appointment_at: datetime | None = None) -> DossierEvent:
    """A supplement request we learn of only after the citizen answered it: its wait counts for the on-time
    rule and the timeline shows it, but the state does not move and no SMS is caused (the request is over)."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("agency", "procedure").get(pk=dossier.pk)
        state = dossier.state_enum
        waits = [list(w) for w in dossier.waits or []] + [[start.isoformat(), end.isoformat()]]
        dossier.waits = sorted(waits, key=lambda w: w[0])
        data: dict = {"requested_at": start.isoformat()}
        if appointment_at is not None:
            data["appointment_before"] = dossier.appointment_at.isoformat()
            dossier.appointment_at = appointment_at
        dossier.late_after = _late_after(dossier)
        dossier.save()
        event = DossierEvent.objects.create(
            dossier=dossier, type=DossierEvent.SUPPLEMENT_RECEIVED, occurred_at=end, actor=actor,
            state_before=state, state_after=state, step=dossier.current_step, data=data,
        )
        dossier_changed.send(sender=Dossier, dossier=dossier, event=event, before=state)
    log.info("dossier past supplement recorded code=%s by=%s", dossier.code, actor)
    return event


def _move(dossier: Dossier, before: DossierState, after: DossierState, at: datetime, step: str | None, data: dict):
    """Update state, step, wait intervals and finish times for a move from ``before`` to ``after``."""
    waits = [list(w) for w in dossier.waits or []]
    if before == DossierState.SUPPLEMENT_REQUESTED and after != before and waits and waits[-1][1] is None:
        waits[-1][1] = at.isoformat()
    if after == DossierState.SUPPLEMENT_REQUESTED and before != after:
        waits.append([at.isoformat(), None])
        data["step_before"] = dossier.current_step
        dossier.current_step = SUPPLEMENT_STEP
    elif after in (DossierState.RESULT_READY, DossierState.RETURNED):
        dossier.current_step = RESULT_STEP
    elif step:
        dossier.current_step = display_step(step)[:255]
    elif before == DossierState.SUPPLEMENT_REQUESTED and after != before:
        previous = dossier.events.filter(type=DossierEvent.SUPPLEMENT_REQUESTED).order_by("-id").first()
        dossier.current_step = (previous.data.get("step_before") if previous else None) or (
            dossier.procedure.step_names()[0]
        )
    dossier.waits = waits
    dossier.state = after
    if after.is_finished and not before.is_finished:
        dossier.finished_at = at
    elif not after.is_finished:
        dossier.finished_at = None
    if after == DossierState.RETURNED:
        dossier.returned_at = at
        dossier.finished_at = dossier.finished_at or at


def _late_after(dossier: Dossier) -> datetime | None:
    """The stored on-time instant (see domain.ontime.late_after). Every change of state, appointment or
    waits comes through create_dossier/apply_event, which call this. The working calendar only matters
    to excuse waits, so it is read only for a dossier that has waited."""
    waits = dossier.wait_intervals()
    return late_after(dossier.appointment_at, dossier.finished_at, waits, work_calendar() if waits else None)
