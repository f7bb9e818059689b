"""The reports' shapes on the wire (`format=json`): each report with its tables, each table with its rows.

A table's `columns` say, in the caller's language, what each row key is and its unit, how its figures are
shown (`format`), and which row key holds the cell in words where the key holds a code (`display_key`: a
funnel row's `stage_name` beside its `stage`); the rows carry the values. Each report states its period for
a picker (`period_info`: label, first and last day, the periods either side), and each row that is a unit or
a person says where a screen goes one level down (`drill`). KPI cells come from the KPI engine as every screen shows them: amounts and counts as decimal strings,
attainment and pace as fractions; target, attainment and pace are null where the subject has no goal, and an
actual is null while nothing measures it (a conversion with no deal closed).
"""

from __future__ import annotations

import msgspec


class ColumnPublic(msgspec.Struct):
    key: str
    label: str
    unit: str | None
    # text | money | percent (a fraction) | integer | decimal | number
    format: str
    # The row key holding this column's cell in the reader's words, where `key` holds a code; else null.
    display_key: str | None


class PeriodInfo(msgspec.Struct):
    """The report's period as a picker shows it, its neighbours (null before 2000 and after 2100), and the
    period of its kind running today."""

    key: str
    kind: str  # year | quarter | month | week
    # "2026年11月" / "November 2026", "2026年第4季度" / "Q4 2026", "2026年" / "2026"
    label: str
    first_day: str
    last_day: str
    previous: str | None
    previous_label: str | None
    next: str | None
    next_label: str | None
    # The period of the same kind running today in the report's time zone ("this month").
    current: str
    current_label: str


class Drill(msgspec.Struct):
    """One level down from a row: `level` (region | team | rep | visits), the endpoint and its query."""

    level: str
    path: str
    query: dict[str, str]


class TrendRow(msgspec.Struct):
    """One period: each metric's actual, target and attainment."""

    period: str
    # The period in the reader's words ("2026年11月").
    period_label: str
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
    # The last period of the trend.
    period_info: PeriodInfo
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
    # A child unit: the same report for its units (a team: its reps); a rep: their approved visits.
    drill: Drill


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
    period_info: PeriodInfo
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
    # The regions report of its units (a team: the comparison of its reps).
    drill: Drill


class CityRow(msgspec.Struct):
    """Customers of one city ("" for none given), those won first in the period, and its revenue."""

    city: str
    # The city, or "no city given" in the reader's words.
    city_name: str
    customers: int
    new_customers: int
    revenue: str


class CityRevenueRow(msgspec.Struct):
    """Won deals of one region by their customer's city."""

    region_id: str
    region: str
    city: str
    city_name: str
    won_deals: int
    revenue: str


class ProvinceRow(msgspec.Struct):
    """One province ("" for none given): all its customers, and the deals won in the period and their amount."""

    province: str
    # The province, or "no province given" in the reader's words.
    province_name: str
    customers: int
    won_deals: int
    revenue: str


class ProvinceCityRow(msgspec.Struct):
    """One city within a province (either "" for none given): its figures, which add up to the province's."""

    province: str
    province_name: str
    city: str
    city_name: str
    customers: int
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


class ProvinceTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[ProvinceRow]


class ProvinceCityTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[ProvinceCityRow]


class PointTable(msgspec.Struct):
    title: str
    columns: list[ColumnPublic]
    rows: list[PointRow]


class RegionsTables(msgspec.Struct):
    regions: RegionTable
    cities: CityTable
    city_revenue: CityRevenueTable
    # The grid by province → city.
    provinces: ProvinceTable
    province_cities: ProvinceCityTable
    points: PointTable


class RegionsReport(msgspec.Struct):
    report: str  # regions
    title: str
    unit_id: str
    period: str
    # Customers with coordinates, and how many of them the points table holds (at most 2,000).
    points_total: int
    points_shown: int
    period_info: PeriodInfo
    tables: RegionsTables
    notes: list[str]


class FunnelRow(msgspec.Struct):
    """One stage: deals, amount, days in stage, and the period's cohort (null where a figure has no meaning)."""

    stage: str
    # The stage in the reader's words ("线索" / "Lead").
    stage_name: str
    # False for lost: where deals leave the funnel, listed after its stages, not one of them.
    in_funnel: bool
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
    outcome_name: str
    reason: str | None
    # The reason as typed, or "no reason given" in the reader's words.
    reason_text: str
    count: int
    amount: str


class FunnelStep(msgspec.Struct):
    """Conversion from one stage of the funnel to the next: of the period's new deals that reached
    `from_stage`, the fraction that reached `to_stage` (null when none reached `from_stage`)."""

    from_stage: str
    to_stage: str
    from_name: str
    to_name: str
    conversion: float | None
    # "75.0%"
    conversion_text: str | None


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
    conversion_text: str | None
    # lead → qualified → proposal → negotiation → won.
    steps: list[FunnelStep]
    period_info: PeriodInfo
    won_reasons: list[ReasonRow]
    lost_reasons: list[ReasonRow]
    tables: FunnelTables
    notes: list[str]


class EvidenceRow(msgspec.Struct):
    """One rep's visits in the period and their GPS evidence (null where no visit measured it)."""

    rep_id: str
    name: str
    # The rep's approved visits of the period.
    drill: Drill
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
    period_info: PeriodInfo
    tables: EvidenceTables
    notes: list[str]
