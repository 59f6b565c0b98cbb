"""Giấy tiếp nhận hồ sơ và hẹn trả kết quả: the receipt the desk prints and hands to the citizen.

It lives at ``/tra-cuu/bien-nhan/<code>``, beside the public lookup its QR code opens, but only staff of
the dossier's agency (or the province administrator) may print it: anyone else gets "not found".
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from motcua.desk.access import desk_view, visible_dossiers
from motcua.domain.smstext import format_appointment_date
from motcua.dossiers.models import DossierEvent
from motcua.lookup.public import lookup_page_url, lookup_url

PAPER_SIZES = ("A4", "A5")


def receipt_url(code: str) -> str:
    return reverse("receipt", kwargs={"code": code})


def qr_svg(data: str) -> str:
    """An inline ``<svg>`` QR code (no image file, prints sharply at any size)."""
    return segno.make(data, error="m", micro=False).svg_inline(scale=4, border=2, dark="#000", omitsize=True)


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _long_time(value) -> str:
    """``10 giờ 00 phút, ngày 07/12/2026``, as Mẫu số 01 writes times."""
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {format_appointment_date(local)}"


def _place_and_date(value) -> str:
    local = timezone.localtime(value)
    place = settings.MOTCUA.get("PLACE_NAME") or ""
    return f"{place + ', ' if place else ''}ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def _receiver(dossier) -> str:
    """Who received the dossier at the desk (a user name from the event log), for the signature block."""
    event = dossier.events.filter(type=DossierEvent.CREATED).only("actor").first()
    actor = event.actor if event else ""
    if not actor.startswith("user:"):
        return ""
    User = get_user_model()
    user = User.objects.filter(username=actor.removeprefix("user:")).first()
    return (user.get_full_name() or user.get_username()) if user else ""


@desk_view()
@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    dossier = get_object_or_404(visible_dossiers(request.desk), code=code)
    conf = settings.MOTCUA
    url = lookup_url(dossier.code, dossier.access_code, request)
    paper = request.GET.get("kho", "A4").upper()
    documents = [d for d in (dossier.documents or []) if isinstance(d, dict) and d.get("name")]
    context = {
        "dossier": dossier,
        "agency": dossier.agency,
        "agency_now": dossier.agency.current(),
        "parent": dossier.agency.parent,
        "received": _long_time(dossier.received_at),
        "appointment": _long_time(dossier.appointment_at),
        "place_and_date": _place_and_date(dossier.received_at),
        "documents": documents,
        "copies": sum(int(d.get("copies") or 1) for d in documents),
        "days": f"{dossier.procedure.processing_days.normalize():f}",
        "receiver": _receiver(dossier),
        "paper": paper if paper in PAPER_SIZES else "A4",
        "qr": mark_safe(qr_svg(url)),  # segno's own markup, no user input unescaped
        "lookup_url": url,
        "public_lookup": lookup_page_url(request),
        "sms_line": f"Tra cứu: soạn {conf['KEYWORD']} {dossier.code} gửi {conf['SHORT_CODE']} "
        f"({_money(int(conf['MO_PRICE']))} đ/tin)",
        "printed_on": format_appointment_date(timezone.localtime()),
    }
    response = render(request, "desk/receipt.html", context)
    response["Cache-Control"] = "no-store"  # the access code is on it
    response["Referrer-Policy"] = "no-referrer"
    return response
