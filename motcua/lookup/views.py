"""Pages: the public lookup ``/tra-cuu``, the printable receipt and the MO reconciliation report.

``/tra-cuu`` answers GET, not a POST form: a lookup changes nothing, so there is nothing for CSRF to
protect (a cross-site page can make the browser send a GET but cannot read the answer), and the QR
code printed on the receipt must open the answer directly. Because the access code then sits in the
URL, the answer is sent with ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from datetime import date

import segno
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from motcua.domain.smstext import format_appointment_date
from motcua.lookup import public, reports
from motcua.lookup.replies import find_dossier


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def chosen_language(request: HttpRequest) -> str | None:
    """``?lang=en`` from the public page's language links, if it names a configured language.

    The desk switches language by POSTing to Django's ``set_language`` (CSRF-protected); the public
    page carries no CSRF token on purpose, so it uses links instead. Setting a display-language
    cookie from a GET is harmless: it is a preference, not a change of any data.
    """
    lang = request.GET.get("lang", "")
    return lang if lang in dict(settings.LANGUAGES) else None


def lookup(request: HttpRequest) -> HttpResponse:
    """``/tra-cuu?code=…&access_code=…``: the form, and the answer when both codes are given."""
    lang = chosen_language(request)
    if lang:
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    code = request.GET.get("code", "").strip()[:100]
    access_code = request.GET.get("access_code", "").strip()[:100]
    context: dict = {"code": code, "access_code": access_code, "result": None, "error": ""}
    status = 200
    if "code" in request.GET or "access_code" in request.GET:
        wait = public.take_try(request)
        if wait:
            context["error"] = _(public.RATE_LIMITED_MESSAGE).format(seconds=wait)
            status = 429
        elif not code or not access_code:
            context["error"] = _(public.MISSING_MESSAGE)
            status = 400
        else:
            dossier = public.check(code, access_code)
            if dossier is None:
                context["error"] = _(public.NOT_FOUND_MESSAGE)
                status = 404
            else:
                context["result"] = public.public_status(dossier)
    response = render(request, "lookup/lookup.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    if lang:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return _private(response)


def lookup_url(code: str, access_code: str) -> str:
    """The public lookup URL printed as a QR code on the receipt."""
    base = str(settings.MOTCUA.get("PUBLIC_URL", "")).rstrip("/")
    return f"{base}/tra-cuu?{urlencode({'code': code, 'access_code': access_code})}"


def qr_svg(data: str) -> str:
    """An inline ``<svg>`` QR code (no image file, prints sharply at any size)."""
    return segno.make(data, error="m", micro=False).svg_inline(scale=4, border=2, dark="#000", omitsize=True)


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


@login_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả, for the desk to print and hand to the citizen.
    Staff of the dossier's agency (or the province administrator) only; anyone else gets "not found"."""
    from motcua.desk.access import can_view_dossier

    dossier = find_dossier(code)
    if dossier is None or not can_view_dossier(request.user, dossier):
        raise Http404(_("Không tìm thấy hồ sơ"))
    conf = settings.MOTCUA
    url = lookup_url(dossier.code, dossier.access_code)
    received = timezone.localtime(dossier.received_at)
    context = {
        "dossier": dossier,
        "agency": dossier.agency,
        "agency_now": dossier.agency.current(),
        "received": f"{received:%H:%M} ngày {format_appointment_date(received)}",
        "appointment": format_appointment_date(dossier.appointment_at),
        "qr": mark_safe(qr_svg(url)),  # noqa: S308 - segno's own markup, no user input unescaped
        "lookup_url": url,
        "public_lookup": url.split("?", 1)[0],
        "sms_line": f"Tra cứu: soạn {conf['KEYWORD']} {dossier.code} gửi {conf['SHORT_CODE']} "
        f"({_money(int(conf['MO_PRICE']))} đ/tin)",
        "printed_on": format_appointment_date(timezone.localtime()),
    }
    return _private(render(request, "lookup/receipt.html", context))


def _month(request: HttpRequest) -> date:
    raw = request.GET.get("month", "")
    try:
        return reports.parse_month(raw)
    except ValueError:
        today = timezone.localdate()
        return today.replace(day=1)


@staff_member_required
def mo_report(request: HttpRequest) -> HttpResponse:
    """Monthly MO reconciliation (per short code and connection), with CSV and Excel downloads."""
    month = _month(request)
    report = reports.mo_report(month)
    fmt = request.GET.get("format", "")
    if fmt == "csv":
        response = HttpResponse(reports.to_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{report.filename}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            reports.to_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{report.filename}.xlsx"'
        return response
    return render(request, "lookup/mo_report.html", {"report": report, "month": f"{month:%Y-%m}"})
