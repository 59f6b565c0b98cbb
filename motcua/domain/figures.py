"""Every figure the desk and its exports show, defined once.

The desk reads rows from the database and hands them to these functions, so a figure on a page, in
an Excel file and in a test is computed by the same code. Rules that decide what counts:

- On-time rate: dossiers that finished in the period (result ready, returned, stopped, rejected);
  a withdrawn dossier is left out, because the citizen ended it: it was neither on time nor late.
- "Due tomorrow, no result yet": open dossiers only. A dossier withdrawn, stopped, rejected or with
  its result is not waiting for anything.
- Messages sent to staff's own phones as tests are left out of every figure, as they are not service,
  except the monthly usage: the telco bills them, and that page is compared with its bill.
- Delivery rate: delivered ÷ handed to a telco. Skipped messages never left and queued ones have not
  yet, so they would only blur the rate.
- Lookups (MO): each charged at the configured price; revenue is the sum of the recorded prices.
- Costs of outgoing SMS are estimates (parts × configured price per part): the telco's bill decides.
- A notice first tried through Zalo ZNS and then sent as SMS because ZNS could not reach the person is
  one notice: counted once, with the SMS's status (the attempt that counts), and the cost of both. Each
  channel's own attempts are the ZNS report's figures.
- Parts are SMS parts, what the telco bills: a ZNS message has none.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from motcua.domain.states import FINISHED_STATES, DossierState

# Causes of messages staff sent to themselves from the template editor.
TEST_CAUSE_PREFIX = "desk-test:"

ON_TIME_COUNTED = frozenset(FINISHED_STATES - {DossierState.WITHDRAWN})
# States in which a dossier no longer waits for a result (the "due tomorrow" list leaves them out).
NO_LONGER_DUE = frozenset(FINISHED_STATES)
SMS = "sms"
HANDED_OVER = ("sent", "delivered", "undelivered", "expired", "failed", "to_gateway")
DELIVERED = "delivered"
SKIPPED = "skipped"


def rate(part: int, whole: int) -> float | None:
    """Percentage with one decimal, or None when there is nothing to divide by (shown as "—")."""
    return round(100 * part / whole, 1) if whole else None


def group_digits(n: int) -> str:
    """``8000`` → ``8.000``: Vietnamese writes a dot between thousands."""
    sign = "-" if n < 0 else ""
    return sign + f"{abs(int(n)):,}".replace(",", ".")


def format_vnd(amount: int) -> str:
    """``8000`` → ``8.000 đ``."""
    return f"{group_digits(amount)} đ"


def is_test_cause(cause: str) -> bool:
    return cause.startswith(TEST_CAUSE_PREFIX)


# --- dossiers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinishedDossier:
    state: str
    late: bool  # the stored on-time status: it has an instant after which it was late


@dataclass(frozen=True)
class OnTimeFigure:
    on_time: int
    late: int

    @property
    def total(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        return rate(self.on_time, self.total)


def on_time_figure(dossiers: Iterable[FinishedDossier]) -> OnTimeFigure:
    on_time = late = 0
    for d in dossiers:
        if d.state not in ON_TIME_COUNTED:
            continue
        if d.late:
            late += 1
        else:
            on_time += 1
    return OnTimeFigure(on_time, late)


def is_due_without_result(state: str, appointment_day: date, day: date) -> bool:
    """On the "Mai đến hạn, chưa có kết quả" list of ``day - 1``: due on ``day`` and still open."""
    return appointment_day == day and state not in NO_LONGER_DUE


# --- outgoing messages ------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    kind: str
    status: str
    parts: int
    cost: int  # estimated, in đồng
    cause: str = ""
    channel: str = SMS
    fallback_of: str = ""  # for an SMS sent in place of a ZNS attempt: that attempt's cause

    @property
    def sms_parts(self) -> int:
        return self.parts if self.channel == SMS else 0


def notices(rows: Iterable[MessageRow]) -> list[MessageRow]:
    """One row per notice, test sends left out.

    An SMS sent in place of a ZNS attempt is folded into that attempt: the notice takes the SMS's status
    (the one that counts for the citizen) and both attempts' parts and cost. A fallback whose attempt is
    not among ``rows`` (created in an earlier period) stays on its own. A ZNS message has no SMS parts.
    """
    kept = [r for r in rows if not is_test_cause(r.cause)]
    fallback = {r.fallback_of: r for r in kept if r.fallback_of}
    folded = {r.cause for r in kept if r.cause and r.cause in fallback}
    out = []
    for r in kept:
        if r.fallback_of in folded:
            continue
        sms = fallback[r.cause] if r.cause in folded else None
        if sms is not None:
            r = MessageRow(r.kind, sms.status, r.sms_parts + sms.sms_parts, r.cost + sms.cost, r.cause)
        elif r.channel != SMS:
            r = MessageRow(r.kind, r.status, 0, r.cost, r.cause)
        out.append(r)
    return out


@dataclass
class KindFigure:
    kind: str
    statuses: dict[str, int] = field(default_factory=dict)
    total: int = 0
    parts: int = 0
    cost: int = 0

    @property
    def handed(self) -> int:
        return sum(self.statuses.get(s, 0) for s in HANDED_OVER)

    @property
    def delivered(self) -> int:
        return self.statuses.get(DELIVERED, 0)

    @property
    def delivery_rate(self) -> float | None:
        return rate(self.delivered, self.handed)

    def add(self, row: MessageRow) -> None:
        self.statuses[row.status] = self.statuses.get(row.status, 0) + 1
        self.total += 1
        self.parts += row.parts
        self.cost += row.cost


@dataclass
class MessageFigures:
    kinds: list[KindFigure]
    totals: KindFigure

    def status_list(self, figure: KindFigure, statuses: Sequence[str]) -> list[int]:
        return [figure.statuses.get(s, 0) for s in statuses]


def message_figures(rows: Iterable[MessageRow], kind_order: Sequence[str] = ()) -> MessageFigures:
    """Per kind and in total: notices by status, SMS parts, estimated cost. Test sends are left out."""
    by_kind: dict[str, KindFigure] = {}
    totals = KindFigure(kind="")
    for row in notices(rows):
        by_kind.setdefault(row.kind, KindFigure(kind=row.kind)).add(row)
        totals.add(row)
    order = [k for k in kind_order if k in by_kind] + sorted(k for k in by_kind if k not in kind_order)
    return MessageFigures([by_kind[k] for k in order], totals)


# --- incoming messages (lookups) --------------------------------------------------------------


@dataclass(frozen=True)
class LookupFigure:
    count: int
    revenue: int
    charged: int


def lookup_figure(prices: Iterable[int]) -> LookupFigure:
    """Lookups received, how many were charged, and the revenue (sum of the recorded prices)."""
    count = revenue = charged = 0
    for price in prices:
        count += 1
        revenue += price
        charged += 1 if price > 0 else 0
    return LookupFigure(count, revenue, charged)


# --- monthly usage and the telco's bill -------------------------------------------------------


@dataclass(frozen=True)
class UsageLine:
    """One line of a monthly statement: an agency's month of SMS parts and charged lookups."""

    agency: str
    month: str  # "YYYY-MM"
    parts: int
    lookups: int


