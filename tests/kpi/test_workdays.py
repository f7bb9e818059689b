"""Working-day calendars (weekends, China's official holidays and 调休, admin overrides) and pace figures."""

import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import chinese_calendar
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backend.kpi.workdays import PaceFigures, WorkCalendar, YearSchedule
from backend.periods import PERIOD_KINDS, Period, parse_period, period_containing

CHINA = WorkCalendar()
OCTOBER_2025 = parse_period("2025-10")

# October 2025, by hand, with the official notice (National Day and Mid-Autumn merged):
#   Wed 1 - Wed 8   off (holidays 1-3 and 6-8, weekend 4-5)
#   Thu 9, Fri 10   work
#   Sat 11          work: make-up day (调休) for the holiday
#   Sun 12          off
#   13-17, 20-24, 27-31   work, 5 days each week
# 2 + 1 + 15 = 18 working days, against 23 weekdays.


# --- exact figures -------------------------------------------------------------------------------------


def test_october_2025_has_18_working_days_in_china_and_23_weekdays() -> None:
    assert CHINA.working_days_in(OCTOBER_2025) == 18
    assert WorkCalendar(use_china_official=False).working_days_in(OCTOBER_2025) == 23


def test_october_2025_holidays_and_make_up_day() -> None:
    assert not CHINA.is_working_day(date(2025, 10, 1))  # National Day, a Wednesday
    assert not CHINA.is_working_day(date(2025, 10, 6))  # Mid-Autumn, a Monday
    assert not CHINA.is_working_day(date(2025, 10, 8))  # a Wednesday in the holiday
    assert CHINA.is_working_day(date(2025, 10, 9))
    assert CHINA.is_working_day(date(2025, 10, 11))  # Saturday, make-up day
    assert not CHINA.is_working_day(date(2025, 10, 12))  # an ordinary Sunday
    assert CHINA.is_working_day(date(2025, 9, 28))  # Sunday, the other make-up day, in September


def test_pace_in_october_2025_on_the_15th() -> None:
    # Target 200,000.00; 48,000.00 done by the morning of Wednesday 15 October.
    # Elapsed: 9, 10, 11 (Saturday make-up), 13, 14 = 5 working days. Left: 15-17, 20-24, 27-31 = 13.
    figures = CHINA.pace(Decimal("200000.00"), Decimal("48000.00"), OCTOBER_2025, date(2025, 10, 15))

    assert figures == PaceFigures(
        expected_by_today=Decimal("55555.56"),  # 200,000 x 5 / 18 = 55,555.555...
        pace=Decimal("0.8640"),  # 48,000 / 55,555.56 = 0.86399999...
        forecast=Decimal("172800.00"),  # 48,000 + 9,600 a day x 13
        needed_per_working_day=Decimal("11692.31"),  # 152,000 / 13 = 11,692.3077, rounded up
        working_days_left=13,
        working_days_total=18,
        working_days_elapsed=5,
    )


def test_the_make_up_saturday_counts_as_elapsed_once_it_is_over() -> None:
    target, actual = Decimal(180), Decimal(20)
    saturday = CHINA.pace(target, actual, OCTOBER_2025, date(2025, 10, 11))
    sunday = CHINA.pace(target, actual, OCTOBER_2025, date(2025, 10, 12))

    assert (saturday.working_days_elapsed, saturday.working_days_left) == (2, 16)
    assert (sunday.working_days_elapsed, sunday.working_days_left) == (3, 15)
    assert saturday.expected_by_today == Decimal("20.00")  # 180 x 2 / 18
    assert saturday.pace == Decimal("1.0000")
    assert sunday.expected_by_today == Decimal("30.00")
    assert sunday.pace == Decimal("0.6667")
    assert sunday.needed_per_working_day == Decimal("10.67")  # 160 / 15 = 10.666..., rounded up


def test_pace_before_the_period_and_after_it() -> None:
    target, actual = Decimal("1000.00"), Decimal("1250.50")
    before = CHINA.pace(target, actual, OCTOBER_2025, date(2025, 9, 20))
    after = CHINA.pace(target, actual, OCTOBER_2025, date(2025, 11, 3))

    assert before == PaceFigures(
        expected_by_today=Decimal("0.00"),
        pace=None,
        forecast=Decimal("1250.50"),
        needed_per_working_day=Decimal("0.00"),
        working_days_left=18,
        working_days_total=18,
        working_days_elapsed=0,
    )
    assert after == PaceFigures(
        expected_by_today=Decimal("1000.00"),
        pace=Decimal("1.2505"),
        forecast=Decimal("1250.50"),
        needed_per_working_day=None,
        working_days_left=0,
        working_days_total=18,
        working_days_elapsed=18,
    )


