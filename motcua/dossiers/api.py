"""HTTP API for one-stop software: ``/api/v1`` (OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``).

Every error is a 4xx JSON body ``{"errors": [{"field": ..., "message": ...}]}``; a key only ever sees the
dossiers of its own agency (a province key sees all), and another agency's dossier is "not found".
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from pydantic import AfterValidator, BeforeValidator

from motcua.domain import freetext
from motcua.domain.dvcqg import RecordError, parse_progress, parse_record
from motcua.domain.ontime import OnTime
from motcua.domain.receipt_codes import clean_code
from motcua.domain.states import DossierState
from motcua.domain.steps import same_step
from motcua.dossiers import limits, services, sync
from motcua.dossiers.models import Agency, ApiKey, Dossier, DossierEvent, Procedure

log = logging.getLogger(__name__)


class BearerKey(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        if len(token) > 200 or freetext.problem(token):
            return None  # a NUL would make PostgreSQL raise (a 500); no key of ours has one: 401
        key = ApiKey.authenticate(token)
        if key is not None:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key


class Utf8JSON(JSONRenderer):
    """JSON as UTF-8 text, not ``\\u`` escapes: Vietnamese names and messages stay readable on the wire
    and in a vendor's logs (the body is ``application/json; charset=utf-8``)."""

    json_dumps_params = {"ensure_ascii": False}

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        # A rejected record echoes what it was sent; a lone surrogate there has no UTF-8 form. Inside a
        # JSON string its backslash form (\\ud800) is valid JSON, so it goes out escaped, never as a 500.
        return super().render(request, data, response_status=response_status).encode("utf-8", "backslashreplace")


