"""Working-time calendar of a Vietnamese one-stop desk (Bộ phận Một cửa).

Deadlines (ngày hẹn trả) are counted in *working* time, the way one-stop software prints them on the
"Giấy tiếp nhận hồ sơ và hẹn trả kết quả":

* a working day has two sessions, 07:00–11:30 and 13:30–17:00 (8 working hours);
* days off are Saturdays, Sundays and the public holidays of the Labour Code (Tết Dương lịch, Tết Âm lịch,
  Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9 and its adjacent day, Ngày Văn hóa Việt Nam 24/11 from 2026) with
  the yearly swaps the Government decides (e.g. 31/8/2026 off, Saturday 22/8/2026 worked).

The public holidays, including the lunar ones (computed with the *Vietnamese* lunar calendar, UTC+7,
not the Chinese one) and the make-up working Saturdays (``weekend_workdays``), come from the
``holidays`` package. An administrator can add days off and working days on top of it (a sudden
closure, a swap decided after the package was released): see :class:`WorkCalendar` for precedence.

All instants are timezone-aware; any timezone is accepted and converted to Asia/Ho_Chi_Minh, which has
had no daylight saving time since 1975, so wall-clock arithmetic in local time is exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import holidays

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Morning and afternoon sessions, half-open [start, end): an instant at 11:30 is lunch, at 17:00 is closed.
SESSIONS: tuple[tuple[time, time], ...] = (
    (time(7, 0), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
DAY_START = SESSIONS[0][0]
DAY_END = SESSIONS[-1][1]
# Same-day procedures received after this time are due the next working day.
SAME_DAY_CUTOFF = time(15, 0)

# A calendar in which no working day can be found within this many days is misconfigured
# (e.g. an admin table that closes the office for years); fail loudly instead of looping forever.
_MAX_SEARCH_DAYS = 3660

_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


def _as_date(value: date, what: str) -> date:
    # datetime is a subclass of date but never compares equal to one, so a datetime slipping into
    # a day table would silently never match: refuse it.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} phải là date, nhận được {value!r}")
    return value


def _to_local(dt: datetime) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"cần datetime có múi giờ, nhận được {dt!r}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"datetime không có múi giờ: {dt!r}; hãy dùng thời điểm có múi giờ")
    return dt.astimezone(LOCAL_TZ)


def _at(d: date, t: time) -> datetime:
    return datetime.combine(d, t, tzinfo=LOCAL_TZ)


def _to_decimal(value: Decimal | float | int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
        raise TypeError(f"{what} phải là số, nhận được {value!r}")
    # str() first so that 0.1 means one tenth, not its binary approximation.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"{what} phải là số hữu hạn, nhận được {value!r}")
    if number < 0:
        raise ValueError(f"{what} không được âm, nhận được {value!r}")
    return number


def _hours_to_timedelta(hours: Decimal) -> timedelta:
    micro = (hours * _MICROSECONDS_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return timedelta(microseconds=int(micro))


class WorkCalendar:
    """Working days and working hours of a one-stop desk.

    ``extra_days_off`` and ``extra_working_days`` are the administrator's table. Precedence, from
    strongest to weakest:

    1. the admin table — an extra working day is worked even if it is a weekend or a package holiday
       (a swap the package does not know yet), and an extra day off is off even if the package says it is
       worked (including a make-up Saturday the Government later cancelled);
    2. the ``holidays`` package — its holidays (and substituted days off) are off, its
       ``weekend_workdays`` (make-up Saturdays) are worked;
    3. the week — Monday to Friday are worked, Saturday and Sunday are off.

    The same date in both admin lists is a data error (the table cannot say both), so it raises
    ``ValueError`` rather than picking a side silently.

    Package years are loaded lazily and cached; instances are safe to share between threads.
    """

    def __init__(self, extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()) -> None:
        self._extra_off = frozenset(_as_date(d, "extra_days_off") for d in extra_days_off)
        self._extra_working = frozenset(_as_date(d, "extra_working_days") for d in extra_working_days)
        both = self._extra_off & self._extra_working
        if both:
            listed = ", ".join(d.strftime("%d/%m/%Y") for d in sorted(both))
            raise ValueError(f"Ngày vừa là ngày nghỉ vừa là ngày làm việc bổ sung: {listed}")
        self._package_off: set[date] = set()
        self._package_workdays: set[date] = set()
        self._loaded_years: set[int] = set()
        self._lock = threading.Lock()

    # -- days -------------------------------------------------------------------------------------

    def _ensure_year(self, year: int) -> None:
        if year in self._loaded_years:
            return
        with self._lock:
            if year in self._loaded_years:
                return
            # A swap is listed under the year of the day off, but its make-up Saturday may fall in the
            # previous year (e.g. 2/1/2015 off, Saturday 27/12/2014 worked), so load the next year too.
            for y in (year, year + 1):
                if y in self._loaded_years:
                    continue
                package = holidays.country_holidays("VN", years=y, language="vi")
                self._package_off.update(package.keys())
                self._package_workdays.update(package.weekend_workdays)
            self._loaded_years.add(year)

    def is_working_day(self, d: date) -> bool:
        """Whether the desk works on ``d`` (see the class docstring for the precedence rules)."""
        d = _as_date(d, "d")
        if d in self._extra_working:
            return True
        if d in self._extra_off:
            return False
        self._ensure_year(d.year)
        if d.weekday() >= 5:
            return d in self._package_workdays
        return d not in self._package_off

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d = _as_date(d, "d")
        for offset in range(1, _MAX_SEARCH_DAYS + 1):
            candidate = d + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"Không có ngày làm việc nào trong {_MAX_SEARCH_DAYS} ngày sau {d:%d/%m/%Y}")

    # -- instants ---------------------------------------------------------------------------------

    def next_working_start(self, dt: datetime) -> datetime:
        """The instant from which working time starts counting for something that happens at ``dt``.

        Inside a session: ``dt`` itself. Before 07:00 on a working day: 07:00. At lunch (11:30–13:30):
        13:30. From 17:00, or on a day off: 07:00 of the next working day. Returned in local time.
        """
        local = _to_local(dt)
        day = local.date()
        if self.is_working_day(day):
            clock = local.time()
            for start, end in SESSIONS:
                if clock < start:
                    return _at(day, start)
                if clock < end:
                    return local
        return _at(self.next_working_day(day), DAY_START)

    def _sessions_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals in order, the first one beginning at ``next_working_start(start)``."""
        current = self.next_working_start(start)
        day = current.date()
        while True:
            for session_start, session_end in SESSIONS:
                begin, end = _at(day, session_start), _at(day, session_end)
                if end <= current:
                    continue
                yield max(begin, current), end
            day = self.next_working_day(day)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of working time, counted from ``start``, has elapsed.

        Counting begins at :meth:`next_working_start`. The end of a session is a valid result: 8 hours
        from 07:00 end at 17:00 the same day (not 07:00 the next day), as one-stop software prints it.
        A zero duration gives ``next_working_start(start)``.
        """
        if duration < timedelta(0):
            raise ValueError(f"thời lượng không được âm, nhận được {duration!r}")
        remaining = duration
        for begin, end in self._sessions_from(start):
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _sessions_from is infinite")  # pragma: no cover

    def add_working_hours(self, start: datetime, hours: float | Decimal) -> datetime:
        """:meth:`add_working_time` with a number of working hours (rounded to the microsecond)."""
        return self.add_working_time(start, _hours_to_timedelta(_to_decimal(hours, "hours")))

    def appointment(self, received_at: datetime, processing_days: Decimal | float | int) -> datetime:
        """The appointment (ngày hẹn trả) for a dossier received at ``received_at``.

        ``processing_days`` working days of 8 working hours are counted from
        :meth:`next_working_start` (fractions allowed: 0.5 is 4 working hours). So a dossier received
        Monday 09:00 with 1 day is due Tuesday 09:00, and one received Friday after 17:00 with 2 days
        counts 16 working hours from Monday 07:00 and is due Tuesday 17:00.

        Same-day procedures (``processing_days == 0``) are due at 17:00 the day they are received, or at
        17:00 of the next working day when received after 15:00 or on a day off.
        """
        days = _to_decimal(processing_days, "processing_days")
        local = _to_local(received_at)
        if days == 0:
            day = local.date()
            if not self.is_working_day(day) or local.time() > SAME_DAY_CUTOFF:
                day = self.next_working_day(day)
            return _at(day, DAY_END)
        return self.add_working_hours(local, days * 8)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time elapsed from ``a`` to ``b`` (zero when ``b <= a``)."""
        a_local, b_local = _to_local(a), _to_local(b)
        if b_local <= a_local:
            return timedelta(0)
        total = timedelta(0)
        day = a_local.date()
        last = b_local.date()
        while day <= last:
            if self.is_working_day(day):
                for session_start, session_end in SESSIONS:
                    begin = max(_at(day, session_start), a_local)
                    end = min(_at(day, session_end), b_local)
                    if end > begin:
                        total += end - begin
            day += timedelta(days=1)
        return total

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Whole seconds of working time from ``a`` to ``b`` (0 when ``b <= a``)."""
        return int(self.working_time_between(a, b) // timedelta(seconds=1))

    def is_working_instant(self, dt: datetime) -> bool:
        """Whether ``dt`` is within a session of a working day, session ends included.

        The end is included because a deadline is an instant in time: 17:00 is a valid due time.
        """
        local = _to_local(dt)
        if not self.is_working_day(local.date()):
            return False
        clock = local.time()
        return any(start <= clock <= end for start, end in SESSIONS)
