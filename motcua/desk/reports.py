"""Report figures for a scope (some agencies or the whole province) and a date range.

Delivery rate is delivered ÷ handed to a telco (sent, delivered, undelivered, expired, failed):
skipped messages never left and queued ones have not yet, so they would only blur the rate.
On-time is the dossier's stored on-time status (supplement waits excused), judged at finishing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth
from django.utils import timezone

from motcua.domain.ontime import OnTime
from motcua.domain.states import FINISHED_STATES
from motcua.dossiers.models import Dossier
from motcua.messaging.models import IncomingMessage, Kind, Message, Status

HANDED_OVER = [Status.SENT, Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.FAILED, Status.TO_GATEWAY]


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Report:
    start: date
    end: date  # inclusive
    group: str  # "day" or "month"
    kinds: list[dict] = field(default_factory=list)  # per kind: total, by status, parts, cost, delivery rate
    statuses: list[tuple[str, str]] = field(default_factory=list)
    periods: list[dict] = field(default_factory=list)  # per day/month: messages, parts, cost, delivered, lookups
    totals: dict = field(default_factory=dict)
    lookups: dict = field(default_factory=dict)
    on_time: list[dict] = field(default_factory=list)  # per agency and procedure


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def build_report(
    messages: QuerySet[Message],
    incoming: QuerySet[IncomingMessage],
    dossiers: QuerySet[Dossier],
    start: date,
    end: date,
    group: str = "day",
) -> Report:
    lo, hi = bounds(start, end)
    report = Report(start=start, end=end, group=group, statuses=list(Status.choices))
    msgs = messages.filter(created_at__gte=lo, created_at__lt=hi)

    by_kind: dict[str, dict] = {}
    for row in msgs.values("kind", "status").annotate(n=Count("id"), parts=Sum("parts"), cost=Sum("cost")):
        entry = by_kind.setdefault(row["kind"], {"kind": row["kind"], "statuses": defaultdict(int),
                                                 "total": 0, "parts": 0, "cost": 0})
        entry["statuses"][row["status"]] += row["n"]
        entry["total"] += row["n"]
        entry["parts"] += row["parts"] or 0
        entry["cost"] += row["cost"] or 0
    labels = dict(Kind.choices)
    for kind in [k for k, _ in Kind.choices if k in by_kind]:
        entry = by_kind[kind]
        handed = sum(entry["statuses"][s] for s in HANDED_OVER)
        entry.update(label=labels[kind], handed=handed,
                     delivery_rate=rate(entry["statuses"][Status.DELIVERED], handed),
                     status_list=[entry["statuses"][s] for s, _ in Status.choices])
        report.kinds.append(entry)
    handed = sum(k["handed"] for k in report.kinds)
    delivered = sum(k["statuses"][Status.DELIVERED] for k in report.kinds)
    report.totals = {
        "messages": sum(k["total"] for k in report.kinds),
        "parts": sum(k["parts"] for k in report.kinds),
        "cost": sum(k["cost"] for k in report.kinds),
        "handed": handed,
        "delivered": delivered,
        "delivery_rate": rate(delivered, handed),
        "skipped": sum(k["statuses"][Status.SKIPPED] for k in report.kinds),
    }

    trunc = TruncMonth if group == "month" else TruncDay
    tz = timezone.get_current_timezone()
    periods: dict[date, dict] = {}
    for row in (msgs.annotate(p=trunc("created_at", tzinfo=tz)).values("p")
                .annotate(n=Count("id"), parts=Sum("parts"), cost=Sum("cost"),
                          delivered=Count("id", filter=Q(status=Status.DELIVERED)),
                          handed=Count("id", filter=Q(status__in=HANDED_OVER)))):
        key = _as_date(row["p"])
        periods[key] = {"period": key, "messages": row["n"], "parts": row["parts"] or 0, "cost": row["cost"] or 0,
                        "delivered": row["delivered"], "handed": row["handed"], "lookups": 0, "revenue": 0}
    mo = incoming.filter(received_at__gte=lo, received_at__lt=hi)
    for row in mo.annotate(p=trunc("received_at", tzinfo=tz)).values("p").annotate(n=Count("id"), revenue=Sum("price")):
        key = _as_date(row["p"])
        entry = periods.setdefault(key, {"period": key, "messages": 0, "parts": 0, "cost": 0, "delivered": 0,
                                         "handed": 0, "lookups": 0, "revenue": 0})
        entry["lookups"], entry["revenue"] = row["n"], row["revenue"] or 0
    peak = max([p["messages"] for p in periods.values()] + [1])
    for key in sorted(periods):
        entry = periods[key]
        entry["delivery_rate"] = rate(entry["delivered"], entry["handed"])
        entry["bar"] = round(100 * entry["messages"] / peak)
        report.periods.append(entry)

    totals = mo.aggregate(n=Count("id"), revenue=Sum("price"))
    outcomes = dict(mo.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    report.lookups = {"count": totals["n"] or 0, "revenue": totals["revenue"] or 0, "outcomes": outcomes}
    report.on_time = on_time_rows(dossiers, lo, hi)
    return report


def _as_date(value) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


def on_time_rows(dossiers: QuerySet[Dossier], lo: datetime, hi: datetime) -> list[dict]:
    """Đúng hạn / Trễ hạn of dossiers finished in the range, per agency and procedure. A finished
    dossier was late exactly when it has a ``late_after`` (the instant it turned late)."""
    finished = dossiers.filter(state__in=[s.value for s in FINISHED_STATES], finished_at__gte=lo, finished_at__lt=hi)
    rows = []
    for row in (finished.values(agency_code=F("agency__code"), agency_name=F("agency__sms_name"),
                                procedure_code=F("procedure__code"), procedure_name=F("procedure__name"))
                .annotate(on_time=Count("id", filter=Q(late_after__isnull=True)),
                          late=Count("id", filter=Q(late_after__isnull=False)))
                .order_by("agency_code", "procedure_code")):
        total = row["on_time"] + row["late"]
        rows.append({"agency": row["agency_code"], "agency_name": row["agency_name"],
                     "procedure": row["procedure_code"], "procedure_name": row["procedure_name"],
                     "on_time": row["on_time"], "late": row["late"], "total": total,
                     "rate": rate(row["on_time"], total)})
    return rows


def to_xlsx(report: Report, scope_label: str) -> bytes:
    """The same figures as the page, one sheet per table, for managers who file reports in Excel."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tin nhắn"
    ws.append([f"Báo cáo tin nhắn — {scope_label}", f"{report.start:%d/%m/%Y} – {report.end:%d/%m/%Y}"])
    ws.append(["Loại tin", *[str(label) for _, label in report.statuses], "Tổng", "Số tin (phần)", "Chi phí (đồng)",
               "Tỉ lệ đến máy (%)"])
    for k in report.kinds:
        ws.append([str(k["label"]), *k["status_list"], k["total"], k["parts"], k["cost"], k["delivery_rate"]])
    t = report.totals
    ws.append(["Tổng cộng", *[""] * len(report.statuses), t["messages"], t["parts"], t["cost"], t["delivery_rate"]])

    ws2 = wb.create_sheet("Theo thời gian")
    ws2.append(["Ngày" if report.group == "day" else "Tháng", "Tin nhắn", "Số phần", "Chi phí (đồng)",
                "Đã đến máy", "Tỉ lệ đến máy (%)", "Lượt tra cứu", "Doanh thu tra cứu (đồng)"])
    for p in report.periods:
        label = p["period"].strftime("%d/%m/%Y" if report.group == "day" else "%m/%Y")
        ws2.append([label, p["messages"], p["parts"], p["cost"], p["delivered"], p["delivery_rate"],
                    p["lookups"], p["revenue"]])

    ws3 = wb.create_sheet("Tra cứu")
    ws3.append(["Lượt tra cứu", report.lookups["count"]])
    ws3.append(["Doanh thu (đồng)", report.lookups["revenue"]])
    for outcome, n in sorted(report.lookups["outcomes"].items()):
        ws3.append([f"Kết quả: {outcome or '—'}", n])

    ws4 = wb.create_sheet(OnTime.ON_TIME.label)
    ws4.append(["Mã cơ quan", "Cơ quan", "Mã TTHC", "Thủ tục", OnTime.ON_TIME.label, OnTime.LATE.label, "Tổng",
                "Tỉ lệ đúng hạn (%)"])
    for r in report.on_time:
        ws4.append([r["agency"], r["agency_name"], r["procedure"], r["procedure_name"], r["on_time"], r["late"],
                    r["total"], r["rate"]])
    for sheet in wb.worksheets:
        for cell in sheet[1 if sheet is not ws else 2]:
            cell.font = Font(bold=True)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
