"""The KPI arithmetic: from the summable parts of a subject's work to the figures every screen shows.

Pure functions, no database: `Tally` holds the parts that add up across days and across reps (counts and
sums, never a ratio), and `figures` turns a tally, a target, a period and a calendar into the product's
figures. A unit's tally is the sum of its reps' tallies, so a unit's ratio is the ratio of the summed
parts, never a mean of the reps' ratios.

The five KPIs (PRODUCT.md), from a tally:
- revenue: `won_amount`, the amount of opportunities won in the period;
- visits: `visits`, approved visits in the period;
- conversion: `won_count / (won_count + lost_count)`, opportunities closed in the period; none closed: None;
- satisfaction: `satisfaction_sum / satisfaction_count`, over approved visits that have a score; none: None;
- new_customers: `new_customers`, customers whose first won opportunity falls in the period.

Additive metrics use `WorkCalendar.pace` (its docstring is the definition). Ratio metrics are thresholds,
not sums, so their pace figures mean:
- `expected_by_today` is the target itself: a ratio is expected to be at its threshold on every day;
- `pace` is `actual / target` (1.0000 is exactly at the threshold), the same as attainment;
- `forecast` is the ratio so far: a run rate of a ratio is the ratio itself;
- `needed_per_working_day` is None: a ratio is not made of daily amounts.
- `working_days_left` is counted as for any metric.
While nothing has been measured (no closed deal, no scored visit) actual, attainment, pace and forecast
are None: a conversion of 0 % and "no deal closed yet" are different news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from backend.goals.models import ADDITIVE_METRICS
from backend.kpi.schemas import KpiFigures
from backend.kpi.workdays import RATIO, WorkCalendar
from backend.periods import Period

ZERO = Decimal(0)
# How each metric's amounts are shown (and stored): yuan to the cent, counts whole, ratios as people read
# them. Derived figures of counts (expected, forecast, needed per day) keep two places: "2.50 visits a day".
ACTUAL_PLACES = {
    "revenue": Decimal("0.01"),
    "visits": Decimal(1),
    "new_customers": Decimal(1),
    "conversion": RATIO,
    "satisfaction": Decimal("0.01"),
}
# Figures derived from a count or an amount (expected, forecast, needed per day) are shown to two places.
DERIVED_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Tally:
    """The summable parts of every KPI over some days of some reps."""

    visits: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    won_amount: Decimal = ZERO
    won_count: int = 0
    lost_count: int = 0
    new_customers: int = 0

    def __add__(self, other: Tally) -> Tally:
        # Spelled out rather than looped over fields(): a company rollup adds thousands of these.
        return Tally(
            self.visits + other.visits,
            self.satisfaction_sum + other.satisfaction_sum,
            self.satisfaction_count + other.satisfaction_count,
            self.won_amount + other.won_amount,
            self.won_count + other.won_count,
            self.lost_count + other.lost_count,
            self.new_customers + other.new_customers,
        )

    def actual(self, metric: str) -> Decimal | None:
        """The metric's exact value (unrounded), or None for a ratio with nothing measured."""
        if metric == "revenue":
            return self.won_amount
        if metric == "visits":
            return Decimal(self.visits)
        if metric == "new_customers":
            return Decimal(self.new_customers)
        if metric == "conversion":
            closed = self.won_count + self.lost_count
            return Decimal(self.won_count) / Decimal(closed) if closed else None
        if metric == "satisfaction":
            count = self.satisfaction_count
            return Decimal(self.satisfaction_sum) / Decimal(count) if count else None
        raise ValueError(f"unknown metric {metric!r}")


@dataclass(frozen=True)
class Figures:
    """One subject's standing on one metric in one period, as of one local day."""

    metric: str
    target: Decimal
    actual: Decimal | None
    attainment: Decimal | None
    expected_by_today: Decimal | None
    pace: Decimal | None
    forecast: Decimal | None
    needed_per_working_day: Decimal | None
    working_days_left: int
    working_days_total: int


def _round(value: Decimal | None, unit: Decimal) -> Decimal | None:
    return None if value is None else value.quantize(unit, ROUND_HALF_UP)


def figures(
    metric: str, target: Decimal, tally: Tally, period: Period, calendar: WorkCalendar, today: date
) -> Figures:
    """The figures of `metric` for a subject whose work adds up to `tally`, on its local day `today`."""
    exact = tally.actual(metric)
    actual = _round(exact, ACTUAL_PLACES[metric])
    # Attainment divides the exact actual: a satisfaction of 4.333… against 4.5 is 0.9630, not 4.33/4.5.
    attainment = _round(exact / target, RATIO) if exact is not None and target else None
    if metric in ADDITIVE_METRICS:
        assert actual is not None
        pace = calendar.pace(target, actual, period, today)
        return Figures(
            metric,
            target,
            actual,
            attainment,
            pace.expected_by_today,
            pace.pace,
            pace.forecast,
            pace.needed_per_working_day,
            pace.working_days_left,
            pace.working_days_total,
        )
    # A ratio is a threshold: see the module docstring for what its pace figures mean.
    total = calendar.working_days_in(period)
    clamped = min(max(today, period.start), period.end)
    left = total - calendar.working_days(period.start, clamped)
    return Figures(metric, target, actual, attainment, target, attainment, actual, None, left, total)


def figures_public(f: Figures) -> KpiFigures:
    """The figures on the wire: amounts and counts as decimal strings, attainment and pace as fractions."""
    own = ACTUAL_PLACES[f.metric]
    derived = DERIVED_PLACES if f.metric in ADDITIVE_METRICS else own
    return KpiFigures(
        metric=f.metric,
        target=amount_text(f.metric, f.target),
        actual=_text(f.actual, own),
        attainment=_fraction(f.attainment),
        expected_by_today=_text(f.expected_by_today, derived),
        pace=_fraction(f.pace),
        forecast=_text(f.forecast, derived),
        needed_per_working_day=_text(f.needed_per_working_day, DERIVED_PLACES),
        working_days_left=f.working_days_left,
        working_days_total=f.working_days_total,
    )


def _text(value: Decimal | None, unit: Decimal) -> str | None:
    # A target may carry more places than the metric shows (a visits goal of "60.0000" as stored): keep them
    # when they matter, drop the padding when they do not.
    if value is None:
        return None
    rounded = value.quantize(unit, ROUND_HALF_UP)
    return str(rounded if rounded == value else value.normalize())


def _fraction(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(RATIO, ROUND_HALF_UP))


def amount_text(metric: str, value: Decimal) -> str:
    """A target or an amount of `metric` as a decimal string: yuan to the cent, counts whole, ratios as read."""
    text = _text(value, ACTUAL_PLACES[metric])
    assert text is not None
    return text