def test_a_week_of_spring_festival_has_no_working_days_and_no_division_by_zero() -> None:
    # 15-23 February 2026 are all off: ISO week 8 (16-22 February) has no working day at all.
    week = parse_period("2026-W08")
    assert CHINA.working_days_in(week) == 0

    during = CHINA.pace(Decimal(10), Decimal(3), week, date(2026, 2, 18))
    assert during == PaceFigures(
        expected_by_today=Decimal("0.00"),
        pace=None,
        forecast=Decimal("3.00"),
        needed_per_working_day=None,
        working_days_left=0,
        working_days_total=0,
        working_days_elapsed=0,
    )
    after = CHINA.pace(Decimal(10), Decimal(3), week, date(2026, 2, 23))
    assert (after.expected_by_today, after.pace) == (Decimal("10.00"), Decimal("0.3000"))


def test_an_override_turns_a_saturday_into_a_working_day() -> None:
    # November 2025 has no public holiday: 20 weekdays (3-7, 10-14, 17-21, 24-28).
    november = parse_period("2025-11")
    saturday = date(2025, 11, 15)
    calendar = WorkCalendar({saturday: True})

    assert CHINA.working_days_in(november) == 20
    assert not CHINA.is_working_day(saturday)
    assert calendar.is_working_day(saturday)
    assert calendar.working_days_in(november) == 21
    assert calendar.working_days(saturday, saturday + timedelta(days=1)) == 1
    # On Monday the 17th, 11 working days have elapsed instead of 10: 2,100 x 11 / 21 = 1,100 expected.
    figures = calendar.pace(Decimal(2100), Decimal(1100), november, date(2025, 11, 17))
    assert (figures.working_days_elapsed, figures.working_days_left) == (11, 10)
    assert (figures.expected_by_today, figures.pace) == (Decimal("1100.00"), Decimal("1.0000"))
    assert figures.needed_per_working_day == Decimal("100.00")


def test_overrides_win_over_the_official_calendar() -> None:
    calendar = WorkCalendar({date(2025, 10, 1): True, date(2025, 10, 11): False, date(2025, 10, 20): False})

    assert calendar.is_working_day(date(2025, 10, 1))
    assert not calendar.is_working_day(date(2025, 10, 11))
    assert not calendar.is_working_day(date(2025, 10, 20))
    assert calendar.working_days_in(OCTOBER_2025) == 18 + 1 - 1 - 1


def test_overrides_are_copied_when_the_calendar_is_built() -> None:
    overrides = {date(2025, 11, 15): True}
    calendar = WorkCalendar(overrides)
    overrides[date(2025, 11, 22)] = True

    assert calendar.working_days_in(parse_period("2025-11")) == 21
    assert not calendar.is_working_day(date(2025, 11, 22))


def test_without_the_official_calendar_only_weekends_and_overrides_count() -> None:
    calendar = WorkCalendar({date(2025, 10, 3): False}, use_china_official=False)

    assert calendar.is_working_day(date(2025, 10, 1))
    assert not calendar.is_working_day(date(2025, 10, 11))
    assert calendar.working_days_in(OCTOBER_2025) == 22


def test_official_years_come_from_the_installed_package() -> None:
    years = WorkCalendar.official_years()

    assert years.start == 2004  # chinesecalendar's data starts with 2004
    assert 2025 in years
    assert years.stop - 1 == max(chinese_calendar.holidays).year


def test_outside_the_official_years_the_holidays_are_estimated() -> None:
    # chinesecalendar has no data for these years; the holidays package estimates them.
    assert CHINA.holiday_source(2026) == "chinesecalendar"
    assert CHINA.holiday_source(2027) == CHINA.holiday_source(2003) == "estimate"
    assert not CHINA.is_working_day(date(2003, 10, 1))  # National Day, a Wednesday
    assert not CHINA.is_working_day(date(2099, 10, 1))  # National Day, a Thursday
    assert CHINA.is_working_day(date(2099, 10, 8))  # a Thursday after the Golden Week
    # Past the years a period may name, only weekends are off.
    assert CHINA.holiday_source(2101) == "weekends"
    assert CHINA.is_working_day(date(2101, 10, 3))  # a Monday


