"""Report figures for a scope (some agencies or the whole province) and a date range.

The rows come from the database; every figure is computed by ``motcua.domain.figures``, the one
definition the page, the Excel file and the tests share (what counts for on-time, delivery, lookups).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO

from django.db.models import QuerySet
from django.utils import timezone

from motcua.domain import figures
from motcua.domain.ontime import OnTime
from motcua.domain.spreadsheet import safe_row
from motcua.dossiers.models import Dossier
from motcua.messaging.models import IncomingMessage, Kind, Message, Status

HANDED_OVER = list(figures.HANDED_OVER)
rate = figures.rate


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
    on_time_total: figures.OnTimeFigure | None = None


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def message_rows(messages: QuerySet[Message]) -> list[tuple[datetime, figures.MessageRow]]:
    return [(created, figures.MessageRow(kind, status, parts, cost, cause, channel, first or ""))
            for created, kind, status, parts, cost, cause, channel, first in messages.values_list(
                "created_at", "kind", "status", "parts", "cost", "cause", "channel", "fallback_of__cause",
            ).order_by()]


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
    status_keys = [s for s, _ in Status.choices]
    rows = message_rows(messages.filter(created_at__gte=lo, created_at__lt=hi))
    figs = figures.message_figures((r for _, r in rows), [k for k, _ in Kind.choices])
    labels = dict(Kind.choices)
    for k in figs.kinds:
        report.kinds.append({
            "kind": k.kind, "label": labels.get(k.kind, k.kind), "statuses": k.statuses, "total": k.total,
            "parts": k.parts, "cost": k.cost, "handed": k.handed, "delivery_rate": k.delivery_rate,
            "status_list": figs.status_list(k, status_keys),
        })
    t = figs.totals
    report.totals = {
        "messages": t.total, "parts": t.parts, "cost": t.cost, "handed": t.handed, "delivered": t.delivered,
        "delivery_rate": t.delivery_rate, "skipped": t.statuses.get(figures.SKIPPED, 0),
        "status_list": figs.status_list(t, status_keys),
    }

    def period_of(when: datetime) -> date:
        day = timezone.localtime(when).date()
        return day.replace(day=1) if group == "month" else day

    by_period: dict[date, list[figures.MessageRow]] = {}
    for created, row in rows:
        by_period.setdefault(period_of(created), []).append(row)
    mo = list(incoming.filter(received_at__gte=lo, received_at__lt=hi).values_list("received_at", "price", "outcome")
              .order_by())
    mo_by_period: dict[date, list[int]] = {}
    for received, price, _outcome in mo:
        mo_by_period.setdefault(period_of(received), []).append(price)
    periods = []
    for key in sorted(set(by_period) | set(mo_by_period)):
        p = figures.message_figures(by_period.get(key, [])).totals
        lk = figures.lookup_figure(mo_by_period.get(key, []))
        periods.append({"period": key, "messages": p.total, "parts": p.parts, "cost": p.cost,
                        "delivered": p.delivered, "handed": p.handed, "delivery_rate": p.delivery_rate,
                        "lookups": lk.count, "revenue": lk.revenue})
    peak = max([p["messages"] for p in periods] + [1])
    for p in periods:
        p["bar"] = round(100 * p["messages"] / peak)
    report.periods = periods

    lk = figures.lookup_figure(price for _, price, _ in mo)
    outcomes: dict[str, int] = {}
    for _received, _price, outcome in mo:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    report.lookups = {"count": lk.count, "revenue": lk.revenue, "charged": lk.charged, "outcomes": outcomes}
    report.on_time, report.on_time_total = on_time_rows(dossiers, lo, hi)
    return report


def on_time_rows(dossiers: QuerySet[Dossier], lo: datetime, hi: datetime) -> tuple[list[dict], figures.OnTimeFigure]:
    """Đúng hạn / Trễ hạn of dossiers finished in the range, per agency and procedure (see
    ``figures.on_time_figure`` for what counts). A finished dossier was late exactly when it has a
    ``late_after`` (the instant it turned late)."""
    finished = dossiers.filter(state__in=list(figures.ON_TIME_COUNTED), finished_at__gte=lo, finished_at__lt=hi)
    groups: dict[tuple, list[figures.FinishedDossier]] = {}
    everything: list[figures.FinishedDossier] = []
    for a_code, a_name, p_code, p_name, state, late_after in finished.values_list(
            "agency__code", "agency__sms_name", "procedure__code", "procedure__name", "state", "late_after").order_by():
        fact = figures.FinishedDossier(state, late_after is not None)
        groups.setdefault((a_code, a_name, p_code, p_name), []).append(fact)
        everything.append(fact)
    rows = []
    for (a_code, a_name, p_code, p_name) in sorted(groups):
        fig = figures.on_time_figure(groups[(a_code, a_name, p_code, p_name)])
        rows.append({"agency": a_code, "agency_name": a_name, "procedure": p_code, "procedure_name": p_name,
                     "on_time": fig.on_time, "late": fig.late, "total": fig.total, "rate": fig.rate})
    return rows, figures.on_time_figure(everything)


def to_xlsx(report: Report, scope_label: str) -> bytes:
    """The same figures as the page, one sheet per table, for managers who file reports in Excel.
    Text from outside (procedure names, agency names) goes through ``safe_row``: never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tin nhắn"
    ws.append(safe_row([f"Báo cáo tin nhắn — {scope_label}", f"{report.start:%d/%m/%Y} – {report.end:%d/%m/%Y}"]))
    ws.append(["Loại tin", *[str(label) for _, label in report.statuses], "Tổng", "Số tin (phần)",
               "Chi phí ước tính (đồng)", "Tỉ lệ đến máy (%)"])
    for k in report.kinds:
        ws.append([str(k["label"]), *k["status_list"], k["total"], k["parts"], k["cost"], k["delivery_rate"]])
    t = report.totals
    ws.append(["Tổng cộng", *t["status_list"], t["messages"], t["parts"], t["cost"], t["delivery_rate"]])

    ws2 = wb.create_sheet("Theo thời gian")
    ws2.append(["Ngày" if report.group == "day" else "Tháng", "Tin nhắn", "Số phần", "Chi phí ước tính (đồng)",
                "Đã đến máy", "Tỉ lệ đến máy (%)", "Lượt tra cứu", "Doanh thu tra cứu (đồng)"])
    for p in report.periods:
        label = p["period"].strftime("%d/%m/%Y" if report.group == "day" else "%m/%Y")
        ws2.append([label, p["messages"], p["parts"], p["cost"], p["delivered"], p["delivery_rate"],
                    p["lookups"], p["revenue"]])

    ws3 = wb.create_sheet("Tra cứu")
    ws3.append(["Lượt tra cứu", report.lookups["count"]])
    ws3.append(["Doanh thu (đồng)", report.lookups["revenue"]])
    for outcome, n in sorted(report.lookups["outcomes"].items()):
        ws3.append(safe_row([f"Kết quả: {outcome or '—'}", n]))

    ws4 = wb.create_sheet(OnTime.ON_TIME.label)
    ws4.append(["Mã cơ quan", "Cơ quan", "Mã TTHC", "Thủ tục", OnTime.ON_TIME.label, OnTime.LATE.label, "Tổng",
                "Tỉ lệ đúng hạn (%)"])
    for r in report.on_time:
        ws4.append(safe_row([r["agency"], r["agency_name"], r["procedure"], r["procedure_name"], r["on_time"],
                             r["late"], r["total"], r["rate"]]))
    if report.on_time_total is not None and report.on_time:
        o = report.on_time_total
        ws4.append(["Tổng cộng", "", "", "", o.on_time, o.late, o.total, o.rate])
    for sheet in wb.worksheets:
        for cell in sheet[1 if sheet is not ws else 2]:
            cell.font = Font(bold=True)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
