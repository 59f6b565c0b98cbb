"""On-time status of a dossier (đúng hạn / trễ hạn), as the MCKH lookup reply, the pages and the reports show it.

The national evaluation's rule: a dossier is on time when it is finished (processed, returned, or ended
without a result) no later than its appointment (NgayHenTra); an open dossier is judged by *now*. Time
spent waiting for the citizen's supplement (Chờ bổ sung) is the citizen's, not the agency's delay, so the
appointment is pushed back by the time spent waiting — working time when a :class:`WorkCalendar` is given
(a wait over a weekend costs the agency nothing), wall time otherwise.

Two consequences that users notice:

* while a dossier is still waiting for the supplement, it keeps the status it had when the wait began
  (the agency cannot be late while the ball is in the citizen's court, and cannot be "caught up" either);
* a wait that begins after the deadline has already passed does not make the dossier on time again.

The rule is computed once per change of the dossier, by :func:`late_after`: the instant after which the
dossier is late, or None when it cannot become late any more. Stored on the dossier, it makes "late" a
plain comparison with now, in Python (:func:`status_at`) and in SQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from motcua.domain.calendar import WorkCalendar

Wait = tuple[datetime, datetime | None]


class OnTime(StrEnum):
    """The status as a code (API, JSON, CSS classes); ``label`` is the Vietnamese a citizen reads."""

    ON_TIME = "on_time"
    LATE = "late"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {OnTime.ON_TIME: "Đúng hạn", OnTime.LATE: "Trễ hạn"}


def _require_aware(dt: datetime, what: str) -> None:
    if not isinstance(dt, datetime):
        raise TypeError(f"{what} phải là datetime, nhận được {dt!r}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} không có múi giờ: {dt!r}")


def _merged(waits: Sequence[Wait]) -> list[Wait]:
    """Waits in time order with overlaps merged; an open wait (end None) runs on and absorbs any later one.

    Merging matters because one-stop software may record two supplement requests whose periods overlap,
    and the same waiting time must not be excused twice.
    """
    for index, (start, end) in enumerate(waits):
        _require_aware(start, f"waits[{index}].start")
        if end is not None:
            _require_aware(end, f"waits[{index}].end")
            if end < start:
                raise ValueError(f"waits[{index}] kết thúc ({end}) trước khi bắt đầu ({start})")
    merged: list[Wait] = []
    for start, end in sorted(waits, key=lambda w: w[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            merged[-1] = (last_start, None if last_end is None or end is None else max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def _cut(waits: list[Wait], at: datetime) -> list[Wait]:
    """Merged waits as seen at the instant ``at``: later ones unknown yet, one still running then open."""
    return [(start, None if end is None or end >= at else end) for start, end in waits if start <= at]


def _extend(deadline: datetime, start: datetime, end: datetime, calendar: WorkCalendar | None) -> datetime:
    if calendar is None:
        return deadline + (end - start)
    waited = calendar.working_time_between(start, end)
    # A wait with no working time in it (a weekend) leaves the deadline exactly where it was; without
    # this guard add_working_time would move a 17:00 deadline to 07:00 of the next working day.
    return calendar.add_working_time(deadline, waited) if waited else deadline


def late_after(
    appointment_at: datetime,
    finished_at: datetime | None,
    waits: Sequence[Wait] = (),
    calendar: WorkCalendar | None = None,
) -> datetime | None:
    """The instant after which the dossier is late, or None when it cannot become late any more.

    For every ``now`` from the dossier's last recorded change on, the dossier is late exactly when
    ``late_after is not None and now > late_after``. None means: finished on time, or waiting for the
    citizen (or ended while waiting) having been on time when the wait began. A late dossier's value is
    the moment it became late: its deadline, extended by the waits before it.
    """
    _require_aware(appointment_at, "appointment_at")
    if finished_at is not None:
        _require_aware(finished_at, "finished_at")
    waits = _merged(waits)
    if finished_at is not None:
        waits = _cut(waits, finished_at)
    deadline, last_end = appointment_at, None
    for start, end in waits:
        if start > deadline:
            return deadline  # already late when the citizen was asked for more documents
        if end is None:
            return None  # waiting (or ended while waiting), and was on time when the wait began
        deadline = _extend(deadline, start, end, calendar)
        last_end = end
    if finished_at is not None:
        return None if finished_at <= deadline else deadline
    # On time at the very instant a wait ends, even when working time put the deadline before it.
    return deadline if last_end is None else max(deadline, last_end)


def status_at(late_after: datetime | None, now: datetime) -> OnTime:
    """The status at ``now`` from a stored :func:`late_after`."""
    return OnTime.LATE if late_after is not None and now > late_after else OnTime.ON_TIME


def on_time_status(
    appointment_at: datetime,
    finished_at: datetime | None,
    now: datetime,
    waits: Sequence[Wait] = (),
    calendar: WorkCalendar | None = None,
) -> OnTime:
    """The status judged at ``finished_at`` or, while open, at ``now``, with the waits known then.

    Finishing exactly at the (extended) appointment is on time. A dossier that is waiting for the
    citizen at the instant judged — still waiting now, or ended while waiting (withdrawn, stopped) —
    keeps the status it had when that wait began.
    """
    _require_aware(now, "now")
    if finished_at is not None:
        return OnTime.ON_TIME if late_after(appointment_at, finished_at, waits, calendar) is None else OnTime.LATE
    return status_at(late_after(appointment_at, None, _cut(_merged(waits), now), calendar), now)

