"""The reports' shapes on the wire (`format=json`): each report with its tables, each table with its rows.

A table's `columns` say, in the caller's language, what each row key is and its unit; the rows carry the
values. KPI cells come from the KPI engine as every screen shows them: amounts and counts as decimal strings,
attainment and pace as fractions; target, attainment and pace are null where the subject has no goal, and an
actual is null while nothing measures it (a conversion with no deal closed).
"""

from __future__ import annotations

import msgspec


class ColumnPublic(msgspec.Struct):
    key: str
    label: str
    unit: str | None


class TrendRow(msgspec.Struct):
    """One period: each metric's actual, target and attainment."""

    period: str
    revenue_actual: str | None
    revenue_target: str | None
    revenue_attainment: float | None
    visits_actual: str | None
    visits_target: str | None
    visits_attainment: float | None
    conversion_actual: str | None
    conversion_target: str | None
    conversion_attainment: float | None
    satisfaction_actual: str | None
    satisfaction_target: str | None
    satisfaction_attainment: float | None
    new_customers_actual: str | None
    new_customers_target: str | None
    new_customers_attainment: float | None


class TrendTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[TrendRow]


class TrendTables(msgspec.Struct):
    trend: TrendTable


class TrendReport(msgspec.Struct):
    report: str  # trend
    title: str
    subject_type: str
    subject_id: str
    periods: list[str]
    # The metric the chart draws.
    metric: str
    tables: TrendTables
    notes: list[str]


class ComparisonRow(msgspec.Struct):
    """One rep or child unit: each metric's actual, target, attainment and pace."""

    subject_type: str
    subject_id: str
    name: str
    revenue_actual: str | None
    revenue_target: str | None
    revenue_attainment: float | None
    revenue_pace: float | None
    visits_actual: str | None
    visits_target: str | None
    visits_attainment: float | None
    visits_pace: float | None
    conversion_actual: str | None
    conversion_target: str | None
    conversion_attainment: float | None
    conversion_pace: float | None
    satisfaction_actual: str | None
    satisfaction_target: str | None
    satisfaction_attainment: float | None
    satisfaction_pace: float | None
    new_customers_actual: str | None
    new_customers_target: str | None
    new_customers_attainment: float | None
    new_customers_pace: float | None


class ComparisonTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[ComparisonRow]


class ComparisonTables(msgspec.Struct):
    comparison: ComparisonTable


class ComparisonReport(msgspec.Struct):
    report: str  # comparison
    title: str
    unit_id: str
    period: str
    by: str  # rep | team
    sort: str
    tables: ComparisonTables
    notes: list[str]


class RegionRow(msgspec.Struct):
    """One child unit: each metric's actual and attainment."""

    unit_id: str
    name: str
    revenue_actual: str | None
    revenue_attainment: float | None
    visits_actual: str | None
    visits_attainment: float | None
    conversion_actual: str | None
    conversion_attainment: float | None
    satisfaction_actual: str | None
    satisfaction_attainment: float | None
    new_customers_actual: str | None
    new_customers_attainment: float | None


class CityRow(msgspec.Struct):
    """Customers of one city ("" for none given), those won first in the period, and its revenue."""

    city: str
    customers: int
    new_customers: int
    revenue: str


class CityRevenueRow(msgspec.Struct):
    """Won deals of one region by their customer's city."""

    region_id: str
    region: str
    city: str
    won_deals: int
    revenue: str


class PointRow(msgspec.Struct):
    customer_id: str
    name: str
    city: str
    lat: float
    lon: float


class RegionTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[RegionRow]


class CityTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[CityRow]


class CityRevenueTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[CityRevenueRow]


class PointTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[PointRow]


class RegionsTables(msgspec.Struct):
    regions: RegionTable
    cities: CityTable
    city_revenue: CityRevenueTable
    points: PointTable


class RegionsReport(msgspec.Struct):
    report: str  # regions
    title: str
    unit_id: str
    period: str
    # Customers with coordinates, and how many of them the points table holds (at most 2,000).
    points_total: int
    points_shown: int
    tables: RegionsTables
    notes: list[str]


class FunnelRow(msgspec.Struct):
    """One stage: deals, amount, days in stage, and the period's cohort (null where a figure has no meaning)."""

    stage: str
    count: int
    amount: str
    mean_days_in_stage: float | None
    median_days_in_stage: float | None
    median_days_open: float | None
    cohort_reached: int
    cohort_lost_here: int | None
    conversion_from_previous: float | None


class ReasonRow(msgspec.Struct):
    """Deals closed in the period for one reason (null: none given)."""

    outcome: str  # won | lost
    reason: str | None
    count: int
    amount: str


class FunnelTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[FunnelRow]


class ReasonTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[ReasonRow]


class FunnelTables(msgspec.Struct):
    funnel: FunnelTable
    reasons: ReasonTable


class FunnelReport(msgspec.Struct):
    report: str  # funnel
    title: str
    subject_type: str
    subject_id: str
    period: str
    # Won of the deals closed in the period; null when none closed.
    conversion: str | None
    won_reasons: list[ReasonRow]
    lost_reasons: list[ReasonRow]
    tables: FunnelTables
    notes: list[str]


class EvidenceRow(msgspec.Struct):
    """One rep's visits in the period and their GPS evidence (null where no visit measured it)."""

    rep_id: str
    name: str
    visits_logged: int
    visits_approved: str | None
    median_distance_m: float | None
    max_distance_m: float | None
    median_accuracy_m: float | None
    median_minutes_on_site: float | None
    out_of_range: int
    out_of_range_share: float | None
    # Visits the server flagged (any flag: far, poor accuracy, impossible travel, repeated position).
    flagged: int


class EvidenceTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[EvidenceRow]


class FlaggedVisitRow(msgspec.Struct):
    """One flagged visit of the period, in words a lead reads (in the caller's language)."""

    visit_id: str
    # The check-in on the rep's wall clock, "2026-11-19 09:30".
    check_in: str
    name: str
    customer: str
    # "850 m" / "3.2 km" ("850 米" / "3.2 公里"); null without positions.
    distance: str | None
    distance_m: float | None
    # "35 min" / "1 h 5 min"; null without a check-out.
    time_on_site: str | None
    # The flags as words, in their fixed order ("far from customer, poor accuracy").
    flags: str
    # Submitted, approved or rejected, in words.
    status: str


class FlaggedVisitTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[FlaggedVisitRow]


class EvidenceTables(msgspec.Struct):
    evidence: EvidenceTable
    flagged: FlaggedVisitTable


class EvidenceReport(msgspec.Struct):
    report: str  # evidence
    title: str
    subject_type: str
    subject_id: str
    period: str
    max_distance_m: float
    tables: EvidenceTables
    notes: list[str]
