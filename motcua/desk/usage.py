"""Monthly usage per agency (SMS parts, their estimated cost, lookups and their revenue) and the
reconciliation with the telco's monthly statement, line by line.

The statement is read in memory, checked (size, encoding, columns, each line) and never stored; a
file that cannot be read is answered with the reasons, never with an error page."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.desk.access import DeskUser, agency_ids, desk_view, lookups_of, messages_of, visible_agencies
from motcua.desk.audit import record
from motcua.desk.models import AuditAction
from motcua.desk.reports import bounds
from motcua.domain import figures
from motcua.messaging.models import IncomingMessage, Message

MAX_UPLOAD = 2 * 1024 * 1024  # a province's monthly statement is a few hundred lines


def month_start(raw: str, default: date) -> date:
    month = figures.parse_month(raw or "")
    return date(int(month[:4]), int(month[5:]), 1) if month else default


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def usage_for(who: DeskUser, start: date, end: date) -> list[figures.Usage]:
    """From the first day of ``start``'s month to the last day of ``end``'s month, per agency code."""
    lo = bounds(start, start)[0]
    hi = bounds(next_month(end), next_month(end))[0]
    if who.is_province_admin:
        msgs = Message.objects.all()
        mo = IncomingMessage.objects.all()
    else:
        ids = agency_ids(who.agency)
        msgs = messages_of(ids)
        mo = lookups_of(ids)
    out_rows = []
    for code, dossier_code, created, kind, status, parts, cost, cause, channel, first in (
            msgs.filter(created_at__gte=lo, created_at__lt=hi)
            .values_list("agency__code", "dossier__agency__code", "created_at", "kind", "status", "parts", "cost",
                         "cause", "channel", "fallback_of__cause").order_by().iterator()):
        out_rows.append((code or dossier_code or "—", timezone.localtime(created),
                         figures.MessageRow(kind, status, parts, cost, cause, channel, first or "")))
    in_rows = [(code or dossier_code or "—", timezone.localtime(received), price)
               for code, dossier_code, received, price in mo.filter(received_at__gte=lo, received_at__lt=hi)
               .values_list("reply__agency__code", "reply__dossier__agency__code", "received_at", "price")
               .order_by().iterator()]
    return figures.monthly_usage(out_rows, in_rows)


def read_upload(upload) -> tuple[str | None, str]:
    """The statement's text, or why it cannot be read."""
    if upload is None:
        return None, _("Chưa chọn tệp.")
    if upload.size > MAX_UPLOAD:
        return None, _("Tệp lớn quá %(mb)d MB.") % {"mb": MAX_UPLOAD // (1024 * 1024)}
    raw = upload.read(MAX_UPLOAD + 1)
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, ""
    return None, _("Tệp không phải CSV dạng văn bản (UTF-8).")


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def usage_page(request: HttpRequest) -> HttpResponse:
    who = request.desk
    today = timezone.localdate()
    this_month = today.replace(day=1)
    start = month_start(request.GET.get("tu", ""), date(this_month.year - (this_month.month <= 5),
                                                           (this_month.month - 6) % 12 + 1, 1))
    end = month_start(request.GET.get("den", ""), this_month)
    if end < start:
        start, end = end, start
    usage = usage_for(who, start, end)
    codes = set(visible_agencies(who).values_list("code", flat=True))
    diffs: list[figures.Difference] | None = None
    problems: list[figures.StatementProblem] = []
    error, ignored = "", 0
    status = 200
    if request.method == "POST":
        text, error = read_upload(request.FILES.get("tep"))
        if text is not None:
            lines, problems = figures.parse_statement(text)
            if not who.is_province_admin:
                ignored = sum(1 for u in lines if u.agency not in codes)
                lines = [u for u in lines if u.agency in codes]
            months = {u.month for u in lines}
            if months:
                first = min(months)
                last = max(months)
                theirs_usage = usage_for(who, date(int(first[:4]), int(first[5:]), 1),
                                         date(int(last[:4]), int(last[5:]), 1))
                ours = [figures.UsageLine(u.agency, u.month, u.parts, u.lookups) for u in theirs_usage
                        if u.month in months]
                diffs = figures.reconcile(ours, lines)
            else:
                diffs = []
            record(who, AuditAction.TELCO_UPLOADED, request.FILES["tep"].name[:120], lines=len(lines),
                   problems=len(problems))
        if error or (problems and not diffs):
            status = 422
    return render(request, "desk/usage.html", {
        "desk": who, "usage": usage, "start": start, "end": end, "diffs": diffs, "problems": problems[:200],
        "more_problems": max(0, len(problems) - 200), "error": error, "ignored": ignored,
        "mo_price": settings.MOTCUA["MO_PRICE"], "columns": figures.TELCO_COLUMNS,
        "mismatches": sum(1 for d in diffs if not d.matches) if diffs else 0,
    }, status=status)
