"""Desk page for an agency's Zalo ZNS settings: on or off, and per notice kind the approved template and
which of our fields fills each of its parameters. The template page shows the result beside the SMS text."""

from __future__ import annotations

from datetime import date

from django import template
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.desk.access import agency_ids, desk_view, messages_of, visible_agencies, visible_messages
from motcua.desk.reports import bounds
from motcua.desk.views import KIND_LABELS, editable_agency
from motcua.domain.zns import FIELDS, ChannelFigures, MappingError, ZnsSavings, check_mapping, savings
from motcua.dossiers.models import Agency
from motcua.messaging import zns as zns_channel
from motcua.messaging.models import Channel, Message, Status, ZnsAgency, ZnsTemplate

NOTICE_KINDS = ("result", "supplement", "apology")
FIELD_LABELS = {
    "code": gettext_lazy("Mã hồ sơ"),
    "agency": gettext_lazy("Tên cơ quan"),
    "appointment_date": gettext_lazy("Ngày hẹn trả"),
    "lookup_link": gettext_lazy("Đường dẫn tra cứu"),
}


def rows(agency: Agency, data=None) -> list[dict]:
    saved = {t.kind: t for t in ZnsTemplate.objects.filter(agency=agency)}
    out = []
    for kind in NOTICE_KINDS:
        t = saved.get(kind)
        out.append({
            "kind": kind, "label": KIND_LABELS[kind],
            "template_id": data.get(f"{kind}-template_id", "") if data is not None else (t.template_id if t else ""),
            "fields": [(f, FIELD_LABELS[f], data.get(f"{kind}-{f}", "") if data is not None
                        else (t.params.get(f, "") if t else "")) for f in FIELDS],
        })
    return out


def save(agency: Agency, data) -> list[str]:
    """Store the settings; returns the problems (nothing is stored when there is one)."""
    errors: list[str] = []
    templates: dict[str, tuple[str, dict]] = {}
    for kind in NOTICE_KINDS:
        template_id = data.get(f"{kind}-template_id", "").strip()
        if not template_id:
            continue
        if not template_id.isdigit() or len(template_id) > 40:
            errors.append(_("“%(kind)s”: mã mẫu ZNS là một dãy số") % {"kind": KIND_LABELS[kind]})
            continue
        try:
            params = check_mapping({f: data.get(f"{kind}-{f}", "") for f in FIELDS})
        except MappingError:
            errors.append(_("“%(kind)s”: mỗi tham số của mẫu ZNS chỉ nhận một trường, và cần ít nhất một tham số")
                          % {"kind": KIND_LABELS[kind]})
            continue
        templates[kind] = (template_id, params)
    if errors:
        return errors
    with transaction.atomic():
        ZnsAgency.objects.update_or_create(agency=agency, defaults={"enabled": data.get("enabled") == "on"})
        ZnsTemplate.objects.filter(agency=agency).exclude(kind__in=list(templates)).delete()
        for kind, (template_id, params) in templates.items():
            ZnsTemplate.objects.update_or_create(agency=agency, kind=kind,
                                                 defaults={"template_id": template_id, "params": params})
    return []


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def zns_settings(request: HttpRequest) -> HttpResponse:
    who = request.desk
    agency = editable_agency(who, request.POST.get("agency") or request.GET.get("agency"))
    errors: list[str] = []
    if request.method == "POST":
        errors = save(agency, request.POST)
        if not errors:
            messages.success(request, _("Đã lưu cấu hình Zalo ZNS của %(agency)s.") % {"agency": agency.sms_name})
            return redirect(f"{reverse('desk:zns')}?agency={agency.pk}")
    setting = ZnsAgency.objects.filter(agency=agency).first()
    return render(request, "desk/zns.html", {
        "desk": who, "agency": agency, "errors": errors,
        "enabled": (request.POST.get("enabled") == "on") if errors else bool(setting and setting.enabled),
        "rows": rows(agency, request.POST if errors else None), "configured": zns_channel.configured(),
        "agencies": visible_agencies(who).filter(successor__isnull=True) if who.is_province_admin else None,
    }, status=422 if errors else 200)


register = template.Library()


@register.inclusion_tag("desk/zns_card.html")
def zns_card(agency: Agency, kind: str) -> dict:
    """The ZNS template of this agency and kind, shown beside the SMS text on the template page."""
    setting = ZnsAgency.objects.filter(agency=agency).first()
    t = ZnsTemplate.objects.filter(agency=agency, kind=kind).first()
    return {
        "agency": agency, "enabled": bool(setting and setting.enabled), "template": t,
        "params": [(FIELD_LABELS[f], t.params[f]) for f in FIELDS if t and f in t.params],
    }


def channel_figures(msgs: QuerySet[Message], channel: str) -> ChannelFigures:
    handed = Q(channel=channel, sent_at__isnull=False)
    row = msgs.aggregate(sent=Count("id", filter=handed), cost=Sum("cost", filter=handed),
                         delivered=Count("id", filter=Q(channel=channel, status=Status.DELIVERED)))
    return ChannelFigures(sent=row["sent"], delivered=row["delivered"], cost=row["cost"] or 0)


def zns_figures(msgs: QuerySet[Message], start: date, end: date) -> ZnsSavings:
    """Per channel over the period (messages created in it), and what the same notices would have cost as
    SMS only: each ZNS notice's SMS parts at the SMS price, each SMS at its own cost (so they cancel)."""
    lo, hi = bounds(start, end)
    msgs = msgs.filter(created_at__gte=lo, created_at__lt=hi)
    zns, sms = channel_figures(msgs, Channel.ZNS), channel_figures(msgs, Channel.SMS)
    tried = msgs.filter(channel=Channel.ZNS).exclude(status__in=[Status.QUEUED, Status.SENDING])
    zns_parts = tried.aggregate(parts=Sum("parts"))["parts"] or 0
    own_sms = msgs.filter(channel=Channel.SMS, fallback_of__isnull=True, sent_at__isnull=False)
    sms_only = zns_parts * settings.MOTCUA["PRICE_PER_PART"] + (own_sms.aggregate(c=Sum("cost"))["c"] or 0)
    fallbacks = msgs.filter(channel=Channel.SMS, fallback_of__isnull=False).count()
    return savings(zns, sms, zns_attempts=tried.count(), fallbacks=fallbacks, sms_only_cost=sms_only)


@register.inclusion_tag("desk/zns_report.html")
def zns_report(who, chosen: Agency | None, start: date, end: date) -> dict:
    """The ZNS section of the reports page, in the same scope as the rest of the page."""
    msgs = messages_of(agency_ids(chosen)) if chosen is not None else visible_messages(who)
    figures = zns_figures(msgs, start, end)
    rate = figures.fallback_rate
    return {"f": figures, "fallback_rate": None if rate is None else round(100 * rate, 1),
            "shown": figures.zns_attempts > 0 or zns_channel.configured()}
