"""Giấy tiếp nhận hồ sơ và hẹn trả kết quả: the receipt the desk prints and hands to the citizen.

It lives at ``/tra-cuu/bien-nhan/<code>``, beside the public lookup its QR code opens, but only staff of
the dossier's agency (or the province administrator) may print it: anyone else gets "not found".
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from motcua.desk.access import desk_view, visible_dossiers
from motcua.domain.smstext import format_appointment_date
from motcua.lookup.public import lookup_url


def receipt_url(code: str) -> str:
    return reverse("receipt", kwargs={"code": code})


def qr_svg(data: str) -> str:
    """An inline ``<svg>`` QR code (no image file, prints sharply at any size)."""
    return segno.make(data, error="m", micro=False).svg_inline(scale=4, border=2, dark="#000", omitsize=True)


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


@desk_view()
@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    dossier = get_object_or_404(visible_dossiers(request.desk), code=code)
    conf = settings.MOTCUA
    url = lookup_url(dossier.code, dossier.access_code)
    received = timezone.localtime(dossier.received_at)
    context = {
        "dossier": dossier,
        "agency": dossier.agency,
        "agency_now": dossier.agency.current(),
        "received": f"{received:%H:%M} ngày {format_appointment_date(received)}",
        "appointment": format_appointment_date(dossier.appointment_at),
        "qr": mark_safe(qr_svg(url)),  # segno's own markup, no user input unescaped
        "lookup_url": url,
        "public_lookup": url.split("?", 1)[0],
        "sms_line": f"Tra cứu: soạn {conf['KEYWORD']} {dossier.code} gửi {conf['SHORT_CODE']} "
        f"({_money(int(conf['MO_PRICE']))} đ/tin)",
        "printed_on": format_appointment_date(timezone.localtime()),
    }
    response = render(request, "desk/receipt.html", context)
    response["Cache-Control"] = "no-store"  # the access code is on it
    response["Referrer-Policy"] = "no-referrer"
    return response
