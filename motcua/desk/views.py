"""The staff desk: login, receiving, lists, the dossier page and its actions, template editor,
connections and reports. Every change goes through ``services.create_dossier``/``apply_event`` —
the code path the API and the DVCQG sync use — so the desk can never send an SMS the rules would not.
"""

from __future__ import annotations

import difflib
import re
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.common import ratelimit
from motcua.common.clients import client_address
from motcua.desk import audit, throttle
from motcua.desk import reports as report_lib
from motcua.desk.access import (
    agency_ids,
    desk_view,
    lookups_of,
    messages_of,
    visible_agencies,
    visible_dossiers,
    visible_messages,
)
from motcua.desk.forms import ReceiveForm, check_phone, parse_local, to_input
from motcua.desk.models import AuditAction, StaffProfile, TemplateVersion
from motcua.desk.receipt import receipt_url
from motcua.domain import figures, freetext, rules
from motcua.domain.ontime import OnTime
from motcua.domain.phones import InvalidPhone, normalise_phone
from motcua.domain.receipt_codes import DEFAULT_CODE_FORMAT, format_receipt_code, normalise_code
from motcua.domain.smstext import (
    ALLOWED_PLACEHOLDERS,
    DEFAULT_TEMPLATES,
    MESSAGE_KINDS,
    PH_AGENCY,
    PH_APPOINTMENT_DATE,
    PH_ON_TIME_STATUS,
    PH_RECEIPT_CODE,
    PH_STEP,
    TemplateError,
    estimate_cost,
    format_appointment_date,
    prepare_text,
    render_template,
    validate_template,
)
from motcua.domain.states import FINISHED_STATES, DossierState
from motcua.dossiers import services
from motcua.dossiers.models import ENCODING_POLICIES, Agency, ApiKey, Dossier, DossierEvent, Procedure
from motcua.messaging import outbox
from motcua.messaging.connections import build_transport, carriers_of, redact_text, split_urls
from motcua.messaging.models import BatchRun, IncomingMessage, Kind, Message, MessagePart, Status, Template

PAGE_SIZE = 50


# --- login ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    error, username = "", ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        ip = client_address(request)
        if throttle.is_locked(username, ip):
            error = throttle.locked_message()
        else:
            # No account name holds a control character; a NUL would make PostgreSQL raise (a 500).
            user = None if freetext.problem(username, max_length=150) else authenticate(
                request, username=username, password=password)
            if user is None:
                throttle.record_failure(username, ip)
                error = (throttle.locked_message() if throttle.is_locked(username, ip)
                         else _("Tên đăng nhập hoặc mật khẩu không đúng."))
            else:
                throttle.reset(username, ip)
                login(request, user)
                return redirect(next_url or "desk:list")
    status = 429 if error == throttle.locked_message() else 200
    return render(request, "desk/login.html", {"error": error, "username": username, "next": next_url},
                  status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("Đã đăng xuất."))
    return redirect("desk:login")


# --- lists ------------------------------------------------------------------------------------

FILTERS = {
    "": gettext_lazy("Tất cả"),
    "mai-den-han": gettext_lazy("Mai đến hạn, chưa có kết quả"),
    "tre-han": gettext_lazy("Trễ hạn"),
    "cho-bo-sung": gettext_lazy("Chờ bổ sung"),
    "cho-tra": gettext_lazy("Chờ trả kết quả"),
}
OPEN_STATES = [s.value for s in DossierState if s not in FINISHED_STATES]


