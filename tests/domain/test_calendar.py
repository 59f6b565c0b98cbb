"""Working-time calendar: the deadlines a citizen reads on the receipt (Giấy hẹn trả kết quả).

Dates were checked against the installed ``holidays`` package (VN): Tết Bính Ngọ 2026 is
Mon 16/2–Fri 20/2, Tết Đinh Mùi 2027 is Thu 4/2–Wed 10/2, Giỗ Tổ 2026 (Sunday 26/4) is taken on
Monday 27/4, 31/8/2026 is off in exchange for Saturday 22/8/2026, and 24/11 is off from 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.domain.calendar import LOCAL_TZ, WorkCalendar

CAL = WorkCalendar()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


# -- days off from the holidays package --------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, d) for d in range(16, 21)]  # Tết 2026: 29 Tết … mùng 4 (Mon–Fri)
    + [date(2027, 2, d) for d in range(4, 11)]  # Tết 2027: 29 Tết … mùng 5 (Thu–Wed)
    + [
        date(2026, 1, 1),  # Tết Dương lịch
        date(2026, 4, 27),  # Giỗ Tổ (10/3 âm lịch = Sunday 26/4) taken on Monday
        date(2027, 4, 16),  # Giỗ Tổ 2027, a Friday
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),  # swapped with Saturday 22/8/2026
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),  # Ngày Văn hóa Việt Nam, from 2026
        date(2027, 11, 24),
        date(2025, 5, 2),  # 2025 swap with Saturday 26/4/2025
    ],
)
def test_public_holidays_are_days_off(day: date) -> None:
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 2, 13),  # Friday before Tết 2026
        date(2026, 2, 23),  # Monday after Tết 2026
        date(2027, 2, 11),  # Thursday after Tết 2027
        date(2026, 1, 2),
        date(2025, 11, 24),  # Ngày Văn hóa Việt Nam is off only from 2026
        date(2026, 8, 22),  # make-up Saturday
        date(2025, 4, 26),  # make-up Saturday
    ],
)
def test_days_around_holidays_and_make_up_saturdays_are_worked(day: date) -> None:
    assert CAL.is_working_day(day)


def test_ordinary_weekend_is_off_and_weekday_worked() -> None:
    assert not CAL.is_working_day(date(2026, 3, 7))  # Saturday
    assert not CAL.is_working_day(date(2026, 3, 8))  # Sunday
    assert CAL.is_working_day(date(2026, 3, 9))  # Monday


def test_the_2026_swap_comes_from_the_package_itself() -> None:
    # If a future `holidays` release dropped the swap, the calendar would silently change: pin the fact.
    vn = holidays.country_holidays("VN", years=2026)
    assert date(2026, 8, 31) in vn
    assert date(2026, 8, 22) in vn.weekend_workdays


def test_make_up_saturday_of_next_years_swap_is_known_when_asked_first() -> None:
    # 2/1/2015 was off in exchange for Saturday 27/12/2014: the swap is listed under 2015.
    fresh = WorkCalendar()
    assert fresh.is_working_day(date(2014, 12, 27))
    assert not fresh.is_working_day(date(2015, 1, 2))


# -- deadlines spanning holidays ---------------------------------------------------------------------


def test_deadline_jumps_over_tet_2026() -> None:
    # Received Friday 13/2/2026 09:00 with 1 day: the next working hours are after Tết, Monday 23/2.
    assert CAL.appointment(at(2026, 2, 13, 9), 1) == at(2026, 2, 23, 9)
    # Thursday 12/2 09:00, 3 days = 24 h: 6 h Thursday, 8 h Friday, 8 h Monday 23/2, 2 h Tuesday.
    assert CAL.appointment(at(2026, 2, 12, 9), 3) == at(2026, 2, 24, 9)


def test_deadline_spans_tet_2027() -> None:
    # Wednesday 3/2/2027 09:00, 2 days = 16 h: 6 h on Wednesday, Tết Thu 4/2–Wed 10/2,
    # 8 h on Thursday 11/2, the last 2 h on Friday 12/2.
    assert CAL.appointment(at(2027, 2, 3, 9), 2) == at(2027, 2, 12, 9)


def test_deadline_skips_gio_to_observed_monday() -> None:
    # Friday 24/4/2026 after hours: Saturday, Sunday, Giỗ Tổ Monday 27/4 → counting starts Tuesday.
    assert CAL.appointment(at(2026, 4, 24, 17, 30), 1) == at(2026, 4, 28, 17)


def test_deadline_skips_30_4_and_1_5() -> None:
    assert CAL.appointment(at(2026, 4, 29, 9), 1) == at(2026, 5, 4, 9)


def test_deadline_skips_2_9_2026_and_its_swap() -> None:
    # Friday 28/8/2026: Sat, Sun, Mon 31/8 (swap), Tue 1/9, Wed 2/9 are off.
    assert CAL.appointment(at(2026, 8, 28, 9), 1) == at(2026, 9, 3, 9)


def test_make_up_saturday_counts_towards_the_deadline() -> None:
    # Friday 21/8/2026 after hours, 2 days: Saturday 22/8 is worked, so 16 h end Monday 24/8 17:00.
    assert CAL.appointment(at(2026, 8, 21, 18), 2) == at(2026, 8, 24, 17)


def test_deadline_skips_ngay_van_hoa_viet_nam() -> None:
    assert CAL.appointment(at(2026, 11, 23, 9), 1) == at(2026, 11, 25, 9)
    # …but not in 2025, before it became a day off.
    assert CAL.appointment(at(2025, 11, 21, 9), 1) == at(2025, 11, 24, 9)


# -- administrator's table ---------------------------------------------------------------------------


def test_admin_day_off_pushes_the_deadline() -> None:
    received = at(2026, 3, 10, 9)  # Tuesday
    assert CAL.appointment(received, 1) == at(2026, 3, 11, 9)
    closed = WorkCalendar(extra_days_off=[date(2026, 3, 11)])
    assert not closed.is_working_day(date(2026, 3, 11))
    assert closed.appointment(received, 1) == at(2026, 3, 12, 9)


def test_admin_extra_working_saturday_shortens_the_deadline() -> None:
    received = at(2026, 3, 13, 18)  # Friday after hours
    assert CAL.appointment(received, 1) == at(2026, 3, 16, 17)
    open_saturday = WorkCalendar(extra_working_days=[date(2026, 3, 14)])
    assert open_saturday.appointment(received, 1) == at(2026, 3, 14, 17)


def test_admin_table_wins_over_the_package_both_ways() -> None:
    cal = WorkCalendar(extra_days_off=[date(2026, 8, 22)], extra_working_days=[date(2026, 11, 24)])
    assert not cal.is_working_day(date(2026, 8, 22))  # package make-up Saturday cancelled
    assert cal.is_working_day(date(2026, 11, 24))  # package holiday worked


def test_same_date_in_both_admin_lists_is_rejected() -> None:
    with pytest.raises(ValueError, match="10/01/2026"):
        WorkCalendar(extra_days_off=[date(2026, 1, 10)], extra_working_days=[date(2026, 1, 10)])


def test_admin_table_refuses_datetimes_that_would_never_match() -> None:
    with pytest.raises(TypeError):
        WorkCalendar(extra_days_off=[at(2026, 1, 10)])


# -- when counting starts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "start"),
    [
        (at(2026, 3, 9, 9, 15), at(2026, 3, 9, 9, 15)),  # inside the morning session
        (at(2026, 3, 9, 14), at(2026, 3, 9, 14)),  # inside the afternoon session
        (at(2026, 3, 9, 6, 30), at(2026, 3, 9, 7)),  # before 07:00
        (at(2026, 3, 9, 12), at(2026, 3, 9, 13, 30)),  # lunch
        (at(2026, 3, 9, 11, 30), at(2026, 3, 9, 13, 30)),  # the morning session has just closed
        (at(2026, 3, 9, 17), at(2026, 3, 10, 7)),  # the day has just closed
        (at(2026, 3, 9, 19), at(2026, 3, 10, 7)),  # evening
        (at(2026, 3, 13, 18), at(2026, 3, 16, 7)),  # Friday evening → Monday
        (at(2026, 3, 8, 10), at(2026, 3, 9, 7)),  # Sunday
        (at(2026, 2, 15, 10), at(2026, 2, 23, 7)),  # Sunday before Tết
    ],
)
def test_next_working_start(received: datetime, start: datetime) -> None:
    result = CAL.next_working_start(received)
    assert result == start
    assert result.tzinfo == LOCAL_TZ


def test_instants_in_other_timezones_are_read_as_vietnamese_time() -> None:
    # 10:30 UTC is 17:30 in Hà Nội: after hours, counting starts the next morning.
    assert CAL.next_working_start(datetime(2026, 3, 9, 10, 30, tzinfo=UTC)) == at(2026, 3, 10, 7)
    assert CAL.appointment(datetime(2026, 3, 9, 2, 0, tzinfo=UTC), 1) == at(2026, 3, 10, 9)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.next_working_start(datetime(2026, 3, 9, 9))


# -- appointment -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (at(2026, 3, 9, 9), 1, at(2026, 3, 10, 9)),  # Monday 09:00, 1 day → Tuesday 09:00
        (at(2026, 3, 9, 7), 1, at(2026, 3, 9, 17)),  # a full day ends at 17:00, not next 07:00
        (at(2026, 3, 9, 7), 2, at(2026, 3, 10, 17)),  # 16 h from Monday 07:00 → Tuesday 17:00
        (at(2026, 3, 6, 17, 30), 2, at(2026, 3, 10, 17)),  # Friday after 17:00, 2 days → Tuesday 17:00
        (at(2026, 3, 9, 12), 1, at(2026, 3, 10, 11, 30)),  # lunch: from 13:30; ends as the morning closes
        (at(2026, 3, 9, 5, 45), 1, at(2026, 3, 9, 17)),  # before 07:00: counted from 07:00
        (at(2026, 3, 8, 10), 1, at(2026, 3, 9, 17)),  # Sunday: counted from Monday 07:00
        (at(2026, 3, 9, 7), Decimal("0.5"), at(2026, 3, 9, 11)),  # half a day = 4 h
        (at(2026, 3, 9, 7), 1.5, at(2026, 3, 10, 11)),  # 12 h
        (at(2026, 3, 9, 11), 1, at(2026, 3, 10, 11)),  # 8 h across two lunch breaks
        (at(2026, 3, 9, 9), 10, at(2026, 3, 23, 9)),  # two weeks
    ],
)
def test_appointment(received: datetime, days: Decimal | float | int, due: datetime) -> None:
    assert CAL.appointment(received, days) == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 3, 9, 6), at(2026, 3, 9, 17)),  # before opening: same day
        (at(2026, 3, 9, 14, 59), at(2026, 3, 9, 17)),
        (at(2026, 3, 9, 15), at(2026, 3, 9, 17)),  # 15:00 sharp is not "after 15:00"
        (at(2026, 3, 9, 15, 1), at(2026, 3, 10, 17)),
        (at(2026, 3, 9, 18), at(2026, 3, 10, 17)),
        (at(2026, 3, 13, 16), at(2026, 3, 16, 17)),  # Friday afternoon → Monday
        (at(2026, 3, 7, 9), at(2026, 3, 9, 17)),  # Saturday morning → Monday
        (at(2026, 8, 30, 9), at(2026, 9, 3, 17)),  # Sunday before the 2/9 holidays
    ],
)
def test_same_day_procedure(received: datetime, due: datetime) -> None:
    assert CAL.appointment(received, 0) == due


@pytest.mark.parametrize("bad", [-1, Decimal("-0.5"), float("nan")])
def test_negative_or_undefined_processing_days_are_refused(bad: Decimal | float | int) -> None:
    with pytest.raises(ValueError):
        CAL.appointment(at(2026, 3, 9, 9), bad)


def test_add_working_hours_from_evening_starts_next_morning() -> None:
    assert CAL.add_working_hours(at(2026, 3, 9, 20), 3) == at(2026, 3, 10, 10)
    assert CAL.add_working_hours(at(2026, 3, 9, 20), Decimal("4.5")) == at(2026, 3, 10, 11, 30)
    assert CAL.add_working_hours(at(2026, 3, 9, 20), 0) == at(2026, 3, 10, 7)


# -- elapsed working time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "seconds"),
    [
        (at(2026, 3, 9, 7), at(2026, 3, 9, 17), 8 * 3600),
        (at(2026, 3, 9, 0), at(2026, 3, 10, 0), 8 * 3600),
        (at(2026, 3, 9, 11), at(2026, 3, 9, 14), 3600),  # half an hour each side of lunch
        (at(2026, 3, 13, 16), at(2026, 3, 16, 8), 2 * 3600),  # over a weekend
        (at(2026, 2, 13, 16), at(2026, 2, 23, 8), 2 * 3600),  # over Tết 2026
        (at(2026, 3, 9, 12), at(2026, 3, 9, 13), 0),  # inside lunch
        (at(2026, 3, 10, 9), at(2026, 3, 9, 9), 0),  # reversed
        (at(2026, 3, 9, 9), at(2026, 3, 9, 9), 0),
    ],
)
def test_working_seconds_between(a: datetime, b: datetime, seconds: int) -> None:
    assert CAL.working_seconds_between(a, b) == seconds


def test_next_working_day() -> None:
    assert CAL.next_working_day(date(2026, 3, 9)) == date(2026, 3, 10)
    assert CAL.next_working_day(date(2026, 3, 13)) == date(2026, 3, 16)
    assert CAL.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)  # make-up Saturday
    assert CAL.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


# -- properties --------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(LOCAL_TZ)
)
day_counts = st.integers(min_value=0, max_value=40) | st.decimals(
    min_value=0, max_value=40, places=1, allow_nan=False, allow_infinity=False
)


@settings(deadline=None, max_examples=150)
@given(received=instants, days=day_counts)
def test_appointment_is_a_working_instant_after_receipt(received: datetime, days: Decimal | int) -> None:
    due = CAL.appointment(received, days)
    assert CAL.is_working_instant(due)
    assert due > received


@settings(deadline=None, max_examples=150)
@given(a=instants, b=instants, days=day_counts)
def test_appointment_is_monotone_in_receipt_time(a: datetime, b: datetime, days: Decimal | int) -> None:
    early, late = sorted((a, b))
    assert CAL.appointment(early, days) <= CAL.appointment(late, days)


@settings(deadline=None, max_examples=150)
@given(received=instants, days=st.integers(min_value=1, max_value=40))
def test_appointment_leaves_exactly_the_granted_working_time(received: datetime, days: int) -> None:
    start = CAL.next_working_start(received)
    due = CAL.appointment(received, days)
    assert CAL.working_seconds_between(start, due) == days * 8 * 3600
    assert CAL.working_seconds_between(received, due) == days * 8 * 3600


@settings(deadline=None, max_examples=150)
@given(a=instants, b=instants, c=instants)
def test_working_time_adds_up_over_consecutive_spans(a: datetime, b: datetime, c: datetime) -> None:
    x, y, z = sorted((a, b, c))
    assert CAL.working_time_between(x, y) + CAL.working_time_between(y, z) == CAL.working_time_between(x, z)
