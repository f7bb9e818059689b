"""Periods as CONTRACT.md writes them, their local-midnight boundaries, and monthly target splits."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.periods import (
    PERIOD_KINDS,
    InvalidPeriod,
    Period,
    parse_period,
    period_containing,
    period_of_instant,
    split_target,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

# 2000-01-01 and -02 belong to ISO week 1999-W52, outside the supported years, so the first day that has
# a period of every kind is Monday 3 January 2000.
days = st.dates(min_value=date(2000, 1, 3), max_value=date(2100, 12, 31))
kinds = st.sampled_from(PERIOD_KINDS)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    return period_containing(draw(kinds), draw(days))


# --- exact figures -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026", "year", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-02", "month", date(2026, 2, 1), date(2026, 3, 1)),
        ("2028-02", "month", date(2028, 2, 1), date(2028, 3, 1)),
        ("2026-11", "month", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-W48", "week", date(2026, 11, 23), date(2026, 11, 30)),
        # 2026 starts on a Thursday, so it has an ISO week 53, which ends in 2027.
        ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 4)),
        # ISO week 1 of 2025 starts in December 2024.
        ("2025-W01", "week", date(2024, 12, 30), date(2025, 1, 6)),
        ("2000", "year", date(2000, 1, 1), date(2001, 1, 1)),
        ("2100-12", "month", date(2100, 12, 1), date(2101, 1, 1)),
    ],
)
def test_parse_period_gives_its_days(text: str, kind: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.kind, period.key, period.start, period.end) == (kind, text, start, end)
    assert str(period) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026-00",
        "2026-1",
        "2026-Q5",
        "2026-Q0",
        "2026-q4",
        "2026-W00",
        "2025-W53",  # 2025 has 52 ISO weeks
        "2026-W54",
        "2026-w48",
        "2026-W4",
        "1999",
        "2101",
        "1999-12",
        "20266",
        "026",
        " 2026",
        "2026 ",
        "2026\n",
        "2030-11-01",  # a day is not a period
        "2026/11",
        "２０２６",  # full-width digits
        "2026-H1",
    ],
)
def test_parse_period_refuses_other_spellings(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(text)


def test_invalid_period_is_a_value_error() -> None:
    assert issubclass(InvalidPeriod, ValueError)


def test_visit_at_2330_in_shanghai_on_30_november_counts_in_november() -> None:
    instant = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai (UTC+8)

    assert str(period_of_instant("month", instant, SHANGHAI)) == "2026-11"
    assert str(period_of_instant("month", instant, ZoneInfo("UTC"))) == "2026-11"
    # Half an hour later it is December in Shanghai but still November in UTC.
    later = instant + timedelta(minutes=30)
    assert str(period_of_instant("month", later, SHANGHAI)) == "2026-12"
    assert str(period_of_instant("month", later, ZoneInfo("UTC"))) == "2026-11"
    assert str(period_of_instant("week", instant, SHANGHAI)) == "2026-W49"  # Monday 30 November


def test_november_in_shanghai_runs_from_16_00_utc_to_16_00_utc() -> None:
    start, end = parse_period("2026-11").bounds(SHANGHAI)

    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert start.tzinfo is UTC


def test_bounds_follow_daylight_saving_in_berlin() -> None:
    # Berlin leaves summer time on 25 October 2026: October starts at UTC+2 and November at UTC+1.
    start, end = parse_period("2026-10").bounds(ZoneInfo("Europe/Berlin"))

    assert start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)


def test_bounds_when_daylight_saving_skips_midnight() -> None:
    # Damascus jumped from 00:00 to 01:00 (UTC+2 to UTC+3) on 1 April 2005: April began at 01:00 local,
    # which was 22:00 UTC on 31 March; March had begun at midnight UTC+2.
    start, _ = parse_period("2005-04").bounds(ZoneInfo("Asia/Damascus"))
    assert start == datetime(2005, 3, 31, 22, 0, tzinfo=UTC)
    assert parse_period("2005-03").bounds(ZoneInfo("Asia/Damascus")) == (
        datetime(2005, 2, 28, 22, 0, tzinfo=UTC),
        start,
    )


def test_period_of_instant_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        period_of_instant("month", datetime(2026, 11, 30, 23, 30), SHANGHAI)


def test_period_containing_refuses_unknown_kinds_and_datetimes() -> None:
    with pytest.raises(ValueError, match="unknown period kind"):
        period_containing("fortnight", date(2026, 1, 1))
    with pytest.raises(TypeError):
        period_containing("month", datetime(2026, 1, 1, 12, 0, tzinfo=UTC))


def test_previous_crosses_year_boundaries() -> None:
    assert str(parse_period("2026-01").previous()) == "2025-12"
    assert str(parse_period("2026-Q1").previous()) == "2025-Q4"
    assert str(parse_period("2027-W01").previous()) == "2026-W53"
    assert str(parse_period("2026-W01").previous()) == "2025-W52"
    assert str(parse_period("2026").previous()) == "2025"
    with pytest.raises(InvalidPeriod):
        parse_period("2000").previous()


def test_months_of_a_quarter_and_a_month() -> None:
    assert [str(m) for m in parse_period("2026-Q4").months()] == ["2026-10", "2026-11", "2026-12"]
    assert parse_period("2026-11").months() == [parse_period("2026-11")]
    assert len(parse_period("2026").months()) == 12
    with pytest.raises(ValueError):
        parse_period("2026-W48").months()


def test_contains_day_is_half_open() -> None:
    november = parse_period("2026-11")
    assert november.contains_day(date(2026, 11, 1))
    assert november.contains_day(date(2026, 11, 30))
    assert not november.contains_day(date(2026, 12, 1))
    assert not november.contains_day(date(2026, 10, 31))


def test_split_a_quarter_flat_puts_the_extra_cent_on_the_first_month() -> None:
    # 100 / 3 = 33.333...: every month gets 33.33, and the one missing cent goes to the earliest month,
    # all three having the same discarded fraction.
    assert split_target(Decimal("100"), parse_period("2026-Q1").months()) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


def test_split_a_year_by_seasonality() -> None:
    # A quiet February (Spring Festival) and a strong December: weights 1, 0.5, 1 x 9, 1.5 (sum 12).
    weights = [Decimal(1), Decimal("0.5"), *[Decimal(1)] * 9, Decimal("1.5")]
    parts = split_target(Decimal("1200000.00"), parse_period("2026").months(), weights)

    assert parts == [
        Decimal("100000.00"),
        Decimal("50000.00"),
        *[Decimal("100000.00")] * 9,
        Decimal("150000.00"),
    ]


def test_split_by_largest_remainder() -> None:
    # Exact shares of 10.00 by 1:1:1:4 are 1.428571..., x3, and 5.714285...; floors add up to 9.99, and the
    # missing cent goes to the largest discarded fraction (0.857 cents, the first three months).
    four_months = [*parse_period("2026-Q1").months(), parse_period("2026-04")]
    parts = split_target(Decimal("10.00"), four_months, [Decimal(w) for w in "1114"])
    assert parts == [Decimal("1.43"), Decimal("1.43"), Decimal("1.43"), Decimal("5.71")]


def test_split_visits_into_whole_visits() -> None:
    parts = split_target(Decimal(100), parse_period("2026-Q2").months(), quantum=Decimal(1))
    assert parts == [Decimal(34), Decimal(33), Decimal(33)]


def test_a_month_weighted_zero_gets_nothing() -> None:
    weights = [Decimal(1), Decimal(0), Decimal(1)]
    parts = split_target(Decimal("0.05"), parse_period("2026-Q3").months(), weights)
    assert parts == [Decimal("0.03"), Decimal("0.00"), Decimal("0.02")]


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        (Decimal(100), [Decimal(0), Decimal(0), Decimal(0)]),
        (Decimal(100), [Decimal(1), Decimal(-1), Decimal(1)]),
        (Decimal(100), [Decimal(1), Decimal(1)]),
        (Decimal(100), [Decimal(1), Decimal("NaN"), Decimal(1)]),
        (Decimal(-100), None),
        (Decimal("100.005"), None),
    ],
)
def test_split_target_refuses_bad_input(total: Decimal, weights: list[Decimal] | None) -> None:
    with pytest.raises(ValueError):
        split_target(total, parse_period("2026-Q1").months(), weights)


# --- properties ----------------------------------------------------------------------------------------


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)))
def test_every_day_belongs_to_exactly_one_period_of_each_kind(day: date) -> None:
    for kind in PERIOD_KINDS:
        period = period_containing(kind, day)
        assert period.kind == kind
        assert period.contains_day(day)
        assert not period.previous().contains_day(day)
        # The next period of the kind does not contain it either.
        assert not period_containing(kind, period.end).contains_day(day)


@given(periods())
def test_periods_of_a_kind_tile_time(period: Period) -> None:
    # The first and last periods of the supported years have no neighbour on one side.
    if period.start.year > 2000:
        previous = period.previous()
        assert previous.kind == period.kind
        assert previous.end == period.start
    if period.end.year <= 2100:
        following = period_containing(period.kind, period.end)
        assert following.start == period.end
    assert period_containing(period.kind, period.end - timedelta(days=1)) == period
    assert period.start < period.end


@given(periods())
def test_parse_reads_back_what_str_writes(period: Period) -> None:
    assert parse_period(str(period)) == period


@given(periods(), st.timezones())
def test_bounds_are_local_midnights_in_any_zone(period: Period, tz: ZoneInfo) -> None:
    start, end = period.bounds(tz)

    assert start.utcoffset() == timedelta(0)
    assert start < end
    for day, instant in ((period.start, start), (period.end, end)):
        # The first instant of the local day: midnight, unless a daylight-saving jump skipped it.
        assert instant.astimezone(tz).date() == day
        assert (instant - timedelta(microseconds=1)).astimezone(tz).date() < day
        assert instant.astimezone(tz).time() == time(0) or not _midnight_exists(day, tz)
    # And the period of an instant inside the bounds is the period itself.
    assert period_of_instant(period.kind, start, tz) == period
    assert period_of_instant(period.kind, end - timedelta(microseconds=1), tz) == period


@given(st.integers(min_value=2000, max_value=2100))
def test_the_months_of_a_year_add_up_to_the_year(year: int) -> None:
    year_period = parse_period(str(year))
    months = year_period.months()

    assert len(months) == 12
    assert months[0].start == year_period.start
    assert months[-1].end == year_period.end
    assert all(a.end == b.start for a, b in pairwise(months))
    assert sum((m.end - m.start).days for m in months) == (year_period.end - year_period.start).days
    quarters = {period_containing("quarter", m.start) for m in months}
    assert sorted(str(q) for q in quarters) == [f"{year}-Q{q}" for q in range(1, 5)]
    assert [m for q in sorted(quarters, key=lambda q: q.start) for m in q.months()] == months


@given(
    st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["2026", "2026-Q1", "2026-Q4", "2026-11"]),
    st.data(),
)
def test_split_target_adds_up_exactly_and_is_never_negative(total: Decimal, key: str, data: st.DataObject) -> None:
    months = parse_period(key).months()
    weights = data.draw(
        st.none()
        | st.lists(
            st.decimals(min_value=0, max_value=1000, places=3),
            min_size=len(months),
            max_size=len(months),
        ).filter(lambda ws: any(w > 0 for w in ws))
    )

    parts = split_target(total, months, weights)

    assert len(parts) == len(months)
    assert sum(parts) == total
    assert all(part >= 0 and part == part.quantize(Decimal("0.01")) for part in parts)
    # No part is more than a cent away from its exact share.
    ws = weights or [Decimal(1)] * len(months)
    for part, weight in zip(parts, ws, strict=True):
        exact = total * weight / sum(ws)
        assert abs(part - exact) < Decimal("0.01")


def _midnight_exists(day: date, tz: ZoneInfo) -> bool:
    midnight = datetime.combine(day, time(0))
    return midnight.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == midnight