@dataclass(frozen=True)
class Usage:
    agency: str
    month: str
    messages: int
    parts: int
    cost: int  # estimated
    lookups: int
    revenue: int


def monthly_usage(
    messages: Iterable[tuple[str, datetime | date, MessageRow]],
    lookups: Iterable[tuple[str, datetime | date, int]],
    months: Iterable[tuple[str, str]] = (),
) -> list[Usage]:
    """Per (agency code, month): notices, SMS parts and their estimated cost, charged lookups and their
    revenue. ``messages`` are (agency, when, row); ``lookups`` are (agency, when, price); ``months`` adds
    empty lines that must appear anyway. Test sends count too: the telco bills them, and this is what its
    bill is compared with. An SMS sent in place of a ZNS attempt
    is not a second notice (see :func:`notices`), but its parts and cost fall in its own month, as on the
    telco's bill."""
    acc: dict[tuple[str, str], list[int]] = {key: [0, 0, 0, 0, 0] for key in months}
    rows = [(agency, f"{when:%Y-%m}", row) for agency, when, row in messages]
    causes = {row.cause for _, _, row in rows if row.cause}
    for agency, month, row in rows:
        entry = acc.setdefault((agency, month), [0, 0, 0, 0, 0])
        entry[0] += row.fallback_of not in causes
        entry[1] += row.sms_parts
        entry[2] += row.cost
    for agency, when, price in lookups:
        entry = acc.setdefault((agency, f"{when:%Y-%m}"), [0, 0, 0, 0, 0])
        if price > 0:
            entry[3] += 1
            entry[4] += price
    return [Usage(a, m, *acc[(a, m)]) for a, m in sorted(acc)]


