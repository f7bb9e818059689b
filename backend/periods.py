"""Goal periods: a year, quarter, month or ISO week, written as CONTRACT.md spells them.

A period is a half-open range of local days ``[start, end)``. Its boundaries are midnight in the subject's
time zone, so the same ``2026-11`` covers different UTC instants for a rep in Shanghai and one in Berlin:
``Period.bounds(tz)`` turns the days into instants, ``period_of_instant`` goes the other way.

Also here: ``split_target``, which cuts a year or quarter target into monthly targets by a seasonality
profile, to the cent and without losing a cent.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["year", "quarter", "month", "week"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("year", "quarter", "month", "week")

# The years a period may name. Bounded so that a typo such as "20266" or "0026" is refused rather than
# silently accepted, and so that every period's neighbours are representable.
MIN_YEAR = 2000
MAX_YEAR = 2100

# [0-9] rather than \d: \d also matches other scripts' digits ("２０２６"), which are not a period's spelling.
_YEAR = re.compile(r"([0-9]{4})")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")


class InvalidPeriod(ValueError):
    """The text is not a period as CONTRACT.md writes them, or the period lies outside MIN_YEAR..MAX_YEAR."""


@dataclass(frozen=True)
class Period:
    """A year, quarter, month or ISO week: the local days ``[start, end)``.

    Build one with ``parse_period`` or ``period_containing``; ``key`` is its canonical text.
    """

    kind: PeriodKind
    key: str
    start: date
    end: date  # exclusive: the first day of the next period

    def __str__(self) -> str:
        return self.key

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants at which the period starts and ends for someone living in ``tz``.

        Each is local midnight; where a daylight-saving jump skips midnight (America/Santiago, say), it is
        the first instant of the day, which is what ``fold=0`` gives.
        """
        return _local_midnight(self.start, tz), _local_midnight(self.end, tz)

    def contains_day(self, day: date) -> bool:
        return self.start <= day < self.end

    def months(self) -> list[Period]:
        """The months that make up a year or a quarter; a month is its own single month.

        A week is not made of months (it may straddle two), so asking is an error.
        """
        if self.kind == "week":
            raise ValueError(f"{self.key} is a week, which is not made of whole months")
        months = []
        day = self.start
        while day < self.end:
            month = period_containing("month", day)
            months.append(month)
            day = month.end
        return months

    def previous(self) -> Period:
        """The period of the same kind that ends where this one starts."""
        return period_containing(self.kind, self.start - timedelta(days=1))


@functools.lru_cache(maxsize=4096)
def period_ends_at(key: str) -> datetime:
    """The instant a period ends, at midnight UTC after its last day (a goal of it ages from then)."""
    return datetime.combine(parse_period(key).end, time(), UTC)


def parse_period(text: str) -> Period:
    """Read ``2026``, ``2026-Q4``, ``2026-11`` or ``2026-W48``; anything else raises ``InvalidPeriod``.

    Exactly those spellings: no whitespace, no lower-case ``q``/``w``, no single-digit month or week.
    """
    if not isinstance(text, str):
        raise InvalidPeriod(f"a period is text, not {type(text).__name__}")
    if match := _YEAR.fullmatch(text):
        year = _checked_year(int(match[1]), text)
        return _year(year)
    if match := _QUARTER.fullmatch(text):
        year = _checked_year(int(match[1]), text)
        return _quarter(year, int(match[2]))
    if match := _MONTH.fullmatch(text):
        year = _checked_year(int(match[1]), text)
        return _month(year, int(match[2]))
    if match := _WEEK.fullmatch(text):
        year = _checked_year(int(match[1]), text)
        week = int(match[2])
        if not 1 <= week <= _iso_weeks_in(year):
            raise InvalidPeriod(f"{text!r}: {year} has weeks 01 to {_iso_weeks_in(year):02d}")
        return _week(year, week)
    raise InvalidPeriod(f"{text!r} is not a period: write 2026, 2026-Q4, 2026-11 or 2026-W48")


