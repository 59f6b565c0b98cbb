"""Pages: the public lookup ``/tra-cuu`` and the MO reconciliation report.

``/tra-cuu`` answers GET, not a POST form: a lookup changes nothing, so there is nothing for CSRF to
protect (a cross-site page can make the browser send a GET but cannot read the answer), and the QR
code printed on the receipt must open the answer directly. Because the access code then sits in the
URL, the answer is sent with ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.lookup import public, reports


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


def _use_language(request: HttpRequest) -> str | None:
    lang = chosen_language(request)
    if lang:
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    return lang


def _remember_language(response: HttpResponse, lang: str | None) -> None:
    if lang:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico`` for clients that ask for it without reading the pages' ``<link rel=icon>``."""
    path = finders.find("motcua/favicon.svg")
    response = FileResponse(open(path, "rb"), content_type="image/svg+xml")  # noqa: SIM115 (closed by Django)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def api_quickstart(request: HttpRequest) -> HttpResponse:
    """``/api/huong-dan``: a one-page quick start for vendors, linked from the API docs."""
    lang = _use_language(request)
    context = {"base": public.public_base(request), "docs_url": "/api/docs", "openapi_url": "/api/openapi.json"}
    response = render(request, "motcua/api_quickstart.html", context)
    _remember_language(response, lang)
    return response


def home(request: HttpRequest) -> HttpResponse:
    """``/``: what the service is, the lookup form, SMS lookup, the agencies' desks, and the staff door."""
    lang = _use_language(request)
    agencies = public.agencies_for_public()
    context = {"agencies": agencies, "example_code": _example_code(agencies[0].code if agencies else "016")}
    response = render(request, "lookup/home.html", context)
    _remember_language(response, lang)
    return response


def _example_code(agency: str) -> str:
    """A receipt code in the format this province issues, for the SMS example."""
    year = timezone.localdate().year
    try:
        return settings.MOTCUA["RECEIPT_CODE_FORMAT"].format(agency=agency, yy=f"{year % 100:02d}", yyyy=year, serial=1)
    except (KeyError, ValueError, IndexError):
        return "0162600001"


def _answer(request: HttpRequest, dossier) -> dict:
    view = public.citizen_view(dossier)
    place = view.place
    place_name = _(public.DESK_PLACE).format(agency=place.name)
    sentence = _(view.sentence_id).format(
        place=place_name, appointment=view.appointment, step=view.status.current_step)
    late = ""
    if view.late:
        late = (_(public.LATE_SENTENCE).format(hotline=place.hotline) if place.hotline
                else _(public.LATE_SENTENCE_NO_HOTLINE))
    return {"result": view.status, "view": view, "sentence": sentence, "late_sentence": late,
            "place_name": place_name}


def lookup_qr(request: HttpRequest, token: str) -> HttpResponse:
    """``/tra-cuu/qr/<token>``: what the receipt's QR code opens — the answer, without typing the codes."""
    lang = _use_language(request)
    dossier = public.check_qr_token(token)
    context: dict = {"code": "", "access_code": "", "result": None, "error": ""}
    status = 200
    if dossier is None:
        context |= {"error": _(public.NOT_FOUND_MESSAGE), "not_found": True}
        status = 404
    else:
        context |= {"code": dossier.code, **_answer(request, dossier)}
    response = render(request, "lookup/lookup.html", context, status=status)
    _remember_language(response, lang)
    return _private(response)


def lookup(request: HttpRequest) -> HttpResponse:
    """``/tra-cuu?code=…&access_code=…``: the form, and the answer when both codes are given."""
    lang = _use_language(request)
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
                context["not_found"] = True
                status = 404
            else:
                context |= _answer(request, dossier)
    response = render(request, "lookup/lookup.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    _remember_language(response, lang)
    return _private(response)


def _month(request: HttpRequest) -> date:
    """The month asked for (ValueError if it cannot be read), or this month."""
    raw = request.GET.get("month", "")
    return reports.parse_month(raw) if raw.strip() else timezone.localdate().replace(day=1)


def mo_report(request: HttpRequest) -> HttpResponse:
    """Monthly MO reconciliation (per short code and connection), with CSV and Excel downloads. Routed
    in motcua/urls.py behind the desk's province-administrator check (this package sits below the desk)."""
    try:
        month = _month(request)
    except ValueError as e:
        return HttpResponse(str(e), status=400, content_type="text/plain; charset=utf-8")
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