def tomorrow_range(now: datetime) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(timezone.localtime(now).date() + timedelta(days=1), time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def filter_dossiers(qs, name: str, now: datetime):
    """The daily lists. "Mai đến hạn, chưa có kết quả" holds the dossiers still open and due tomorrow
    (``figures.is_due_without_result``): a withdrawn, stopped or rejected dossier waits for nothing."""
    if name == "mai-den-han":
        lo, hi = tomorrow_range(now)
        return qs.filter(appointment_at__gte=lo, appointment_at__lt=hi).exclude(
            state__in=[s.value for s in figures.NO_LONGER_DUE]).order_by("appointment_at", "pk")
    if name == "tre-han":  # still open and late by the on-time rule (Dossier.late_after)
        return qs.filter(state__in=OPEN_STATES, late_after__lt=now).order_by("appointment_at", "pk")
    if name == "cho-bo-sung":
        return qs.filter(state=DossierState.SUPPLEMENT_REQUESTED).order_by("appointment_at", "pk")
    if name == "cho-tra":
        return qs.filter(state=DossierState.RESULT_READY).order_by("finished_at", "pk")
    return qs.order_by("-received_at", "-pk")


def search_dossiers(qs, q: str):
    """A phone in any usual form (0912…, +84912…, 84912…) or (part of) a receipt code."""
    q = q.strip()
    if not q:
        return qs
    try:
        phone = normalise_phone(q).national
    except InvalidPhone:
        phone = None
    cond = Q(code__iexact=q) | Q(code__icontains=q)
    if phone:
        cond |= Q(phone=phone)
    return qs.filter(cond)


@desk_view()
@require_http_methods(["GET", "POST"])
def dossier_list(request: HttpRequest) -> HttpResponse:
    """The list, its tabs and its search. The search box posts, and its tabs and pages then post too,
    because it takes phone numbers: in a URL one would stay in proxies' access logs and browser history."""
    who = request.desk
    g = request.POST if request.method == "POST" else request.GET
    name = g.get("loc", "")
    if name not in FILTERS:
        name = ""
    now = timezone.now()
    q = request.POST.get("q", "").strip()[:64]
    qs = search_dossiers(filter_dossiers(visible_dossiers(who), name, now), q)
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("trang"))
    batch_day = timezone.localtime(now).date()
    rows = []
    for d in page:
        row = {"d": d, "late": d.on_time(now) == OnTime.LATE}
        if name == "mai-den-han":
            decision = rules.apology_decision(outbox.facts(d), batch_day)
            row["batch"] = decision
        rows.append(row)
    base = visible_dossiers(who)
    tabs = [(key, label, filter_dossiers(base, key, now).count() if key else None) for key, label in FILTERS.items()]
    return render(request, "desk/list.html", {
        "desk": who, "rows": rows, "page": page, "filters": FILTERS, "current": name, "q": q,
        "tabs": tabs, "batch_time": settings.MOTCUA["BATCH_TIME"], "example_code": example_code(who, now),
    })


def example_code(who, now: datetime) -> str:
    """A receipt code in the form this desk issues (agency, year, serial), for the search box's hint."""
    agency = who.agency.current().code if who.agency else "016"
    try:
        return format_receipt_code(settings.MOTCUA.get("RECEIPT_CODE_FORMAT") or DEFAULT_CODE_FORMAT, agency,
                                   timezone.localtime(now).year, 123)
    except ValueError:
        return format_receipt_code(DEFAULT_CODE_FORMAT, agency, timezone.localtime(now).year, 123)


# --- receiving --------------------------------------------------------------------------------


def procedures_for(who) -> tuple:
    """New dossiers are received only by agencies in force today: a retired agency's successor takes them."""
    today = timezone.localdate()
    qs = Procedure.objects.select_related("agency").filter(
        Q(agency__valid_to__isnull=True) | Q(agency__valid_to__gte=today)).filter(agency__successor__isnull=True)
    if not who.is_province_admin:
        qs = qs.filter(agency=who.agency)
    return qs.order_by("agency__code", "code")