api = NinjaAPI(
    title="motcua API",
    renderer=Utf8JSON(),
    version="1",
    description="Hồ sơ một cửa và tin nhắn SMS — API cho phần mềm Một cửa điện tử. "
    "[Hướng dẫn nhanh cho nhà cung cấp phần mềm](/api/huong-dan)",
    auth=BearerKey(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def errors(status: int, items: list[tuple[str, str]], retry_after: int | None = None):
    response = api.create_response(
        None,  # type: ignore[arg-type]
        {"errors": [{"field": f, "message": m} for f, m in items]},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def too_many_new(retry_after: int):
    return errors(429, [("data", f"Khóa API đã tạo quá {limits.per_minute()} hồ sơ mới trong một phút; "
                                 f"gửi lại sau {retry_after} giây")], retry_after=retry_after)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    items = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        items.append((".".join(loc) or "body", err.get("msg", "không hợp lệ")))
    return errors(422, items or [("body", "Dữ liệu không hợp lệ")])


@api.exception_handler(services.DossierError)
def on_dossier_error(request, exc: services.DossierError):
    return errors(exc.status, [(exc.field, exc.message)])


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return errors(401, [("Authorization", "Thiếu hoặc sai khóa API (Authorization: Bearer <khóa>)")])


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return errors(exc.status_code, [("body", str(exc))])


def api_urls() -> tuple[list, str, str]:
    """``api.urls`` with a wrong method answered like every other error: django-ninja answers a 405 with
    the plain text "Method not allowed", which a client parsing ``{"errors": ...}`` cannot read."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _json_not_allowed(pattern.callback)
    return patterns, app_name, namespace


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps csrf_exempt, which django-ninja sets on its views
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = ", ".join(sorted(response["Allow"].split(", ")))
        answer = errors(405, [("method", f"Không dùng được {request.method} ở địa chỉ này; dùng {allowed}")])
        answer["Allow"] = allowed
        return answer

    return wrapped


# --- scoping ---------------------------------------------------------------------------------


def visible(key: ApiKey) -> QuerySet[Dossier]:
    qs = Dossier.objects.select_related("agency", "procedure")
    ids = key.agency_ids()
    return qs if ids is None else qs.filter(agency_id__in=ids)


def get_dossier(request, code: str) -> Dossier:
    code = clean_code(code)
    dossier = None
    if len(code) <= 64 and not has_control_chars(code):  # %00 in the path would make PostgreSQL raise
        dossier = visible(request.auth).filter(code=code).first()
    if dossier is None:
        raise services.DossierError("code", f"Không tìm thấy hồ sơ {code[:64]!r}", status=404)
    return dossier


def resolve_agency(key: ApiKey, code: str | None) -> Agency:
    if key.agency_id is not None:
        if code and code != key.agency.code:
            raise services.DossierError("agency", "Khóa API không thuộc cơ quan này", status=403)
        return key.agency
    if not code:
        raise services.DossierError("agency", "Bắt buộc với khóa API cấp tỉnh")
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise services.DossierError("agency", f"Không có cơ quan mã {code}")
    return agency


# --- schemas ---------------------------------------------------------------------------------

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _iso_text(value: Any) -> Any:
    """Accept only ISO 8601 text. Pydantic would read a number, or digits such as DVCQG's
    ``20261123090000``, as a Unix timestamp and silently store a dossier received in the year 2612."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or value.strip().isdigit():
        raise ValueError("cần ngày giờ dạng ISO 8601, ví dụ 2026-11-23T09:00:00+07:00")
    return value


def _plausible(value: datetime) -> datetime:
    """Naive times are local (Asia/Ho_Chi_Minh), as one-stop software prints them; years outside
    2000–2099 are typing mistakes and would overflow the working-time calendar."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not EARLIEST <= value < LATEST:
        raise ValueError("ngày giờ ngoài khoảng 2000–2099")
    return value


Instant = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_plausible)]


def _plausible_day(value: date) -> date:
    """A day in 2000–2099, as for instants: ``0001-01-01`` or ``9999-12-31`` as a filter would overflow
    the conversion of its local midnight to UTC (a 500) and matches nothing anyway."""
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError("ngày ngoài khoảng 2000–2099")
    return value


Day = Annotated[date, AfterValidator(_plausible_day)]


def has_control_chars(value: str) -> bool:
    """Anything :func:`motcua.domain.freetext.problem` refuses (control characters, lone surrogates)."""
    return freetext.problem(value) is not None


def _printable(value: str) -> str:
    """Control characters and lone surrogates are never part of a name, code or step; PostgreSQL refuses
    NUL outright and no driver can encode a surrogate (both were a 500)."""
    reason = freetext.problem(value)
    if reason:
        raise ValueError(reason)
    return value


Text = Annotated[str, AfterValidator(_printable)]


class DossierIn(Schema):
    code: Text | None = Field(None, max_length=64, description="Mã số biên nhận; trống: hệ thống cấp")
    agency: Text | None = Field(None, max_length=3, description="Mã cơ quan (bắt buộc với khóa cấp tỉnh)")
    procedure: Text = Field(..., min_length=1, max_length=64, description="Mã TTHC")
    applicant: Text = Field("", max_length=255)
    phone: Text = Field("", max_length=64)
    received_at: Instant | None = Field(None, description="Ngày tiếp nhận; trống: bây giờ")
    appointment_at: Instant | None = Field(None, description="Ngày hẹn trả; trống: tính theo lịch làm việc")


class EventIn(Schema):
    type: Literal[
        "step_changed",
        "supplement_requested",
        "supplement_received",
        "rescheduled",
        "result_ready",
        "returned",
        "withdrawn",
        "stopped",
    ]
    step: Text | None = Field(None, max_length=255)
    appointment_at: Instant | None = None
    reason: Text = Field("", max_length=500)
    at: Instant | None = Field(
        None, description="Thời điểm xảy ra (đồng bộ sau); lùi tối đa MOTCUA_EVENT_BACKDATE_DAYS ngày (mặc định 7)"
    )


class EventOut(Schema):
    type: str
    label: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    state_before: str
    state_after: str
    step: str
    data: dict


class MessageOut(Schema):
    id: int
    kind: str
    status: str
    text: str
    encoding: str
    parts: int
    cost: int
    skip_reason: str
    error: str
    created_at: datetime
    sent_at: datetime | None
    final_at: datetime | None


class DossierOut(Schema):
    code: str
    agency: str
    agency_name: str
    procedure: str
    procedure_name: str
    same_day: bool
    applicant: str
    phone: str
    received_at: datetime
    appointment_at: datetime
    current_step: str
    state: str
    national_state: int
    state_label: str
    finished_at: datetime | None
    on_time: OnTime = Field(..., description="on_time: đúng hạn; late: trễ hạn (tại thời điểm trả lời)")
    on_time_label: str = Field(..., description="Đúng hạn / Trễ hạn")
    access_code: str


class DossierDetail(DossierOut):
    timeline: list[EventOut]
    messages: list[MessageOut]


class Page(Schema):
    count: int
    items: list[DossierOut]


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    errors: list[ErrorItem]


def dossier_out(d: Dossier, now: datetime | None = None) -> dict[str, Any]:
    state = d.state_enum
    return {
        "code": d.code,
        "agency": d.agency.code,
        "agency_name": d.agency.sms_name,
        "procedure": d.procedure.code,
        "procedure_name": d.procedure.name,
        "same_day": d.procedure.same_day,
        "applicant": d.applicant,
        "phone": d.phone or d.phone_raw,
        "received_at": d.received_at,
        "appointment_at": d.appointment_at,
        "current_step": d.current_step,
        "state": state.value,
        "national_state": state.national_code,
        "state_label": state.label,
        "finished_at": d.finished_at,
        "on_time": (on_time := d.on_time(now)).value,
        "on_time_label": on_time.label,
        "access_code": d.access_code,
    }


def dossier_detail(d: Dossier) -> dict[str, Any]:
    labels = dict(DossierEvent.TYPES)
    out = dossier_out(d)
    out["timeline"] = [
        {
            "type": e.type,
            "label": str(labels.get(e.type, e.type)),
            "occurred_at": e.occurred_at,
            "recorded_at": e.recorded_at,
            "actor": e.actor,
            "state_before": e.state_before,
            "state_after": e.state_after,
            "step": e.step,
            "data": e.data,
        }
        for e in d.events.order_by("occurred_at", "id")
    ]
    out["messages"] = list(
        d.messages.order_by("id").values(
            "id", "kind", "status", "text", "encoding", "parts", "cost", "skip_reason", "error",
            "created_at", "sent_at", "final_at",
        )
    )
    return out


ERR = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut,
       429: ErrorOut}


@api.post("/v1/dossiers", response={201: DossierDetail, **ERR}, tags=["dossiers"])
def create_dossier(request, payload: DossierIn):
    """Tiếp nhận hồ sơ: with ``code`` as printed by your software, or without to have one issued."""
    agency = resolve_agency(request.auth, payload.agency)
    procedure = Procedure.objects.filter(agency=agency, code=payload.procedure.strip()).first()
    if procedure is None:
        raise services.DossierError("procedure", f"Cơ quan {agency.code} không có thủ tục {payload.procedure}")
    received = payload.received_at or timezone.now()
    if received > timezone.now() + timedelta(minutes=5):
        raise services.DossierError("received_at", "Ngày tiếp nhận ở tương lai")
    appointment = payload.appointment_at
    granted, retry_after = limits.take(request.auth.pk, 1)
    if not granted:
        return too_many_new(retry_after)
    try:
        dossier = _create(request, payload, agency, procedure, received, appointment)
    except Exception:
        limits.give_back(request.auth.pk, 1)
        raise
    return Status(201, dossier_detail(dossier))


def _create(request, payload: DossierIn, agency: Agency, procedure: Procedure, received, appointment) -> Dossier:
    return services.create_dossier(
        services.NewDossier(
            agency=agency,
            procedure=procedure,
            received_at=received,
            code=(payload.code or "").strip() or None,
            applicant=payload.applicant.strip(),
            phone=payload.phone,
            appointment_at=appointment,
        ),
        actor=request.auth.actor,
    )


@api.get("/v1/dossiers/{code}", response={200: DossierDetail, **ERR}, tags=["dossiers"])
def read_dossier(request, code: str):
    """One dossier with its timeline and every SMS (sent, or skipped with the reason)."""
    return dossier_detail(get_dossier(request, code))


class ListFilters(Schema):
    state: DossierState | None = None
    national_state: int | None = Field(None, ge=1, le=10)
    due: Day | None = Field(None, description="Ngày hẹn trả (yyyy-mm-dd)")
    late: bool | None = Field(None, description="true: chỉ hồ sơ trễ hạn")
    agency: Text | None = Field(None, max_length=3)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)  # beyond 64 bits the database driver raises (a 500)


@api.get("/v1/dossiers", response={200: Page, **ERR}, tags=["dossiers"])
def list_dossiers(request, filters: Query[ListFilters]):
    qs = visible(request.auth)
    state = filters.state or (DossierState.from_national(filters.national_state) if filters.national_state else None)
    if state:
        qs = qs.filter(state=state)
    if filters.agency:
        qs = qs.filter(agency__code=filters.agency)
    if filters.due:
        start = datetime.combine(filters.due, time.min, tzinfo=timezone.get_current_timezone())
        qs = qs.filter(appointment_at__gte=start, appointment_at__lt=start + timedelta(days=1))
    now = timezone.now()
    if filters.late is not None:
        late = Q(late_after__lt=now)  # Dossier.late_after: the on-time rule, waits included
        qs = qs.filter(late) if filters.late else qs.exclude(late)
    qs = qs.order_by("appointment_at", "pk")
    page = qs[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [dossier_out(d, now) for d in page]}


@api.post("/v1/dossiers/{code}/events", response={200: DossierDetail, 201: DossierDetail, **ERR}, tags=["dossiers"])
def post_event(request, code: str, payload: EventIn):
    """Chuyển bước, yêu cầu bổ sung, nhận bổ sung, hẹn lại, có kết quả, đã trả, rút, dừng.

    Gửi lại một sự kiện đã ghi nhận (cùng loại, cùng `at`, cùng bước) không thay đổi gì: trả về 200."""
    dossier = get_dossier(request, code)
    at, appointment = payload.at, payload.appointment_at
    if at is not None and is_repeat(dossier, payload.type, at, payload.step):
        # A client's retry after a lost answer, possibly behind later events: applying it again would move
        # the dossier back (a second "cần bổ sung" after the papers came in).
        return Status(200, dossier_detail(dossier))
    if at is not None and at > timezone.now() + timedelta(minutes=5):
        raise services.DossierError("at", "Thời điểm xảy ra ở tương lai")
    backdate = int(settings.MOTCUA_LIMITS["EVENT_BACKDATE_DAYS"])
    if at is not None and at < timezone.now() - timedelta(days=backdate):
        # A backdated event changes the on-time figure in reports: bounded, and the timeline shows both times.
        raise services.DossierError("at", f"Thời điểm xảy ra chỉ được lùi tối đa {backdate} ngày so với hiện tại")
    services.apply_event(
        dossier,
        payload.type,
        actor=request.auth.actor,
        at=at,
        step=payload.step,
        appointment_at=appointment,
        reason=payload.reason,
    )
    dossier.refresh_from_db()
    return Status(201, dossier_detail(dossier))


def is_repeat(dossier: Dossier, type: str, at, step: str | None) -> bool:
    events = dossier.events.filter(type=type, occurred_at=at)
    if type == DossierEvent.STEP_CHANGED:
        return any(same_step(e.step, step) for e in events.only("step"))
    return events.exists()


# --- DVCQG sync ------------------------------------------------------------------------------


class SyncIn(Schema):
    service: Literal["DongBoHoSoMC", "CapNhatTienDoHoSoMC"]
    isUpdating: bool | str | None = None  # the national field names
    data: list[Any] = Field(..., description="Tối đa MOTCUA_SYNC_MAX_RECORDS hồ sơ (mặc định 500); nhiều hơn: 413")


class SyncResult(Schema):
    index: int
    MaHoSo: str | None
    status: Literal["created", "updated", "unchanged", "rejected"]
    errors: list[ErrorItem] = []


class SyncOut(Schema):
    service: str
    accepted: int
    rejected: int
    results: list[SyncResult]


@api.post("/v1/dvcqg", response={200: SyncOut, **ERR}, tags=["dvcqg"])
def dvcqg_sync(request, payload: SyncIn):
    """The body your software already sends to the national portal (``DongBoHoSoMC`` or
    ``CapNhatTienDoHoSoMC``). Each record is answered on its own: created, updated, unchanged or rejected.

    Each record runs in its own savepoint: a record that fails in a way nobody foresaw is answered
    ``rejected`` with a reason, its half-written changes are rolled back, and the records after it still run
    (otherwise every retry would stop at the same record)."""
    key = request.auth
    if len(payload.data) > limits.max_records():
        return errors(413, [("data", f"Tối đa {limits.max_records()} hồ sơ mỗi lần gửi; "
                                     f"nhận được {len(payload.data)}: chia thành nhiều lần gửi")])
    reserved = _new_codes(payload) if payload.service == "DongBoHoSoMC" else 0
    granted, retry_after = limits.take(key.pk, reserved)
    if not granted:
        return too_many_new(retry_after)
    results = []
    for index, record in enumerate(payload.data):
        code = record.get("MaHoSo") if isinstance(record, dict) else None
        try:
            with transaction.atomic():
                if payload.service == "DongBoHoSoMC":
                    status = sync.apply_record(parse_record(record, now=timezone.now()), key)
                else:
                    status = sync.apply_progress(parse_progress(record, now=timezone.now()), key)
            results.append({"index": index, "MaHoSo": str(code), "status": status})
        except RecordError as e:
            results.append(_rejected(index, code, e.field, e.message))
        except services.DossierError as e:
            results.append(_rejected(index, code, e.field, e.message))
        except Exception:
            log.exception("dvcqg record failed index=%d code=%s key=%s", index, freetext.for_log(code), key.prefix)
            results.append(_rejected(index, code, "data[]", "Lỗi không mong đợi khi xử lý hồ sơ này; hồ sơ chưa được "
                                                            "ghi nhận, các hồ sơ khác vẫn được xử lý. Gửi lại sau."))
    created = sum(1 for r in results if r["status"] == "created")
    limits.give_back(key.pk, reserved - created)
    rejected = sum(1 for r in results if r["status"] == "rejected")
    return {"service": payload.service, "accepted": len(results) - rejected, "rejected": rejected, "results": results}


def _new_codes(payload: SyncIn) -> int:
    """How many records would create a dossier (codes we do not hold yet), counted before any is applied,
    so that a batch over the per-minute bound is refused whole instead of half-applied."""
    codes = set()
    for record in payload.data:
        code = record.get("MaHoSo") if isinstance(record, dict) else None
        if isinstance(code, (str, int)) and not isinstance(code, bool):
            text = str(code).strip()
            if text and len(text) <= 64 and freetext.problem(text) is None:
                codes.add(unicodedata.normalize("NFC", text))
    held = 0
    for chunk in (sorted(codes)[i:i + 500] for i in range(0, len(codes), 500)):
        held += Dossier.objects.filter(code__in=chunk).count()
    return len(codes) - held


def _rejected(index: int, code: Any, field: str, message: str) -> dict:
    return {
        "index": index,
        "MaHoSo": str(code) if code is not None else None,
        "status": "rejected",
        "errors": [{"field": field, "message": message}],
    }