@dataclass(frozen=True)
class Difference:
    agency: str
    month: str
    ours_parts: int | None  # None: the line is missing on our side
    theirs_parts: int | None  # None: missing from the telco's file
    ours_lookups: int | None
    theirs_lookups: int | None

    @property
    def parts_delta(self) -> int | None:
        if self.ours_parts is None or self.theirs_parts is None:
            return None
        return self.theirs_parts - self.ours_parts

    @property
    def lookups_delta(self) -> int | None:
        if self.ours_lookups is None or self.theirs_lookups is None:
            return None
        return self.theirs_lookups - self.ours_lookups

    @property
    def matches(self) -> bool:
        return self.parts_delta == 0 and self.lookups_delta == 0


def reconcile(ours: Iterable[UsageLine], theirs: Iterable[UsageLine]) -> list[Difference]:
    """Line by line, on (agency, month): both sides' parts and lookups. Lines that agree are kept too
    (``matches``), so the page can show the whole statement with the differences marked."""
    mine = {(u.agency, u.month): u for u in ours}
    telco: dict[tuple[str, str], UsageLine] = {}
    for u in theirs:  # a file may list one agency and month on several lines: they add up
        key = (u.agency, u.month)
        prev = telco.get(key)
        telco[key] = u if prev is None else UsageLine(u.agency, u.month, prev.parts + u.parts, prev.lookups + u.lookups)
    out = []
    for key in sorted(set(mine) | set(telco)):
        a, b = mine.get(key), telco.get(key)
        out.append(Difference(key[0], key[1], a.parts if a else None, b.parts if b else None,
                              a.lookups if a else None, b.lookups if b else None))
    return out


# --- the telco's monthly statement (CSV) ------------------------------------------------------

TELCO_COLUMNS = ("co_quan", "thang", "so_phan_tin", "so_tra_cuu")
TELCO_MAX_LINES = 20_000
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class StatementProblem:
    line: int  # 1-based, as a spreadsheet numbers lines (the header is line 1)
    reason: str


def parse_month(raw: str) -> str | None:
    """``2026-12`` or ``12/2026`` → ``2026-12``; None if it is neither."""
    m = _MONTH.match(raw.strip())
    if not m:
        return None
    year, month = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    if not (1 <= int(month) <= 12 and 2000 <= int(year) <= 2100):
        return None
    return f"{int(year):04d}-{int(month):02d}"


def parse_statement(text: str) -> tuple[list[UsageLine], list[StatementProblem]]:
    """The telco's CSV (columns ``co_quan, thang, so_phan_tin, so_tra_cuu``, comma or semicolon) as usage
    lines, and each line that could not be read with why. Never raises on content: any text is an answer."""
    text = text.lstrip("\ufeff")
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    problems: list[StatementProblem] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        return [], [StatementProblem(1, "Tệp trống hoặc không đọc được dòng tiêu đề.")]
    missing = [c for c in TELCO_COLUMNS if c not in header]
    if missing:
        return [], [StatementProblem(1, "Thiếu cột: " + ", ".join(missing) + " (cần: " + ", ".join(TELCO_COLUMNS) + ").")]
    index = {c: header.index(c) for c in TELCO_COLUMNS}
    lines: list[UsageLine] = []
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            if number > TELCO_MAX_LINES + 1:
                problems.append(StatementProblem(number, f"Tệp dài quá {TELCO_MAX_LINES} dòng; phần sau không được đọc."))
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                problems.append(StatementProblem(number, "Thiếu ô so với dòng tiêu đề."))
                continue
            agency = row[index["co_quan"]].strip()
            month = parse_month(row[index["thang"]])
            parts, lookups = _count(row[index["so_phan_tin"]]), _count(row[index["so_tra_cuu"]])
            if not agency or len(agency) > 12 or not agency.isprintable():
                problems.append(StatementProblem(number, "Mã cơ quan trống hoặc không hợp lệ."))
            elif month is None:
                problems.append(StatementProblem(number, "Tháng không hợp lệ (cần dạng 2026-12 hoặc 12/2026)."))
            elif parts is None or lookups is None:
                problems.append(StatementProblem(number, "Số phần tin và số tra cứu phải là số nguyên không âm."))
            else:
                lines.append(UsageLine(agency, month, parts, lookups))
    except csv.Error:
        problems.append(StatementProblem(number + 1, "Dòng không đọc được (dấu ngoặc kép không đóng?)."))
    return lines, problems


def _count(raw: str) -> int | None:
    value = raw.strip().replace(".", "").replace(",", "").replace(" ", "")
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)