def test_the_2027_spring_festival_is_estimated_off_so_february_has_16_working_days() -> None:
    # February 2027 has 20 weekdays; the estimate takes Fri 5 (New Year's Eve) and Mon 8 to Wed 10 off, and
    # has no make-up Saturday (the State Council's notice will decide those).
    february = parse_period("2027-02")
    assert CHINA.working_days_in(february) == 16
    assert [d.day for d in sorted(CHINA.holiday_schedule(2027).days_off) if d.month == 2] == [5, 6, 7, 8, 9, 10]
    assert CHINA.holiday_schedule(2027).make_up_workdays == frozenset()
    assert WorkCalendar(use_china_official=False).working_days_in(february) == 20


def test_an_entered_schedule_replaces_the_estimate_for_its_year_only() -> None:
    notice = YearSchedule(
        2027,
        days_off=frozenset(date(2027, 2, d) for d in range(6, 14)),  # Sat 6 to Sat 13
        make_up_workdays=frozenset({date(2027, 2, 14), date(2027, 2, 20)}),  # Sundays 14 and 20 worked
    )
    calendar = WorkCalendar(schedules=[notice])

    assert calendar.holiday_source(2027) == "entered"
    assert calendar.holiday_schedule(2027) == notice
    assert calendar.is_working_day(date(2027, 2, 5))  # off in the estimate, a working Friday in the notice
    assert not calendar.is_working_day(date(2027, 2, 12))
    assert calendar.is_working_day(date(2027, 2, 20))
    # 20 weekdays, less Mon 8 to Fri 12, plus the two make-up days.
    assert calendar.working_days_in(parse_period("2027-02")) == 17
    # Other years keep their source; the estimate's other 2027 holidays are replaced too (1 January works).
    assert calendar.working_days_in(parse_period("2026")) == CHINA.working_days_in(parse_period("2026"))
    assert calendar.is_working_day(date(2027, 1, 1))
    # An admin's override of a unit's day still wins.
    assert (
        WorkCalendar({date(2027, 2, 20): False}, schedules=[notice]).working_days_in(parse_period("2027-02")) == 16
    )


def test_an_entered_schedule_wins_over_chinesecalendar() -> None:
    # A notice changed after the package was released: 2026-10-10 (a make-up Saturday) was cancelled.
    packaged = CHINA.holiday_schedule(2026)
    corrected = YearSchedule(2026, packaged.days_off, packaged.make_up_workdays - {date(2026, 10, 10)})
    calendar = WorkCalendar(schedules=[corrected])

    assert CHINA.is_working_day(date(2026, 10, 10))
    assert not calendar.is_working_day(date(2026, 10, 10))
    assert calendar.working_days_in(parse_period("2026")) == CHINA.working_days_in(parse_period("2026")) - 1


def test_the_whole_of_2025_has_248_working_days_in_china() -> None:
    # 261 weekdays, less 18 holidays falling on weekdays (New Year 1, Spring Festival 6, Qingming 1,
    # Labour Day 3, Dragon Boat 1, National Day and Mid-Autumn 6), plus 5 make-up weekend days.
    assert CHINA.working_days_in(parse_period("2025")) == 248
    assert WorkCalendar(use_china_official=False).working_days_in(parse_period("2025")) == 261


def test_empty_and_reversed_ranges_have_no_working_days() -> None:
    assert CHINA.working_days(date(2025, 10, 15), date(2025, 10, 15)) == 0
    assert CHINA.working_days(date(2025, 10, 20), date(2025, 10, 15)) == 0


def test_overrides_must_be_keyed_by_date() -> None:
    with pytest.raises(TypeError):
        WorkCalendar({datetime(2025, 11, 15, 9, 0): True})


def test_counting_long_ranges_thousands_of_times_is_fast() -> None:
    calendar = WorkCalendar({date(2025, 11, 15): True})
    started = time.perf_counter()
    for offset in range(5000):
        calendar.working_days(date(2000, 1, 1) + timedelta(days=offset), date(2099, 12, 31))
    # A day-by-day loop would take minutes here; the prefix sums take a few milliseconds.
    assert time.perf_counter() - started < 1.0


