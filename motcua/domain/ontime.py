"""On-time status of a dossier ("Đúng hạn" / "Trễ hạn"), as the MCKH lookup reply and the reports show it.

The national evaluation's rule: a dossier is on time when it is finished (processed, returned, or ended
without a result) no later than its appointment (NgayHenTra); an open dossier is judged by *now*. Time
spent waiting for the citizen's supplement (Chờ bổ sung) is the citizen's, not the agency's delay, so the
appointment is pushed back by the time spent waiting — working time when a :class:`WorkCalendar` is given
(a wait over a weekend costs the agency nothing), wall time otherwise.

Two consequences that users notice:

* while a dossier is still waiting for the supplement, it keeps the status it had when the wait began
  (the agency cannot be late while the ball is in the citizen's court, and cannot be "caught up" either);
* a wait that begins after the deadline has already passed does not make the dossier on time again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from enum import StrEnum

from motcua.domain.calendar import WorkCalendar

Wait = tuple[datetime, datetime | None]


class OnTime(StrEnum):
    ON_TIME = "Đúng hạn"
    LATE = "Trễ hạn"


def _require_aware(dt: datetime, what: str) -> None:
    if not isinstance(dt, datetime):
        raise TypeError(f"{what} phải là datetime, nhận được {dt!r}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} không có múi giờ: {dt!r}")


def _normalised_waits(waits: Sequence[Wait], until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Waits in time order, overlaps merged, cut at ``until``; a still-open wait ends at ``until``.

    Merging matters because one-stop software may record two supplement requests whose periods overlap,
    and the same waiting time must not be excused twice.
    """
    intervals: list[tuple[datetime, datetime]] = []
    for index, (start, end) in enumerate(waits):
        _require_aware(start, f"waits[{index}].start")
        if end is not None:
            _require_aware(end, f"waits[{index}].end")
            if end < start:
                raise ValueError(f"waits[{index}] kết thúc ({end}) trước khi bắt đầu ({start})")
        if start > until:
            continue  # began after the instant being judged: irrelevant to it
        intervals.append((start, until if end is None else min(end, until)))
    intervals.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    yield from merged


def _extend(deadline: datetime, start: datetime, end: datetime, calendar: WorkCalendar | None) -> datetime:
    if calendar is None:
        return deadline + (end - start)
    waited = calendar.working_time_between(start, end)
    # A wait with no working time in it (a weekend) leaves the deadline exactly where it was; without
    # this guard add_working_time would move a 17:00 deadline to 07:00 of the next working day.
    return calendar.add_working_time(deadline, waited) if waited else deadline


def effective_deadline(
    appointment_at: datetime,
    waits: Sequence[Wait] = (),
    until: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> datetime:
    """The appointment pushed back by the supplement waits that happened up to ``until``.

    Open waits (end ``None``) count up to ``until``; with ``until`` omitted only closed waits count.
    Waits are taken in time order and stop counting at the first one that began after the deadline
    (as extended so far) had already passed: the dossier was late by then and stays late.
    """
    _require_aware(appointment_at, "appointment_at")
    if until is None:
        closed = [(start, end) for start, end in waits if end is not None]
        if not closed:
            return appointment_at
        until = max(end for _, end in closed if end is not None)
        waits = closed
    _require_aware(until, "until")
    deadline = appointment_at
    for start, end in _normalised_waits(waits, until):
        if start > deadline:
            break
        deadline = _extend(deadline, start, end, calendar)
    return deadline


def on_time_status(
    appointment_at: datetime,
    finished_at: datetime | None,
    now: datetime,
    waits: Sequence[Wait] = (),
    calendar: WorkCalendar | None = None,
) -> OnTime:
    """Return "Đúng hạn" or "Trễ hạn" for a dossier, judged at ``finished_at`` or, while open, at ``now``.

    Finishing exactly at the (extended) appointment is on time. A dossier that is waiting for the
    citizen at the instant judged — still waiting now, or ended while waiting (withdrawn, stopped) —
    keeps the status it had when that wait began.
    """
    _require_aware(appointment_at, "appointment_at")
    _require_aware(now, "now")
    if finished_at is not None:
        _require_aware(finished_at, "finished_at")
    until = finished_at if finished_at is not None else now
    deadline = appointment_at
    for start, end in _normalised_waits(waits, until):
        if start > deadline:
            return OnTime.LATE  # already late when the citizen was asked for more documents
        if end >= until:
            return OnTime.ON_TIME  # waiting at the instant judged, and was on time when the wait began
        deadline = _extend(deadline, start, end, calendar)
    return OnTime.ON_TIME if until <= deadline else OnTime.LATE
