"""When the three automatic SMS (result, supplement request, apology) are sent, and why not when they are not.

Pure functions over plain facts about a dossier. The database layer gathers the facts, asks here,
and records either a message or a skipped message with the reason, so staff can see why a citizen
got nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from motcua.domain.states import DossierState

MessageKind = Literal["result", "supplement", "apology"]

# Reasons shown to staff (Vietnamese, as the desk shows them).
SAME_DAY = "Thủ tục giải quyết trong ngày: không gửi tin nhắn"
NO_PHONE = "Không có số điện thoại di động"
BAD_PHONE = "Số điện thoại không hợp lệ"
ALREADY_RETURNED = "Hồ sơ chuyển thẳng sang Đã trả kết quả: công dân đã nhận kết quả"
WAITING_CITIZEN = "Hồ sơ đang chờ công dân bổ sung: chậm trễ không do cơ quan"
CLOSED = "Hồ sơ đã rút, dừng xử lý hoặc không được tiếp nhận"


@dataclass(frozen=True)
class DossierFacts:
    state: DossierState
    same_day: bool
    phone_problem: str | None  # None = a valid mobile; otherwise NO_PHONE or BAD_PHONE (with detail)
    appointment_date: date


@dataclass(frozen=True)
class Decision:
    kind: MessageKind
    send: bool
    reason: str = ""


def _common_skip(facts: DossierFacts) -> str | None:
    if facts.same_day:
        return SAME_DAY
    if facts.phone_problem:
        return facts.phone_problem
    return None


def on_transition(before: DossierState | None, after: DossierState, facts: DossierFacts) -> Decision | None:
    """The message a state change causes, if any (None: this change is not a cause at all).

    A dossier that jumps straight to "returned" without passing "result ready" causes a skipped
    result message: the citizen already holds the result, and staff should see that nothing was sent.
    """
    if before == after:
        return None
    if after == DossierState.RESULT_READY:
        kind: MessageKind = "result"
    elif after == DossierState.SUPPLEMENT_REQUESTED:
        kind = "supplement"
    elif after == DossierState.RETURNED and before != DossierState.RESULT_READY:
        return Decision("result", False, ALREADY_RETURNED)
    else:
        return None
    reason = _common_skip(facts)
    return Decision(kind, reason is None, reason or "")


APOLOGY_STATES = frozenset(
    {DossierState.REGISTERED, DossierState.RECEIVED, DossierState.PROCESSING, DossierState.AWAITING_PAYMENT}
)


def apology_decision(facts: DossierFacts, batch_day: date) -> Decision | None:
    """The 17:30 apology for a dossier due on the next calendar day (None: not due tomorrow at all)."""
    if facts.appointment_date != batch_day + timedelta(days=1):
        return None
    if facts.state in (DossierState.RESULT_READY, DossierState.RETURNED):
        return None  # has its result: not a cause, nothing to explain
    if facts.state == DossierState.SUPPLEMENT_REQUESTED:
        return Decision("apology", False, WAITING_CITIZEN)
    if facts.state not in APOLOGY_STATES:
        return Decision("apology", False, CLOSED)
    reason = _common_skip(facts)
    return Decision("apology", reason is None, reason or "")


def parse_hhmm(value: str) -> time:
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def quiet_hours_end(now: datetime, quiet: str) -> datetime | None:
    """If ``now`` (local, aware) falls in quiet hours like "21:00-07:00", the moment they end; else None."""
    if not quiet or not quiet.strip():
        return None
    start_s, end_s = quiet.split("-")
    start, end = parse_hhmm(start_s), parse_hhmm(end_s)
    t = now.timetz().replace(tzinfo=None)
    if start <= end:
        inside = start <= t < end
        end_day = now.date()
    else:  # spans midnight
        inside = t >= start or t < end
        end_day = now.date() + timedelta(days=1) if t >= start else now.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=now.tzinfo)