def period_containing(kind: str, day: date) -> Period:
    """The period of ``kind`` in which the local day ``day`` falls."""
    if isinstance(day, datetime):
        # A datetime is a date to Python; taking its date part silently would hide a missing time zone.
        raise TypeError("period_containing takes a local date; use period_of_instant for a datetime")
    if kind == "year":
        return _year(_checked_year(day.year, day.isoformat()))
    if kind == "quarter":
        return _quarter(_checked_year(day.year, day.isoformat()), (day.month - 1) // 3 + 1)
    if kind == "month":
        return _month(_checked_year(day.year, day.isoformat()), day.month)
    if kind == "week":
        iso_year, week, _ = day.isocalendar()
        return _week(_checked_year(iso_year, day.isoformat()), week)
    raise ValueError(f"unknown period kind {kind!r}: expected one of {', '.join(PERIOD_KINDS)}")


def period_of_instant(kind: str, instant: datetime, tz: ZoneInfo) -> Period:
    """The period of ``kind`` in which ``instant`` falls for someone living in ``tz``.

    23:30 on 30 November in Asia/Shanghai is 15:30 UTC, and belongs to November there.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("period_of_instant needs an aware datetime: a naive one has no place in time")
    return period_containing(kind, instant.astimezone(tz).date())


def split_target(
    total: Decimal,
    months: list[Period],
    weights: list[Decimal] | None = None,
    *,
    quantum: Decimal = Decimal("0.01"),
) -> list[Decimal]:
    """Cut ``total`` into one target per month, in proportion to ``weights`` (flat when ``None``).

    Each part is a multiple of ``quantum`` (a cent by default; pass ``Decimal(1)`` for counts such as
    visits) and the parts add up exactly to ``total``. Rounding uses the largest-remainder method: every
    month first gets its exact share rounded down, then the quanta still missing go one each to the months
    with the largest discarded fractions, earlier months first on a tie. So no part is ever more than one
    quantum away from its exact share, and a month weighted zero gets exactly zero.

    Raises ``ValueError`` when ``total`` is negative or not a multiple of ``quantum`` (the parts could not
    add up to it), when there are no months, when the weights are not one per month, or when a weight is
    negative or they are all zero.
    """
    if not months:
        raise ValueError("split_target needs at least one month")
    if weights is None:
        weights = [Decimal(1)] * len(months)
    if len(weights) != len(months):
        raise ValueError(f"{len(weights)} weights for {len(months)} months: give one weight per month")
    if not quantum.is_finite() or quantum <= 0:
        raise ValueError(f"the quantum must be positive, not {quantum}")
    if not total.is_finite() or total < 0:
        raise ValueError(f"a target is a non-negative amount, not {total}")
    if any(not weight.is_finite() or weight < 0 for weight in weights):
        raise ValueError("seasonality weights must be non-negative numbers")
    weight_sum = sum((Fraction(weight) for weight in weights), Fraction(0))
    if weight_sum == 0:
        raise ValueError("seasonality weights must not all be zero")
    units = Fraction(total) / Fraction(quantum)
    if units.denominator != 1:
        raise ValueError(f"{total} is not a whole number of {quantum}: the parts could not add up to it")

    # Exact rational arithmetic, so that the shares, and therefore the parts, never depend on the
    # Decimal context's precision.
    shares = [units * Fraction(weight) / weight_sum for weight in weights]
    parts = [share.numerator // share.denominator for share in shares]
    missing = int(units) - sum(parts)
    by_largest_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_largest_remainder[:missing]:
        parts[i] += 1
    return [(part * quantum).quantize(quantum) for part in parts]


def _checked_year(year: int, text: str) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidPeriod(f"{text!r}: periods run from {MIN_YEAR} to {MAX_YEAR}")
    return year


def _year(year: int) -> Period:
    return Period("year", f"{year:04d}", date(year, 1, 1), date(year + 1, 1, 1))


def _quarter(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period("quarter", f"{year:04d}-Q{quarter}", start, end)


def _month(year: int, month: int) -> Period:
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period("month", f"{year:04d}-{month:02d}", date(year, month, 1), end)


def _week(iso_year: int, week: int) -> Period:
    start = date.fromisocalendar(iso_year, week, 1)
    return Period("week", f"{iso_year:04d}-W{week:02d}", start, start + timedelta(days=7))


def _iso_weeks_in(year: int) -> int:
    # 28 December is always in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
