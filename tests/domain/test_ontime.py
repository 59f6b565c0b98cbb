"""On-time status shown in the MCKH reply ("trạng thái hồ sơ: Đúng hạn/Trễ hạn"), the pages and the reports.

Week used throughout: Monday 9/3/2026 … Friday 13/3/2026, Monday 16/3/2026 (no holidays).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.domain.calendar import LOCAL_TZ, WorkCalendar
from motcua.domain.ontime import OnTime, Wait, late_after, on_time_status, status_at

CAL = WorkCalendar()


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


TUESDAY_17 = at(10, 17)


def test_values_are_codes_and_labels_the_words_citizens_read() -> None:
    assert [s.value for s in OnTime] == ["on_time", "late"]
    assert OnTime.ON_TIME.label == "Đúng hạn"
    assert OnTime.LATE.label == "Trễ hạn"


# -- without waits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (at(10, 9), OnTime.ON_TIME),
        (TUESDAY_17, OnTime.ON_TIME),  # exactly at the appointment
        (TUESDAY_17 + timedelta(seconds=1), OnTime.LATE),
        (at(11, 7), OnTime.LATE),  # next morning's opening is still after the appointment
        (datetime(2026, 3, 10, 10, 0, tzinfo=UTC), OnTime.ON_TIME),  # 17:00 in Hà Nội, given in UTC
    ],
)
def test_finished_dossier_is_judged_at_its_finish(finished: datetime, expected: OnTime) -> None:
    # `now` long after the deadline must not matter once the dossier is finished.
    assert on_time_status(TUESDAY_17, finished, now=at(20, 9)) == expected


def test_open_dossier_is_judged_now() -> None:
    assert on_time_status(TUESDAY_17, None, now=at(10, 16, 59)) == OnTime.ON_TIME
    assert on_time_status(TUESDAY_17, None, now=TUESDAY_17) == OnTime.ON_TIME
    assert on_time_status(TUESDAY_17, None, now=at(10, 17, 1)) == OnTime.LATE


# -- supplement waits (Chờ bổ sung) ------------------------------------------------------------------


def test_closed_wait_extends_the_deadline_by_working_time_and_flips_late_to_on_time() -> None:
    finished = at(11, 10, 30)  # Wednesday 10:30, late without the wait
    assert on_time_status(TUESDAY_17, finished, now=at(20)) == OnTime.LATE
    # Waited Monday 09:00–15:00: 2.5 h + 1.5 h = 4 working hours → deadline Wednesday 11:00.
    waits = [(at(9, 9), at(9, 15))]
    assert late_after(TUESDAY_17, None, waits, CAL) == at(11, 11)
    assert on_time_status(TUESDAY_17, finished, now=at(20), waits=waits, calendar=CAL) == OnTime.ON_TIME
    # …but finishing after the extended deadline is still late.
    assert on_time_status(TUESDAY_17, at(11, 11, 1), now=at(20), waits=waits, calendar=CAL) == OnTime.LATE


def test_finished_exactly_at_the_extended_deadline_is_on_time() -> None:
    waits = [(at(9, 9), at(9, 15))]
    assert on_time_status(TUESDAY_17, at(11, 11), now=at(20), waits=waits, calendar=CAL) == OnTime.ON_TIME


def test_a_weekend_wait_costs_the_agency_nothing_with_a_calendar() -> None:
    # Appointment Monday 16/3 17:00; supplement requested Friday 16:00, brought Monday 08:00:
    # 1 h Friday + 1 h Monday of working time, although 64 wall-clock hours passed.
    appointment = at(16, 17)
    waits = [(at(13, 16), at(16, 8))]
    finished = at(18, 9)  # Wednesday 09:00
    assert late_after(appointment, None, waits, CAL) == at(17, 9)
    assert on_time_status(appointment, finished, now=at(20), waits=waits, calendar=CAL) == OnTime.LATE
    # Without a calendar the wait counts in wall time and the same dossier looks on time.
    assert late_after(appointment, None, waits) == at(19, 9)
    assert on_time_status(appointment, finished, now=at(20), waits=waits) == OnTime.ON_TIME


def test_still_waiting_keeps_the_status_it_had_when_the_wait_began() -> None:
    now = at(13, 9)  # Friday, three days after the appointment
    assert on_time_status(TUESDAY_17, None, now=now) == OnTime.LATE
    waiting_since_monday = [(at(9, 10), None)]
    assert (
        on_time_status(TUESDAY_17, None, now=now, waits=waiting_since_monday, calendar=CAL) == OnTime.ON_TIME
    )
    assert on_time_status(TUESDAY_17, None, now=now, waits=waiting_since_monday) == OnTime.ON_TIME


def test_still_waiting_when_the_wait_began_exactly_at_the_deadline_is_on_time() -> None:
    # No working time passes over the evening and the weekend, yet the dossier must not turn late.
    waits = [(TUESDAY_17, None)]
    assert on_time_status(TUESDAY_17, None, now=at(14, 10), waits=waits, calendar=CAL) == OnTime.ON_TIME


def test_a_wait_begun_after_the_deadline_does_not_rescue_the_dossier() -> None:
    waiting_since_wednesday = [(at(11, 9), None)]
    assert on_time_status(TUESDAY_17, None, now=at(13, 9), waits=waiting_since_wednesday, calendar=CAL) == (
        OnTime.LATE
    )
    closed_late_wait = [(at(11, 9), at(12, 9))]
    assert late_after(TUESDAY_17, None, closed_late_wait, CAL) == TUESDAY_17


def test_dossier_withdrawn_while_waiting_keeps_its_status_at_the_wait_start() -> None:
    waits = [(at(10, 9), None)]
    withdrawn = at(16, 9)  # a week later, the citizen never came back
    assert on_time_status(TUESDAY_17, withdrawn, now=at(20), waits=waits, calendar=CAL) == OnTime.ON_TIME


def test_overlapping_waits_are_not_excused_twice() -> None:
    # Two supplement records covering Monday 09:00–11:00 and 10:00–11:00: 2 h of waiting, not 3 h.
    waits = [(at(9, 9), at(9, 11)), (at(9, 10), at(9, 11))]
    finished = at(11, 9, 30)
    assert late_after(TUESDAY_17, None, waits, CAL) == at(11, 9)
    assert on_time_status(TUESDAY_17, finished, now=at(20), waits=waits, calendar=CAL) == OnTime.LATE


def test_a_second_wait_within_the_extended_deadline_also_counts() -> None:
    # Wait 1: all Monday (8 h) → deadline Wednesday 17:00. Wait 2 starts Wednesday 13:30, after the
    # original appointment but before the extended one, and lasts 8 working hours → Thursday 17:00.
    waits = [(at(11, 13, 30), at(12, 13, 30)), (at(9, 7), at(9, 17))]  # order does not matter
    finished = at(12, 16)
    assert late_after(TUESDAY_17, None, waits, CAL) == at(12, 17)
    assert on_time_status(TUESDAY_17, finished, now=at(20), waits=waits, calendar=CAL) == OnTime.ON_TIME
    assert on_time_status(TUESDAY_17, finished, now=at(20), waits=waits[1:], calendar=CAL) == OnTime.LATE


def test_wait_over_tet_extends_only_by_working_hours() -> None:
    appointment = datetime(2026, 2, 24, 17, tzinfo=LOCAL_TZ)  # Tuesday after Tết
    waits = [(datetime(2026, 2, 13, 16, tzinfo=LOCAL_TZ), datetime(2026, 2, 23, 8, tzinfo=LOCAL_TZ))]
    # 1 h Friday 13/2 + 1 h Monday 23/2.
    assert late_after(appointment, None, waits, CAL) == (
        datetime(2026, 2, 25, 9, tzinfo=LOCAL_TZ)
    )


def test_inconsistent_wait_is_refused() -> None:
    with pytest.raises(ValueError):
        on_time_status(TUESDAY_17, None, now=at(13), waits=[(at(10, 9), at(9, 9))])


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        on_time_status(TUESDAY_17, datetime(2026, 3, 10, 9), now=at(13))


# -- the stored instant ---------------------------------------------------------------------------------


def test_late_after_is_the_moment_an_open_dossier_turns_late() -> None:
    assert late_after(TUESDAY_17, None) == TUESDAY_17
    assert status_at(TUESDAY_17, TUESDAY_17) == OnTime.ON_TIME
    assert status_at(TUESDAY_17, TUESDAY_17 + timedelta(seconds=1)) == OnTime.LATE


def test_late_after_is_none_once_nothing_can_make_the_dossier_late() -> None:
    assert late_after(TUESDAY_17, at(10, 9)) is None  # finished on time
    assert late_after(TUESDAY_17, None, [(at(10, 9), None)], CAL) is None  # waiting, on time when asked
    assert late_after(TUESDAY_17, at(11, 9), [], CAL) == TUESDAY_17  # finished late: late since the deadline


def _reference_status(appointment, finished, now, waits, calendar) -> OnTime:
    """The rule written out step by step, as the module's docstring states it: the oracle below."""
    until = finished if finished is not None else now
    cut = sorted((s, until if e is None else min(e, until)) for s, e in waits if s <= until)
    merged: list[tuple[datetime, datetime]] = []
    for s, e in cut:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    deadline = appointment
    for s, e in merged:
        if s > deadline:
            return OnTime.LATE
        if e >= until:
            return OnTime.ON_TIME
        if calendar is None:
            deadline += e - s
        elif calendar.working_time_between(s, e):
            deadline = calendar.add_working_time(deadline, calendar.working_time_between(s, e))
    return OnTime.ON_TIME if until <= deadline else OnTime.LATE


