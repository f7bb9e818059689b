"""Working-day calendars, and the pace figures that are measured in working days.

A ``WorkCalendar`` answers "is this a working day?" and "how many working days between these dates?".
The rule, most specific first:

1. an admin's override for that date (a working Saturday, a company day off);
2. China's public holidays and make-up workdays (调休), when the calendar uses them, for each year from the
   first of these that has it (``WorkCalendar.holiday_source``):
   a. the official schedule an admin entered for that year (``YearSchedule``), as the State Council
      announced it;
   b. the ``chinesecalendar`` package, for the years it covers (``WorkCalendar.official_years()``);
   c. the ``holidays`` package's estimate (``holiday_estimates``), for the later (and earlier) years, so
      that the Spring Festival is not counted as working days before its notice is entered;
3. Monday to Friday work, Saturday and Sunday off.

This is the only module that imports ``chinese_calendar``.

Counting is O(log n) per call whatever the range: a Monday-to-Friday count is plain arithmetic, and the
few dates where the calendar departs from it (holidays on weekdays, working weekends, overrides) are kept
sorted with a running total, so the KPI engine can ask thousands of times per request.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache
from itertools import accumulate
from typing import Literal

import chinese_calendar

from backend.kpi import holiday_estimates
from backend.periods import MAX_YEAR, MIN_YEAR, Period

# Money and other amounts are shown to the cent, ratios such as pace to four places (0.9750 = 97.50 %).
AMOUNT = Decimal("0.01")
RATIO = Decimal("0.0001")

# Where a year's public holidays come from: an admin's entered schedule and chinesecalendar are official,
# the holidays package's figures an estimate; "weekends" when the calendar does not use China's holidays.
HolidaySource = Literal["entered", "chinesecalendar", "estimate", "weekends"]


@dataclass(frozen=True)
class YearSchedule:
    """China's days off and make-up working days (调休) of one year, as the State Council announced them.

    Replaces every other source of public holidays for its year, even one ``chinesecalendar`` covers.
    """

    year: int
    days_off: frozenset[date]
    make_up_workdays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_workdays:
            return True
        return day not in self.days_off and _is_weekday(day)


@dataclass(frozen=True)
class PaceFigures:
    """Where a subject stands against an additive target, by working days. See ``WorkCalendar.pace``."""

    expected_by_today: Decimal
    pace: Decimal | None
    forecast: Decimal
    needed_per_working_day: Decimal | None
    working_days_left: int
    working_days_total: int
    working_days_elapsed: int


class WorkCalendar:
    """The working days of one organisation (or unit): weekends, official Chinese holidays, overrides.

    ``overrides`` maps a date to True (a working day) or False (a day off) and wins over every other rule.
    ``schedules`` are the official schedules entered for some years. With ``use_china_official`` False the
    calendar is Monday to Friday plus the overrides.
    """

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        use_china_official: bool = True,
        schedules: Iterable[YearSchedule] = (),
    ) -> None:
        for day in overrides or {}:
            # A datetime is a date to Python but never equal to one, so its override would silently not apply.
            if not isinstance(day, date) or isinstance(day, datetime):
                raise TypeError(f"calendar overrides are keyed by date, not {type(day).__name__}")
        # A copy: the caller's mapping changing later must not desynchronise the precomputed counts.
        self._overrides = dict(overrides or {})
        self._use_china_official = use_china_official
        self._schedules = {schedule.year: schedule for schedule in schedules}

        # Every date that may depart from Monday-to-Friday; only those that actually do are kept.
        candidates = set(self._overrides)
        if use_china_official:
            candidates.update(chinese_calendar.holidays)
            candidates.update(chinese_calendar.workdays)
            candidates.update(_estimates())
            for schedule in self._schedules.values():
                candidates.update(schedule.days_off, schedule.make_up_workdays)
        departures = sorted(
            (day.toordinal(), 1 if working else -1)
            for day in candidates
            if (working := self.is_working_day(day)) != _is_weekday(day)
        )
        self._departure_ordinals = [ordinal for ordinal, _ in departures]
        # _departure_totals[i] = net effect of the first i departures on a Monday-to-Friday count.
        self._departure_totals = [0, *accumulate(delta for _, delta in departures)]

    @staticmethod
    @cache
    def official_years() -> range:
        """The years for which the installed ``chinesecalendar`` knows China's holidays and make-up days.

        Read from the package's own data, so upgrading it extends the range; outside it, the holidays are
        estimated unless an official schedule was entered.
        """
        known = [*chinese_calendar.holidays, *chinese_calendar.workdays]
        return range(min(known).year, max(known).year + 1)

    def holiday_source(self, year: int) -> HolidaySource:
        """Where this calendar takes the year's public holidays from (the rule in the module docstring)."""
        if not self._use_china_official:
            return "weekends"
        if year in self._schedules:
            return "entered"
        if year in self.official_years():
            return "chinesecalendar"
        return "estimate" if year in _estimated_years() else "weekends"

    def holiday_schedule(self, year: int) -> YearSchedule:
        """The year's public holidays and make-up workdays as this calendar takes them (overrides aside)."""
        source = self.holiday_source(year)
        if source == "entered":
            return self._schedules[year]
        if source == "chinesecalendar":
            known = {day: False for day in chinese_calendar.holidays} | dict.fromkeys(
                chinese_calendar.workdays, True
            )
        elif source == "estimate":
            known = _estimates()
        else:
            known = {}
        return YearSchedule(
            year,
            frozenset(day for day, working in known.items() if day.year == year and not working),
            frozenset(day for day, working in known.items() if day.year == year and working),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if not self._use_china_official:
            return _is_weekday(day)
        schedule = self._schedules.get(day.year)
        if schedule is not None:
            return schedule.is_working_day(day)
        if day.year in self.official_years():
            # The package's own rule (its is_workday), read from its public tables directly: is_workday
            # re-scans every table to check the year on each call, which made building a calendar slow.
            if day in chinese_calendar.workdays:
                return True
            return day not in chinese_calendar.holidays and _is_weekday(day)
        return _estimates().get(day, _is_weekday(day))

    def working_days(self, start: date, end: date) -> int:
        """The number of working days in ``[start, end)``; 0 when ``end`` is not after ``start``."""
        if end <= start:
            return 0
        first, stop = start.toordinal(), end.toordinal()
        weekdays = _weekdays_before(stop) - _weekdays_before(first)
        departures = (
            self._departure_totals[bisect_left(self._departure_ordinals, stop)]
            - self._departure_totals[bisect_left(self._departure_ordinals, first)]
        )
        return weekdays + departures

    def working_days_in(self, period: Period) -> int:
        return self.working_days(period.start, period.end)

    def pace(self, target: Decimal, actual: Decimal, period: Period, today: date) -> PaceFigures:
        """Pace figures for an ADDITIVE metric (revenue, visits, new customers) on the local day ``today``.

        The product's definitions:

        - ``working_days_total``: working days in the period.
        - ``working_days_elapsed``: working days in ``[period.start, today)``, clamped to the period; today
          is not counted because today's work is not done yet.
        - ``working_days_left``: working days in ``[today, period.end)``, clamped: all of them before the
          period starts, 0 once it has ended. Always ``total - elapsed``.
        - ``expected_by_today = target * elapsed / total``, to the cent. A period with no working days at all
          expects nothing until it has ended and the whole target afterwards, as any period does.
        - ``pace = actual / expected_by_today``, to 4 places (1.0000 is exactly on pace); ``None`` when
          nothing is expected yet. It divides by the expected figure as shown, so that an actual equal to
          the expected figure on screen is exactly on pace.
        - ``forecast = actual + (actual / elapsed) * left``: the run rate per working day so far, carried
          over the working days left; just ``actual`` while no working day has elapsed. To the cent.
        - ``needed_per_working_day = max(target - actual, 0) / left``; ``None`` when no working day is
          left. Rounded UP to the cent, so that doing the figure shown every day does reach the target.
        """
        total = self.working_days_in(period)
        clamped_today = min(max(today, period.start), period.end)
        elapsed = self.working_days(period.start, clamped_today)
        left = total - elapsed

        if total:
            expected = _amount(target * elapsed / total)
        else:
            expected = _amount(target) if today >= period.end else _amount(Decimal(0))
        pace = (actual / expected).quantize(RATIO, ROUND_HALF_UP) if expected else None
        forecast = _amount(actual + actual / elapsed * left) if elapsed else _amount(actual)
        needed = (max(target - actual, Decimal(0)) / left).quantize(AMOUNT, ROUND_CEILING) if left else None
        return PaceFigures(
            expected_by_today=expected,
            pace=pace,
            forecast=forecast,
            needed_per_working_day=needed,
            working_days_left=left,
            working_days_total=total,
            working_days_elapsed=elapsed,
        )


def _is_weekday(day: date) -> bool:
    return day.weekday() < 5


@cache
def _estimated_years() -> range:
    """The years a period may name (``periods``) that the estimate covers, chinesecalendar's or not."""
    supported = holiday_estimates.SUPPORTED_YEARS
    return range(max(MIN_YEAR, supported.start), min(MAX_YEAR + 1, supported.stop))


@cache
def _estimates() -> dict[date, bool]:
    """The estimated holidays (False) and make-up days (True) of the years chinesecalendar lacks; computed
    once per process, as every calendar shares them."""
    official = WorkCalendar.official_years()
    return holiday_estimates.china(year for year in _estimated_years() if year not in official)


def _weekdays_before(ordinal: int) -> int:
    """Monday-to-Friday days among the ordinals ``[1, ordinal)``; ordinal 1 (1 January 1) is a Monday."""
    weeks, extra_days = divmod(ordinal - 1, 7)
    return weeks * 5 + min(extra_days, 5)


def _amount(value: Decimal) -> Decimal:
    # Half up (四舍五入), as people round money by hand; Decimal's default is half even.
    return value.quantize(AMOUNT, ROUND_HALF_UP)