# --- properties ----------------------------------------------------------------------------------------

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def year_schedules(draw: st.DrawFn) -> YearSchedule:
    year = draw(st.integers(2024, 2028))
    in_year = st.dates(date(year, 1, 1), date(year, 12, 31))
    days_off = draw(st.frozensets(in_year, max_size=20))
    return YearSchedule(year, days_off, draw(st.frozensets(in_year, max_size=6)) - days_off)


calendars = st.builds(
    WorkCalendar,
    st.dictionaries(days, st.booleans(), max_size=30),
    st.booleans(),
    st.lists(year_schedules(), max_size=2),
)


@given(calendars, days, days, days)
def test_working_days_add_up_over_adjacent_ranges(calendar: WorkCalendar, a: date, b: date, c: date) -> None:
    a, b, c = sorted((a, b, c))
    assert calendar.working_days(a, b) + calendar.working_days(b, c) == calendar.working_days(a, c)


@given(calendars, days, st.integers(min_value=0, max_value=800))
def test_working_days_equal_a_day_by_day_count(calendar: WorkCalendar, start: date, length: int) -> None:
    end = start + timedelta(days=length)
    naive = sum(calendar.is_working_day(start + timedelta(days=i)) for i in range(length))
    assert calendar.working_days(start, end) == naive


@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)))
def test_without_overrides_the_calendar_is_chinas(day: date) -> None:
    assert CHINA.is_working_day(day) == chinese_calendar.is_workday(day)


@given(st.dictionaries(days, st.booleans(), min_size=1, max_size=10), st.booleans(), st.data())
def test_an_override_always_wins(overrides: dict[date, bool], official: bool, data: st.DataObject) -> None:
    calendar = WorkCalendar(overrides, use_china_official=official)
    day = data.draw(st.sampled_from(sorted(overrides)))
    assert calendar.is_working_day(day) is overrides[day]


amounts = st.decimals(min_value=0, max_value=Decimal("1e9"), places=2)


@st.composite
def pace_inputs(draw: st.DrawFn) -> tuple[WorkCalendar, Period, date]:
    calendar = draw(calendars)
    period = period_containing(
        draw(st.sampled_from(PERIOD_KINDS)), draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    )
    today = draw(st.dates(period.start - timedelta(days=10), period.end + timedelta(days=10)))
    return calendar, period, today


@given(pace_inputs(), amounts, amounts)
def test_pace_arithmetic(inputs: tuple[WorkCalendar, Period, date], target: Decimal, actual: Decimal) -> None:
    calendar, period, today = inputs
    figures = calendar.pace(target, actual, period, today)

    assert figures.working_days_total == calendar.working_days_in(period)
    assert figures.working_days_elapsed + figures.working_days_left == figures.working_days_total
    assert 0 <= figures.expected_by_today <= target
    assert figures.forecast >= actual
    if figures.working_days_left == 0:
        assert figures.needed_per_working_day is None
        assert figures.forecast == actual
    else:
        needed = figures.needed_per_working_day
        assert needed is not None
        shortfall = max(target - actual, Decimal(0))
        # Doing the figure shown every day left reaches the target, overshooting by less than a cent a day.
        assert (
            shortfall
            <= needed * figures.working_days_left
            < shortfall + Decimal("0.01") * figures.working_days_left
        )
    if today <= period.start:
        assert (figures.working_days_elapsed, figures.expected_by_today, figures.pace) == (0, 0, None)
    if today >= period.end:
        assert figures.working_days_left == 0
        assert figures.expected_by_today == target
    if figures.expected_by_today == 0:
        assert figures.pace is None
    else:
        assert figures.pace is not None
        if figures.pace > 1:
            assert actual > figures.expected_by_today
        if figures.pace < 1:
            assert actual < figures.expected_by_today


@given(pace_inputs(), amounts)
def test_on_pace_exactly_when_actual_is_what_was_expected(
    inputs: tuple[WorkCalendar, Period, date], target: Decimal
) -> None:
    calendar, period, today = inputs
    expected = calendar.pace(target, Decimal(0), period, today).expected_by_today
    assume(expected > 0)

    figures = calendar.pace(target, expected, period, today)

    assert figures.expected_by_today == expected
    assert figures.pace == Decimal("1.0000")
    # On pace, the run rate forecasts the target, give or take the cent that expected_by_today was rounded.
    assert abs(figures.forecast - target) <= Decimal("0.01") * (figures.working_days_total + 1)