# Instants on a 15-minute grid over five weeks around Tết 2026, so waits straddle nights, weekends and
# holidays, and ties (finishing exactly at a deadline, a wait ending exactly now) come up often.
_ORIGIN = datetime(2026, 2, 2, 0, 0, tzinfo=LOCAL_TZ)
instants = st.integers(0, 5 * 7 * 24 * 4).map(lambda q: _ORIGIN + timedelta(minutes=15 * q))


@st.composite
def dossiers(draw: st.DrawFn) -> tuple[datetime, datetime | None, list[Wait], datetime]:
    """(appointment, finished, waits, recorded): the dossier as saved at its last change ``recorded``."""
    appointment = draw(instants)
    waits: list[Wait] = []
    for _ in range(draw(st.integers(0, 3))):
        start, length = draw(instants), draw(st.integers(0, 10 * 24 * 4))
        waits.append((start, start + timedelta(minutes=15 * length)))
    finished = draw(st.one_of(st.none(), instants))
    if waits and draw(st.booleans()):
        waits[-1] = (waits[-1][0], None)  # still waiting, or ended while waiting
    moments = [appointment, *(s for s, _ in waits), *(e for _, e in waits if e), *([finished] if finished else [])]
    return appointment, finished, waits, max(moments)


@settings(max_examples=600, deadline=None)  # the first use of a year loads its holidays
@given(dossiers(), st.integers(0, 30 * 24 * 4), st.sampled_from([None, CAL]))
def test_the_stored_instant_agrees_with_the_rule_at_every_later_moment(dossier, later: int, calendar) -> None:
    appointment, finished, waits, recorded = dossier
    stored = late_after(appointment, finished, waits, calendar)
    for now in (recorded, recorded + timedelta(minutes=15 * later), recorded + timedelta(microseconds=1)):
        expected = _reference_status(appointment, finished, now, waits, calendar)
        assert status_at(stored, now) == expected
        assert on_time_status(appointment, finished, now, waits, calendar) == expected


@settings(max_examples=400, deadline=None)
@given(dossiers(), instants, st.sampled_from([None, CAL]))
def test_the_status_at_any_instant_follows_the_rule(dossier, now: datetime, calendar) -> None:
    """Judged at an instant before the last change too (the waits known then only)."""
    appointment, finished, waits, _recorded = dossier
    expected = _reference_status(appointment, finished, now, waits, calendar)
    assert on_time_status(appointment, finished, now, waits, calendar) == expected