@desk_view()
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest) -> HttpResponse:
    who = request.desk
    form = ReceiveForm(request.POST or None, procedures=procedures_for(who), show_agency=who.is_province_admin)
    if request.method == "POST" and form.is_valid():
        procedure: Procedure = form.cleaned_data["procedure"]
        try:
            dossier = services.create_dossier(
                services.NewDossier(
                    agency=procedure.agency, procedure=procedure, received_at=timezone.now(),
                    applicant=form.cleaned_data["applicant"].strip(), phone=form.cleaned_data["phone"],
                    source="desk",
                ),
                actor=who.actor,
            )
        except services.DossierError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            if form.cleaned_data["documents"]:  # printed on the receipt
                Dossier.objects.filter(pk=dossier.pk).update(documents=form.cleaned_data["documents"])
            messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s, hẹn trả %(appointment)s.") % {
                "code": dossier.code, "appointment": f"{timezone.localtime(dossier.appointment_at):%H:%M %d/%m/%Y}"})
            return redirect("desk:dossier", pk=dossier.pk)
    return render(request, "desk/receive.html", {"desk": who, "form": form})


@desk_view()
@require_POST
def phone_check(request: HttpRequest) -> JsonResponse:
    """For the on-the-spot check while typing; the server check on submit is the one that counts. The
    number comes in the body: in a URL it would stay in proxies' access logs."""
    raw = request.POST.get("phone", "").strip()[:64]
    if not raw:
        return JsonResponse({"ok": True, "national": ""})
    try:
        return JsonResponse({"ok": True, "national": check_phone(raw)})
    except ValidationError as e:
        return JsonResponse({"ok": False, "error": " ".join(e.messages)})


# --- the dossier page -------------------------------------------------------------------------


def timeline(dossier: Dossier) -> list[dict]:
    """Events in order, each with the SMS it caused; SMS without an event (apologies) at their own time."""
    msgs = list(dossier.messages.prefetch_related(
        Prefetch("remote_parts", queryset=MessagePart.objects.order_by("id"))).order_by("created_at", "id"))
    by_event: dict[int, list[Message]] = {}
    loose: list[Message] = []
    for m in msgs:
        (by_event.setdefault(m.event_id, []) if m.event_id else loose).append(m)
    events = list(dossier.events.order_by("occurred_at", "id"))
    names = actor_names({e.actor for e in events})
    items = [{"at": e.occurred_at, "event": e, "messages": by_event.get(e.pk, []), "actor": names.get(e.actor, e.actor),
              **event_labels(e)} for e in events]
    items += [{"at": m.created_at, "event": None, "messages": [m]} for m in loose]
    return sorted(items, key=lambda i: i["at"])


def actor_names(actors: set[str]) -> dict[str, str]:
    """How the timeline names who did something: a person's full name (and account), a key's name.
    The event log stores ``user:<username>`` and ``key:<prefix>``, which stay stable if a name changes."""
    users = {a.split(":", 1)[1] for a in actors if a.startswith("user:")}
    keys = {a.split(":", 1)[1] for a in actors if a.startswith("key:")}
    names: dict[str, str] = {}
    for user in get_user_model().objects.filter(username__in=users):
        full = f"{user.last_name} {user.first_name}".strip()  # Vietnamese order: family name first
        names[f"user:{user.username}"] = f"{full} ({user.username})" if full else user.username
    for key in ApiKey.objects.filter(prefix__in=keys).select_related("agency"):
        names[f"key:{key.prefix}"] = _("khóa API “%(name)s”") % {"name": key.name}
    if "demo" in actors:
        names["demo"] = _("dữ liệu mẫu")
    return names


def event_labels(event: DossierEvent) -> dict:
    """State names and the replaced appointment as staff read them, not as stored."""
    def label(state: str) -> str:
        try:
            return pgettext("dossier state", DossierState(state).label)
        except ValueError:
            return state

    before = event.data.get("appointment_before") if isinstance(event.data, dict) else None
    return {
        "before_label": label(event.state_before) if event.state_before else "",
        "after_label": label(event.state_after),
        "appointment_before": datetime.fromisoformat(before) if before else None,
    }


