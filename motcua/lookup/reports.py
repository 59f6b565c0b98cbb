"""Monthly reconciliation of charged MO messages with the telco.

The telco bills the sender for each MO sent to the short code and pays the service provider its
share; each month both sides compare counts and amounts. Rows are per short code (the MO's
recipient) and connection, with the count, the amount (sum of the price recorded on each MO) and the
outcomes. The month is a calendar month in Vietnam time, as the telco's statement is.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum

from motcua.domain.spreadsheet import safe_row
from motcua.lookup.replies import OUTCOMES
from motcua.messaging.models import IncomingMessage

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
OTHER = "other"
OUTCOME_COLUMNS: list[tuple[str, str]] = [*OUTCOMES.items(), (OTHER, "Khác")]
HEADERS = ["Đầu số", "Kết nối", "Số tin", "Thành tiền (đ)", *(label for _, label in OUTCOME_COLUMNS)]


@dataclass
class ReportRow:
    short_code: str
    connection: str
    count: int = 0
    amount: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def cells(self) -> list[object]:
        return [
            self.short_code,
            self.connection,
            self.count,
            self.amount,
            *(self.outcomes.get(key, 0) for key, _ in OUTCOME_COLUMNS),
        ]


@dataclass
class MOReport:
    month: date
    rows: list[ReportRow]

    @property
    def total(self) -> ReportRow:
        total = ReportRow("Tổng cộng", "")
        for row in self.rows:
            total.count += row.count
            total.amount += row.amount
            for key, n in row.outcomes.items():
                total.outcomes[key] = total.outcomes.get(key, 0) + n
        return total

    @property
    def filename(self) -> str:
        return f"doi-soat-mo-{self.month:%Y-%m}"


def parse_month(raw: str) -> date:
    """``2026-11`` (or ``11/2026``) → 1 November 2026; ValueError otherwise."""
    text = (raw or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text) or re.fullmatch(r"(\d{1,2})/(\d{4})", text)
    if not match:
        raise ValueError(f"Tháng không hợp lệ: {raw!r} (cần dạng 2026-11)")
    a, b = match.groups()
    year, month = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
    if not 1 <= month <= 12 or not 2000 <= year <= 2099:  # 9999-12 would overflow the month's end
        raise ValueError(f"Tháng không hợp lệ: {raw!r} (cần dạng 2026-11, năm 2000–2099)")
    return date(year, month, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first instant, first instant of next month) in Vietnam time."""
    start = datetime.combine(month.replace(day=1), time(), tzinfo=LOCAL)
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime.combine(nxt, time(), tzinfo=LOCAL)


def mo_report(month: date) -> MOReport:
    """One grouped query over the month's MO (indexed on ``received_at``)."""
    start, end = month_bounds(month)
    grouped = (
        IncomingMessage.objects.filter(received_at__gte=start, received_at__lt=end)
        .values("recipient", "connection", "outcome")
        .annotate(n=Count("id"), amount=Sum("price"))
        .order_by("recipient", "connection", "outcome")
    )
    rows: dict[tuple[str, str], ReportRow] = {}
    for item in grouped:
        row = rows.setdefault(
            (item["recipient"], item["connection"]), ReportRow(item["recipient"], item["connection"])
        )
        outcome = item["outcome"] if item["outcome"] in OUTCOMES else OTHER
        row.count += item["n"]
        row.amount += item["amount"] or 0
        row.outcomes[outcome] = row.outcomes.get(outcome, 0) + item["n"]
    return MOReport(month, list(rows.values()))


def table_rows(report: MOReport) -> list[list[object]]:
    """Header, one row per short code and connection, and the total."""
    return [HEADERS, *(row.cells() for row in report.rows), report.total.cells()]


def export_rows(report: MOReport) -> list[list[object]]:
    """:func:`table_rows` for a spreadsheet: the short code and connection come from the gateway (an
    MO's ``to``, Kannel's ``conn``), so a text that a spreadsheet would run as a formula stays text."""
    return [safe_row(row) for row in table_rows(report)]


def to_csv(report: MOReport) -> str:
    """CSV with a BOM, so Excel opens the Vietnamese headers as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerows(export_rows(report))
    return out.getvalue()


def to_xlsx(report: MOReport) -> bytes:
    """An Excel workbook, numbers as numbers (the telco's statement is compared by formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"MO {report.month:%m-%Y}"
    sheet.append([f"Đối soát tin nhắn tra cứu (MO) tháng {report.month:%m/%Y}"])
    sheet["A1"].font = Font(bold=True)
    for index, cells in enumerate(export_rows(report)):
        sheet.append(cells)
        if index == 0 or index == len(report.rows) + 1:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (10, 18, 10, 16, 14, 18, 14, 14), strict=False):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_table(report: MOReport) -> str:
    """Plain text table for the console."""
    rows = [[str(c) for c in r] for r in table_rows(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"Đối soát MO tháng {report.month:%m/%Y}"]
    for index, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if index == 0 or index == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
