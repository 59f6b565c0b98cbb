"""The "Tin nhắn" page: every SMS of an agency findable, with its delivery reports per part or the
reason it was not sent, and the lookups (MO) received with their replies and charges; CSV and Excel
exports of the same search.

Phone numbers are personal data: the page shows them only to logged-in staff of the agency the
messages belong to (the scopes in ``access``); nothing here logs a number or a search term.
Exported cells holding text someone else supplied go through ``spreadsheet.safe_row``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from io import BytesIO, StringIO

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.desk.access import (
    DeskUser,
    agency_ids,
    desk_view,
    lookups_of,
    messages_of,
    visible_agencies,
    visible_messages,
)
from motcua.desk.reports import bounds
from motcua.domain import figures
from motcua.domain.phones import InvalidPhone, normalise_phone
from motcua.domain.receipt_codes import normalise_code
from motcua.domain.spreadsheet import safe_row
from motcua.dossiers.models import Agency
from motcua.lookup.replies import OUTCOMES
from motcua.messaging.models import IncomingMessage, Kind, Message, MessagePart, Status

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


@dataclass
class Search:
    phone: str = ""  # as typed
    code: str = ""
    status: str = ""
    kind: str = ""
    start: date | None = None
    end: date | None = None
    error: str = ""
    gateway: str = ""  # the phone in the form messages store it (84…)
    agency: Agency | None = None  # the province administrator's choice; others see their own agency only

    @property
    def is_empty(self) -> bool:
        return not (self.phone or self.code or self.status or self.kind or self.start or self.end or self.agency)


def read_search(request: HttpRequest, who: DeskUser) -> Search:
    """The search comes from the form (POST), so that a phone number is never in a URL, where access
    logs and browser history would keep it; a link may still carry the other fields."""
    g = request.POST if request.method == "POST" else request.GET
    s = Search(phone=request.POST.get("so", "").strip()[:32], code=g.get("ma", "").strip()[:64],
               status=g.get("trang_thai", ""), kind=g.get("loai", ""))
    if s.status not in dict(Status.choices):
        s.status = ""
    if s.kind not in dict(Kind.choices):
        s.kind = ""
    for name, attr in (("tu", "start"), ("den", "end")):
        try:
            value = date.fromisoformat(g.get(name, ""))
        except ValueError:
            value = None
        if value is not None and not 2000 <= value.year <= 2100:
            value = None
        setattr(s, attr, value)
    if s.phone:
        try:
            s.gateway = normalise_phone(s.phone).gateway
        except InvalidPhone as e:
            s.error = e.reason
    chosen = g.get("co_quan", "")
    if chosen and who.is_province_admin:
        s.agency = visible_agencies(who).filter(pk=int(chosen)).first() if chosen.isascii() and chosen.isdigit() \
            and len(chosen) < 19 else None
        if s.agency is None:
            s.error = _("Không có cơ quan này.")
    return s


def incoming_of(who: DeskUser, agency: Agency | None = None) -> QuerySet[IncomingMessage]:
    """Lookups belong to the agency their reply was about (the report's rule)."""
    qs = IncomingMessage.objects.select_related("reply", "reply__dossier")
    if who.is_province_admin and agency is None:
        return qs
    return qs & lookups_of(agency_ids(agency or who.agency))


def search_outgoing(who: DeskUser, s: Search) -> QuerySet[Message]:
    scope = messages_of(agency_ids(s.agency)) if s.agency else visible_messages(who)
    qs = scope.select_related("dossier").prefetch_related(
        Prefetch("remote_parts", queryset=MessagePart.objects.order_by("id")))
    if s.error:
        return qs.none()
    if s.gateway:
        qs = qs.filter(to=s.gateway)
    if s.code:
        qs = qs.filter(dossier__code=normalise_code(s.code))
    if s.status:
        qs = qs.filter(status=s.status)
    if s.kind:
        qs = qs.filter(kind=s.kind)
    if s.start or s.end:
        lo, hi = bounds(s.start or date(2000, 1, 1), s.end or timezone.localdate())
        qs = qs.filter(created_at__gte=lo, created_at__lt=hi)
    return qs.order_by("-created_at", "-id")


def search_incoming(who: DeskUser, s: Search) -> QuerySet[IncomingMessage]:
    qs = incoming_of(who, s.agency)
    if s.error or s.status or (s.kind and s.kind != Kind.LOOKUP_REPLY):
        return qs.none()  # a status or another kind describes outgoing messages only
    if s.gateway:
        qs = qs.filter(sender=s.gateway)
    if s.code:
        qs = qs.filter(Q(reply__dossier__code=normalise_code(s.code)) | Q(text__icontains=normalise_code(s.code)))
    if s.start or s.end:
        lo, hi = bounds(s.start or date(2000, 1, 1), s.end or timezone.localdate())
        qs = qs.filter(received_at__gte=lo, received_at__lt=hi)
    return qs.order_by("-received_at", "-id")


def national(gateway: str) -> str:
    """``84912345678`` → ``0912345678``, as staff write numbers."""
    return "0" + gateway[2:] if gateway.startswith("84") and len(gateway) == 11 else gateway


def local_time(value) -> str:
    return f"{timezone.localtime(value):%d/%m/%Y %H:%M:%S}" if value else ""


OUT_HEADER = ["Thời điểm tạo", "Loại tin", "Mã biên nhận", "Số điện thoại", "Nội dung", "Số phần",
              "Chi phí ước tính (đồng)", "Trạng thái", "Lý do không gửi", "Báo cáo từng phần", "Tin gửi thử"]
IN_HEADER = ["Thời điểm nhận", "Số gửi", "Đầu số", "Nội dung", "Cước (đồng)", "Kết quả", "Tin trả lời",
             "Trạng thái tin trả lời"]


def out_rows(qs: QuerySet[Message]) -> list[list[object]]:
    rows = []
    for m in qs[:EXPORT_LIMIT]:
        reports = "; ".join(f"{p.remote_id}: {p.get_status_display()}" for p in m.remote_parts.all())
        rows.append(safe_row([local_time(m.created_at), str(m.get_kind_display()), m.dossier.code if m.dossier else "",
                              national(m.to), m.text, m.parts, m.cost, str(m.get_status_display()), m.skip_reason,
                              reports, "x" if figures.is_test_cause(m.cause) else ""]))
    return rows


def in_rows(qs: QuerySet[IncomingMessage]) -> list[list[object]]:
    rows = []
    for mo in qs[:EXPORT_LIMIT]:
        reply = mo.reply
        rows.append(safe_row([local_time(mo.received_at), national(mo.sender), mo.recipient, mo.text, mo.price,
                              OUTCOMES.get(mo.outcome, mo.outcome), reply.text if reply else "",
                              str(reply.get_status_display()) if reply else ""]))
    return rows


def export(kind: str, out: list[list[object]], incoming: list[list[object]]) -> HttpResponse:
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    if kind == "csv":
        buf = StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8 (Vietnamese letters intact)
        w = csv.writer(buf)
        w.writerow(["Tin gửi đi"])
        w.writerow(OUT_HEADER)
        w.writerows(out)
        w.writerow([])
        w.writerow(["Tin tra cứu nhận được"])
        w.writerow(IN_HEADER)
        w.writerows(incoming)
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="tin-nhan-{stamp}.csv"'
        return response
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Tin gửi đi"
    ws.append(OUT_HEADER)
    for row in out:
        ws.append(row)
    ws2 = wb.create_sheet("Tin tra cứu")
    ws2.append(IN_HEADER)
    for row in incoming:
        ws2.append(row)
    for sheet in wb.worksheets:  # openpyxl would read a leading "=" as a formula: make each text a string
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    body = BytesIO()
    wb.save(body)
    response = HttpResponse(body.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="tin-nhan-{stamp}.xlsx"'
    return response


@desk_view()
@require_http_methods(["GET", "POST"])
def messages_page(request: HttpRequest) -> HttpResponse:
    who = request.desk
    s = read_search(request, who)
    g = request.POST if request.method == "POST" else request.GET
    outgoing, incoming = search_outgoing(who, s), search_incoming(who, s)
    fmt = g.get("xuat", "")
    if fmt in ("csv", "xlsx"):
        return export(fmt, out_rows(outgoing), in_rows(incoming))
    page = Paginator(outgoing, PAGE_SIZE).get_page(g.get("trang"))
    mo_page = Paginator(incoming, PAGE_SIZE).get_page(g.get("trang_mo"))
    return render(request, "desk/messages.html", {
        "desk": who, "s": s, "page": page, "mo_page": mo_page, "statuses": Status.choices, "kinds": Kind.choices,
        "agencies": visible_agencies(who).order_by("code") if who.is_province_admin else None,
        "test_prefix": figures.TEST_CAUSE_PREFIX,
        "no_search_hint": _("Tìm theo số điện thoại (0912…, +84…, số 11 chữ số cũ), mã biên nhận, trạng thái, loại tin và ngày."),
    }, status=200)