ACTIONS = {
    "step": (DossierEvent.STEP_CHANGED, gettext_lazy("Chuyển bước")),
    "supplement_requested": (DossierEvent.SUPPLEMENT_REQUESTED, gettext_lazy("Yêu cầu bổ sung")),
    "supplement_received": (DossierEvent.SUPPLEMENT_RECEIVED, gettext_lazy("Đã nhận bổ sung")),
    "rescheduled": (DossierEvent.RESCHEDULED, gettext_lazy("Hẹn lại ngày trả")),
    "result_ready": (DossierEvent.RESULT_READY, gettext_lazy("Có kết quả")),
    "returned": (DossierEvent.RETURNED, gettext_lazy("Đã trả kết quả")),
    "withdrawn": (DossierEvent.WITHDRAWN, gettext_lazy("Công dân rút hồ sơ")),
    "stopped": (DossierEvent.STOPPED, gettext_lazy("Dừng xử lý")),
}


def available_actions(dossier: Dossier) -> set[str]:
    state = dossier.state_enum
    if state == DossierState.RESULT_READY:
        return {"returned"}
    if state.is_closed:
        return set()
    if state == DossierState.SUPPLEMENT_REQUESTED:
        return {"supplement_received", "rescheduled", "withdrawn", "stopped"}
    return {"step", "supplement_requested", "rescheduled", "result_ready", "withdrawn", "stopped"}


def restarted_appointment(dossier: Dossier, at: datetime) -> datetime:
    """When the citizen brings the supplement, processing time starts again from that moment."""
    return services.work_calendar().appointment(at, Decimal(dossier.procedure.processing_days))


@desk_view()
@require_GET
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    who = request.desk
    dossier = get_object_or_404(visible_dossiers(who), pk=pk)
    now = timezone.now()
    return render(request, "desk/dossier.html", {
        "desk": who, "d": dossier, "items": timeline(dossier), "actions": available_actions(dossier),
        "steps": dossier.procedure.step_names(), "receipt_url": receipt_url(dossier.code),
        "on_time": dossier.on_time(now), "state_label": pgettext("dossier state", dossier.state_enum.label),
        "new_appointment": to_input(restarted_appointment(dossier, now)),
        "appointment_input": to_input(dossier.appointment_at),
    })


@desk_view()
@require_POST
def dossier_action(request: HttpRequest, pk: int) -> HttpResponse:
    who = request.desk
    dossier = get_object_or_404(visible_dossiers(who), pk=pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect("desk:dossier", pk=pk)
    event_type, label = ACTIONS[action]
    now = timezone.now()
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        appointment = parse_local(request.POST.get("appointment_at", ""))
        if action == "supplement_received" and appointment is None:
            appointment = restarted_appointment(dossier, now)
        if action == "rescheduled" and not reason:
            raise services.DossierError("reason", _("Cần ghi lý do hẹn lại (Phiếu xin lỗi và hẹn lại ngày trả)."))
        if action == "step" and request.POST.get("step", "") not in dossier.procedure.step_names():
            raise services.DossierError("step", _("Bước không thuộc quy trình của thủ tục này."))
        services.apply_event(
            dossier, event_type, who.actor, at=now, step=request.POST.get("step") if action == "step" else None,
            appointment_at=appointment if action in ("supplement_received", "rescheduled") else None,
            reason=reason,
        )
    except services.DossierError as e:
        messages.error(request, f"{label}: {e.message}")
    except ValidationError as e:  # a date the browser let through but we cannot read
        messages.error(request, f"{label}: {' '.join(e.messages)}")
    else:
        messages.success(request, _("%(action)s: đã cập nhật hồ sơ %(code)s.") % {"action": label, "code": dossier.code})
    return redirect("desk:dossier", pk=pk)


# --- templates --------------------------------------------------------------------------------

KIND_LABELS = dict(Kind.choices)


def sample_fields(agency: Agency) -> dict[str, str]:
    """Believable values so the preview has the length a real message will have."""
    today = timezone.localdate()
    return {
        PH_RECEIPT_CODE: f"{agency.code}{today:%y}00123",
        PH_AGENCY: agency.current().sms_name,
        PH_APPOINTMENT_DATE: format_appointment_date(today + timedelta(days=7)),
        PH_STEP: "Thẩm định hồ sơ",
        PH_ON_TIME_STATUS: OnTime.ON_TIME.label,
    }


def preview(agency: Agency, kind: str, text: str, dossier: Dossier | None = None) -> dict:
    """What the template editor shows: the errors, or the text as the phone will show it and its cost.
    With ``dossier``, the exact text that dossier's citizen would receive (the outbox's own rendering)."""
    try:
        validate_template(kind, text)
    except TemplateError as e:
        return {"ok": False, "errors": e.messages}
    policy = outbox.encoding_policy(agency)
    rendered = outbox.render_for(dossier, kind, text) if dossier else render_template(text, sample_fields(agency))
    body, parts = prepare_text(rendered, policy)  # type: ignore[arg-type]
    price = settings.MOTCUA["PRICE_PER_PART"]
    return {
        "ok": True, "text": body, "encoding": "GSM 7-bit" if parts.encoding == "gsm" else "UCS-2 (Unicode)",
        "units": parts.units, "parts": parts.parts, "cost": estimate_cost(parts.parts, price),
        "cost_text": figures.format_vnd(estimate_cost(parts.parts, price)), "price_per_part": price, "policy": policy,
        "dossier": dossier.code if dossier else "",
    }


def editable_agency(who, raw: str | None) -> Agency:
    agencies = visible_agencies(who)
    if not who.is_province_admin:
        return who.agency
    if raw and raw.isascii() and raw.isdigit() and len(raw) < 10:
        return get_object_or_404(agencies, pk=raw)
    first = agencies.filter(successor__isnull=True).first()
    if first is None:
        raise Http404(_("Chưa có cơ quan nào"))
    return first


def preview_dossier(who, agency: Agency, raw: str) -> tuple[Dossier | None, str]:
    """The agency's dossier with code ``raw`` for the preview, or why there is none."""
    raw = (raw or "").strip()[:64]
    if not raw:
        return None, ""
    found = visible_dossiers(who).filter(agency_id__in=agency_ids(agency), code=normalise_code(raw)).first()
    if found is None:
        return None, _("Không có hồ sơ mã %(code)s của cơ quan này.") % {"code": raw}
    return found, ""


def save_version(who, agency: Agency, kind: str, text: str, reverted_from: int | None = None) -> TemplateVersion:
    """Every change of a template is a new numbered version (text empty: back to the default)."""
    last = TemplateVersion.objects.filter(agency=agency, kind=kind).order_by("-number").first()
    if last is None:
        # The first recorded change: keep what was in force before it, so it can be reverted to.
        before = Template.objects.filter(agency=agency, kind=kind).values_list("text", flat=True).first() or ""
        last = TemplateVersion.objects.create(agency=agency, kind=kind, number=1, text=before, author="")
    return TemplateVersion.objects.create(agency=agency, kind=kind, number=last.number + 1, text=text,
                                          author=who.username, reverted_from=reverted_from)


def apply_text(who, agency: Agency, kind: str, text: str, reverted_from: int | None = None) -> None:
    with transaction.atomic():
        version = save_version(who, agency, kind, text, reverted_from)  # before the change: it keeps the old text
        if text:
            Template.objects.update_or_create(agency=agency, kind=kind, defaults={"text": text})
        else:
            Template.objects.filter(agency=agency, kind=kind).delete()
        action = (AuditAction.TEMPLATE_REVERTED if reverted_from else
                  AuditAction.TEMPLATE_SAVED if text else AuditAction.TEMPLATE_RESET)
        audit.record(who, action, f"{KIND_LABELS[kind]} v{version.number}", agency=agency, kind=kind,
                     version=version.number)


def version_rows(agency: Agency, kind: str) -> list[dict]:
    """Newest first, each with the line-by-line difference from the version before it."""
    versions = list(TemplateVersion.objects.filter(agency=agency, kind=kind).order_by("number"))
    rows = []
    previous = None
    for v in versions:
        old = (previous.text or DEFAULT_TEMPLATES[kind]) if previous else ""
        new = v.text or DEFAULT_TEMPLATES[kind]
        diff = [line for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "+-"]
        rows.append({"v": v, "diff": diff, "is_default": not v.text})
        previous = v
    return rows[::-1]


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def template_editor(request: HttpRequest) -> HttpResponse:
    who = request.desk
    agency = editable_agency(who, request.POST.get("agency") or request.GET.get("agency"))
    kind = request.POST.get("kind") or request.GET.get("kind") or "result"
    if kind not in MESSAGE_KINDS:
        kind = "result"
    here = f"{reverse('desk:templates')}?agency={agency.pk}&kind={kind}"
    custom = Template.objects.filter(agency=agency, kind=kind).first()
    text = custom.text if custom else DEFAULT_TEMPLATES[kind]
    errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("send_test"):
            return send_test(request, who, agency, kind, here)
        if request.POST.get("reset"):
            apply_text(who, agency, kind, "")
            messages.success(request, _("Đã dùng lại mẫu mặc định cho “%(kind)s”.") % {"kind": KIND_LABELS[kind]})
            return redirect(here)
        revert = request.POST.get("revert", "")
        if revert:
            version = get_object_or_404(TemplateVersion, agency=agency, kind=kind,
                                        number=int(revert) if revert.isascii() and revert.isdigit() and len(revert) < 9 else 0)
            try:
                if version.text:
                    validate_template(kind, version.text)
            except TemplateError as e:
                errors = e.messages
            else:
                apply_text(who, agency, kind, version.text, reverted_from=version.number)
                messages.success(request, _("Đã khôi phục phiên bản %(n)d của mẫu “%(kind)s”.") % {
                    "n": version.number, "kind": KIND_LABELS[kind]})
                return redirect(here)
        else:
            text = request.POST.get("text", "")
            try:
                validate_template(kind, text)
            except TemplateError as e:
                errors = e.messages
            else:
                if text != (custom.text if custom else None):
                    apply_text(who, agency, kind, text)
                messages.success(request, _("Đã lưu mẫu “%(kind)s” của %(agency)s.") % {"kind": KIND_LABELS[kind], "agency": agency.sms_name})
                return redirect(here)
    customised = set(Template.objects.filter(agency=agency).values_list("kind", flat=True))
    dossier, dossier_error = preview_dossier(who, agency, request.GET.get("ma", ""))
    my_phone = StaffProfile.objects.filter(user=request.user).values_list("phone", flat=True).first() or ""
    return render(request, "desk/templates.html", {
        "desk": who, "agency": agency, "kind": kind, "text": text, "errors": errors,
        "agencies": visible_agencies(who).filter(successor__isnull=True) if who.is_province_admin else None,
        "kinds": [(k, KIND_LABELS[k], k in customised) for k in MESSAGE_KINDS],
        "placeholders": sorted(ALLOWED_PLACEHOLDERS[kind]), "default": DEFAULT_TEMPLATES[kind],
        "is_custom": custom is not None, "preview": None if errors else preview(agency, kind, text, dossier),
        "preview_code": request.GET.get("ma", "")[:64], "dossier_error": dossier_error,
        "versions": version_rows(agency, kind), "my_phone": my_phone,
        "status": 422 if errors else 200,
    }, status=422 if errors else 200)


@desk_view(admin_only=True)
@require_POST
def template_preview(request: HttpRequest) -> JsonResponse:
    who = request.desk
    agency = editable_agency(who, request.POST.get("agency"))
    kind = request.POST.get("kind", "")
    if kind not in MESSAGE_KINDS:
        return JsonResponse({"ok": False, "errors": [_("Loại tin nhắn không hợp lệ")]}, status=400)
    dossier, error = preview_dossier(who, agency, request.POST.get("ma", ""))
    if error:
        return JsonResponse({"ok": False, "errors": [error]})
    return JsonResponse(preview(agency, kind, request.POST.get("text", ""), dossier))


def send_test(request: HttpRequest, who, agency: Agency, kind: str, here: str) -> HttpResponse:
    """Queue the agency's current template, with sample values, to the sender's own phone: a real
    message the worker sends like any other, marked as a test so that no figure counts it."""
    phone = StaffProfile.objects.filter(user=request.user).values_list("phone", flat=True).first() or ""
    if not phone:
        messages.error(request, _("Chưa có số điện thoại của bạn: hãy ghi số trong trang cá nhân trước khi gửi thử."))
        return redirect(here)
    limit = int(settings.MOTCUA_LIMITS["TEST_SENDS_PER_DAY"])
    sent, left = ratelimit.count(f"desk-test-send:{request.user.pk}", 24 * 3600)
    if sent > limit:
        messages.error(request, _("Bạn đã gửi thử %(limit)d tin trong 24 giờ; gửi tiếp được sau %(hours)d giờ nữa.")
                       % {"limit": limit, "hours": max(1, round(left / 3600))})
        return redirect(here)
    text = outbox.template_text(agency, kind)
    message = outbox.build_message(
        kind=kind, cause=f"{figures.TEST_CAUSE_PREFIX}{request.user.pk}:{uuid.uuid4().hex}", agency=agency,
        to=normalise_phone(phone).gateway, text=render_template(text, sample_fields(agency)),
    )
    message.save()
    audit.record(who, AuditAction.TEST_SENT, KIND_LABELS[kind], agency=agency, message=message.pk)
    messages.success(request, _("Đã xếp hàng tin gửi thử tới số của bạn. Theo dõi trong trang Tin nhắn."))
    return redirect(f"{reverse('desk:messages')}?loai={kind}")  # never a phone in a URL: URLs get logged


# --- connections and settings -----------------------------------------------------------------


def connection_rows(sms_url: str) -> list[dict]:
    """Configured connections without their secrets (a password in an smpp:// URL stays on the server)."""
    rows = []
    for url in split_urls(sms_url):
        parts = urlsplit(url)
        try:
            name, error = build_transport(url).name, ""
        except Exception as e:  # a bad URL is exactly what this page must show, without its secrets
            name, error = "", redact_text(str(e), url)
        rows.append({"name": name, "scheme": parts.scheme, "host": parts.hostname or "",
                     "port": parts.port or "", "carriers": ", ".join(sorted(carriers_of(url))), "error": error})
    return rows


ENCODING_LABELS = {"accented": gettext_lazy("Có dấu (UCS-2)"), "unaccented": gettext_lazy("Không dấu (GSM)")}


def encoding_label(policy: str) -> str:
    """The setting as staff read it ("Có dấu (UCS-2)"), not its stored value."""
    return str(ENCODING_LABELS.get(policy) or dict(ENCODING_POLICIES).get(policy, policy))


@desk_view(admin_only=True)
@require_GET
def connections(request: HttpRequest) -> HttpResponse:
    who = request.desk
    counts: dict[str, dict[str, int]] = {}
    for row in visible_messages(who).exclude(connection="").values("connection", "status").annotate(n=Count("id")):
        counts.setdefault(row["connection"], {})[row["status"]] = row["n"]
    waiting = visible_messages(who).filter(status__in=[Status.QUEUED, Status.SENDING]).count()
    conf = settings.MOTCUA
    setting_rows = [
        (_("Từ khóa tra cứu"), conf["KEYWORD"], "MOTCUA_KEYWORD"),
        (_("Đầu số"), conf["SHORT_CODE"], "MOTCUA_SHORT_CODE"),
        (_("Giá một tin tra cứu (đồng)"), figures.format_vnd(conf["MO_PRICE"]), "MOTCUA_MO_PRICE"),
        (_("Giá một phần tin gửi đi (đồng)"), figures.format_vnd(conf["PRICE_PER_PART"]), "MOTCUA_PRICE_PER_PART"),
        (_("Giờ yên lặng"), conf["QUIET_HOURS"] or _("không"), "MOTCUA_QUIET_HOURS"),
        (_("Giờ gửi tin xin lỗi"), conf["BATCH_TIME"], "MOTCUA_BATCH_TIME"),
        (_("Hạn chót gửi bù"), conf["BATCH_CUTOFF"], "MOTCUA_BATCH_CUTOFF"),
        (_("Kiểu tin nhắn mặc định"), encoding_label(conf["ENCODING_POLICY"]), "MOTCUA_ENCODING_POLICY"),
    ]
    return render(request, "desk/connections.html", {
        "desk": who, "connections": connection_rows(conf["SMS_URL"]),
        "statuses": Status.choices, "counts": [
            (name, [by.get(s, 0) for s, _label in Status.choices]) for name, by in sorted(counts.items())],
        "waiting": waiting, "settings_rows": setting_rows,
        "batches": BatchRun.objects.order_by("-day")[:7],
    })


# --- reports ----------------------------------------------------------------------------------


def report_params(request: HttpRequest, who) -> tuple:
    today = timezone.localdate()

    def day(name: str, default: date) -> date:
        try:
            value = date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return default
        if not 2000 <= value.year <= 2099:  # 0001-01-01 or 9999-12-31 would overflow local midnight in UTC
            raise BadRequest(f"'{name}': ngày ngoài khoảng 2000–2099")
        return value

    start = day("tu", today.replace(day=1))
    end = day("den", today)
    if end < start:
        start, end = end, start
    group = "month" if request.GET.get("theo") == "thang" else "day"
    agencies = visible_agencies(who)
    chosen = None
    if who.is_province_admin and request.GET.get("co_quan"):
        if not re.fullmatch(r"[0-9]{1,18}", request.GET["co_quan"]):  # an id; anything else made a 500
            raise BadRequest("'co_quan' không hợp lệ")
        chosen = get_object_or_404(agencies, pk=request.GET["co_quan"])
    elif not who.is_province_admin:
        chosen = who.agency
    return start, end, group, chosen


def build_for(who, chosen: Agency | None, start: date, end: date, group: str) -> report_lib.Report:
    msgs, mo, dossiers = visible_messages(who), IncomingMessage.objects.all(), visible_dossiers(who)
    if chosen is not None:
        ids = agency_ids(chosen)
        msgs = messages_of(ids)
        dossiers = Dossier.objects.filter(agency_id__in=ids)
        # A lookup belongs to the agency its reply was about: the reply carries that agency (its
        # encoding policy applied), and the same rule puts the reply in this agency's message figures.
        mo = lookups_of(ids)
    return report_lib.build_report(msgs, mo, dossiers, start, end, group)


@desk_view(admin_only=True)
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    who = request.desk
    start, end, group, chosen = report_params(request, who)
    report = build_for(who, chosen, start, end, group)
    peak_kind = max([k["total"] for k in report.kinds] + [1])
    for k in report.kinds:
        k["bar"] = round(100 * k["total"] / peak_kind)
    return render(request, "desk/reports.html", {
        "desk": who, "r": report, "chosen": chosen, "group": group,
        "agencies": visible_agencies(who) if who.is_province_admin else None,
        "query": request.GET.urlencode(),
    })


@desk_view(admin_only=True)
@require_GET
def report_xlsx(request: HttpRequest) -> HttpResponse:
    who = request.desk
    start, end, group, chosen = report_params(request, who)
    report = build_for(who, chosen, start, end, group)
    label = f"{chosen.code} {chosen.sms_name}" if chosen else _("Toàn tỉnh")
    response = HttpResponse(
        report_lib.to_xlsx(report, label),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    scope = chosen.code if chosen else "toan-tinh"
    response["Content-Disposition"] = f'attachment; filename="bao-cao-{scope}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
    return response
