"""Reports a manager reads: trend, comparison, regions, funnel, visit evidence.

Every KPI figure here comes from the KPI engine (`kpi.service.compute`, or `kpi.service.subject_tallies`
for the summable parts): a report never counts a KPI its own way, so the dashboard and the progress API
cannot disagree. Where a subject has a goal for the metric and period, the stored goal is used (the very
figures GET /progress shows); where it has none, the engine computes the actual against no target, and
target, attainment and pace are null.

What is not a KPI is counted here, and says so: customers by city, open opportunities by stage, days in
stage (from the stage history, `opportunity_stage_change`), won and lost reasons, GPS evidence of visits.

Each report is a `Report`: some `Table`s (what the CSV and XLSX exports write, what JSON shows) and one
`Chart` spec (what `charts.py` draws from one of those tables). Scope: a unit the caller manages (a lead
their team, a manager their subtree, an admin all) or a person they manage, or themselves; anything else
answers NotFound, exactly like a missing id.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import Text as TextType
from sqlalchemy import cast as sql_cast
from sqlalchemy import func, union
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.customers.models import Customer
from backend.db import new_id
from backend.errors import InvalidInput
from backend.goals.models import METRICS, Goal
from backend.kpi import service as kpi
from backend.kpi.engine import Figures, figures_public
from backend.opportunities.models import CLOSED_STAGES, STAGES, Opportunity, StageChange
from backend.org.models import Unit, User
from backend.periods import Period, parse_period, period_containing
from backend.policy import Actor, get_unit, get_user
from backend.reports.schemas import ComparisonReport, EvidenceReport, FunnelReport, RegionsReport, TrendReport
from backend.validation import Choice, PeriodKey, Uuid, validate
from backend.visits.models import Visit

OPEN_STAGES = tuple(s for s in STAGES if s not in CLOSED_STAGES)
MAX_TREND_PERIODS = 24
MAX_POINTS = 2000  # customers drawn on the regional plot; more is ink, not information
DEFAULT_MAX_DISTANCE_M = 500.0
UNITS = {
    "revenue": "CNY",
    "visits": "visits",
    "conversion": "ratio",
    "satisfaction": "1–5",
    "new_customers": "customers",
}


@dataclass
class Column:
    key: str
    label: str
    unit: str | None = None


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]

    def public(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "unit": c.unit} for c in self.columns],
            "rows": self.rows,
        }


@dataclass
class Chart:
    """What to draw: `kind` bar|line|scatter, from `table`, labels from `label_key`, one series per value key."""

    kind: str
    title: str
    unit: str
    table: str
    label_key: str
    value_keys: list[str]
    reference_key: str | None = None  # a target drawn as a dashed line (trend)


@dataclass
class Report:
    kind: str
    title: str
    meta: dict[str, Any]
    tables: list[Table]
    chart: Chart
    notes: list[str] = field(default_factory=list)

    def table(self, name: str | None) -> Table:
        if name is None:
            return self.tables[0]
        for table in self.tables:
            if table.name == name:
                return table
        raise InvalidInput.one("table", "invalid_choice", choices=", ".join(t.name for t in self.tables))

    def public(self) -> msgspec.Struct:
        """The report as JSON answers it, in its kind's typed shape (backend/reports/schemas.py)."""
        shown = {
            "report": self.kind,
            "title": self.title,
            **self.meta,
            "tables": {t.name: t.public() for t in self.tables},
            "notes": self.notes,
        }
        return msgspec.convert(shown, SHAPES[self.kind])


SHAPES: dict[str, type[msgspec.Struct]] = {
    "trend": TrendReport,
    "comparison": ComparisonReport,
    "regions": RegionsReport,
    "funnel": FunnelReport,
    "evidence": EvidenceReport,
}


# --- scope and periods -------------------------------------------------------------------------------------


def _given(**params: Any) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None and value != ""}


def _subject(
    session: Session, actor: Actor, subject_type: str, subject_id: str | None
) -> tuple[str, str, str, str]:
    """(type, id, name, time zone) of a subject the caller may report on; NotFound otherwise."""
    if subject_type == "unit":
        unit = get_unit(session, actor, subject_id or actor.unit_id)
        return "unit", unit.id, unit.name, unit.timezone
    if subject_id is None or subject_id == actor.id:
        return "user", actor.id, actor.name, actor.timezone
    user = get_user(session, actor, subject_id)
    return "user", user.id, user.name, user.timezone


def _period(period_key: str | None, zone: str, now: datetime) -> Period:
    if period_key:
        return parse_period(period_key)
    return period_containing("month", now.astimezone(ZoneInfo(zone)).date())


def _reps_below(session: Session, unit_path: str) -> list[tuple[str, str, str]]:
    """(id, name, unit id) of everyone in the subtree: whose work rolls up into the unit."""
    query = (
        select(User.id, User.name, User.unit_id)
        .join(Unit, col(Unit.id) == User.unit_id)
        .where(col(Unit.path).startswith(unit_path, autoescape=True))
    )
    return [(i, n, u) for i, n, u in session.execute(query)]


@dataclass(frozen=True)
class _GoalRow:
    """What `kpi.compute` reads of a goal, as a plain row: a stored goal's columns, or a stand-in for a subject
    with none (never saved, no target). Far cheaper than ORM Goals: a 500-rep comparison reads 2,500, and
    building and reading them as ORM instances was a third of its time."""

    id: str
    subject_type: str
    subject_id: str
    metric: str
    period: str
    target: Decimal = Decimal(0)


def engine_figures(
    session: Session,
    subjects: list[tuple[str, str]],
    periods: list[str],
    now: datetime,
    metrics: tuple[str, ...] = METRICS,
) -> dict[tuple[str, str, str, str], tuple[Figures, bool]]:
    """The engine's figures for every (subject type, subject id, metric, period), and whether a goal exists.

    Stored goals are computed as they are (the progress API's figures); a missing goal is stood in for by an
    unsaved one with no target, so the actual still comes from the same computation.
    """
    stored: dict[tuple[str, str, str, str], _GoalRow] = {}
    ids_by_type: dict[str, list[str]] = defaultdict(list)
    for subject_type, subject_id in subjects:
        ids_by_type[subject_type].append(subject_id)
    g = Goal
    for subject_type, ids in ids_by_type.items():
        for start in range(0, len(ids), 500):
            query = sa_select(
                col(g.id), col(g.subject_type), col(g.subject_id), col(g.metric), col(g.period), col(g.target)
            ).where(
                col(g.subject_type) == subject_type,
                col(g.subject_id).in_(ids[start : start + 500]),
                col(g.period).in_(periods),
                col(g.metric).in_(metrics),
            )
            for row in session.execute(query):
                goal = _GoalRow(*row)
                stored[(goal.subject_type, goal.subject_id, goal.metric, goal.period)] = goal
    goals: list[Goal] = []
    keys: dict[str, tuple[tuple[str, str, str, str], bool]] = {}
    for subject_type, subject_id in subjects:
        for period in periods:
            for metric in metrics:
                key = (subject_type, subject_id, metric, period)
                found = stored.get(key)
                goal = found or _GoalRow(new_id(), subject_type, subject_id, metric, period)
                goals.append(cast(Goal, goal))
                keys[goal.id] = (key, found is not None)
    computed = kpi.compute(session, goals, now)
    return {keys[goal_id][0]: (result, keys[goal_id][1]) for goal_id, result in computed.items()}


def _kpi_cells(result: Figures, has_goal: bool, prefix: str = "") -> dict[str, Any]:
    shown = figures_public(result)
    return {
        f"{prefix}actual": shown.actual,
        f"{prefix}target": shown.target if has_goal else None,
        f"{prefix}attainment": shown.attainment if has_goal else None,
        f"{prefix}pace": shown.pace if has_goal else None,
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _label(actor: Actor, zh: str, en: str) -> str:
    return zh if actor.locale.startswith("zh") else en


METRIC_LABELS = {
    "revenue": ("销售额", "Revenue"),
    "visits": ("拜访量", "Visits"),
    "conversion": ("转化率", "Conversion"),
    "satisfaction": ("满意度", "Satisfaction"),
    "new_customers": ("新客户", "New customers"),
}


def _metric(actor: Actor, metric: str) -> str:
    return _label(actor, *METRIC_LABELS[metric])


# --- trend -------------------------------------------------------------------------------------------------

TREND_QUERY = {
    "subject_type": Choice(choices=("unit", "user")),
    "subject_id": Uuid(),
    "period": PeriodKey(),
    "metric": Choice(choices=METRICS),
}


def trend(
    session: Session,
    actor: Actor,
    now: datetime,
    subject_type: str | None = None,
    subject_id: str | None = None,
    period: str | None = None,
    periods: int | None = None,
    metric: str | None = None,
) -> Report:
    """Each KPI over the `periods` periods ending with `period` (default: the last 6 months), against target."""
    query = validate(
        _given(subject_type=subject_type, subject_id=subject_id, period=period, metric=metric), TREND_QUERY
    )
    count = 6 if periods is None else periods
    if not 1 <= count <= MAX_TREND_PERIODS:
        raise InvalidInput.one("periods", "out_of_range", min=1, max=MAX_TREND_PERIODS)
    kind, sid, name, zone = _subject(session, actor, query.get("subject_type", "user"), query.get("subject_id"))
    last = _period(query.get("period"), zone, now)
    keys = [last]
    while len(keys) < count:
        keys.insert(0, keys[0].previous())
    shown_metric = query.get("metric", "revenue")
    results = engine_figures(session, [(kind, sid)], [p.key for p in keys], now)
    columns = [Column("period", _label(actor, "期间", "Period"))]
    for m in METRICS:
        columns += [
            Column(f"{m}_actual", _metric(actor, m), UNITS[m]),
            Column(
                f"{m}_target", _label(actor, f"{_metric(actor, m)}目标", f"{_metric(actor, m)} target"), UNITS[m]
            ),
            Column(
                f"{m}_attainment", _label(actor, f"{_metric(actor, m)}达成率", f"{_metric(actor, m)} attainment")
            ),
        ]
    rows = []
    for p in keys:
        row: dict[str, Any] = {"period": p.key}
        for m in METRICS:
            result, has_goal = results[(kind, sid, m, p.key)]
            cells = _kpi_cells(result, has_goal, f"{m}_")
            row |= {k: v for k, v in cells.items() if not k.endswith("_pace")}
        rows.append(row)
    title = _label(
        actor, f"{name} 趋势：{_metric(actor, shown_metric)}", f"{name}: {_metric(actor, shown_metric)} trend"
    )
    return Report(
        "trend",
        title,
        {"subject_type": kind, "subject_id": sid, "periods": [p.key for p in keys], "metric": shown_metric},
        [Table("trend", title, columns, rows)],
        Chart(
            "line",
            title,
            UNITS[shown_metric],
            "trend",
            "period",
            [f"{shown_metric}_actual"],
            reference_key=f"{shown_metric}_target",
        ),
    )


# --- comparison --------------------------------------------------------------------------------------------

COMPARISON_QUERY = {
    "unit_id": Uuid(),
    "period": PeriodKey(),
    "by": Choice(choices=("rep", "team")),
    "sort": Choice(
        choices=("name", *(f"{m}_{f}" for m in METRICS for f in ("actual", "target", "attainment", "pace")))
    ),
    "order": Choice(choices=("asc", "desc")),
}


def _members(session: Session, unit: Unit, by: str) -> list[tuple[str, str, str]]:
    """(subject type, id, name) to compare: the people of the subtree, or the unit's child units."""
    if by == "rep":
        return [("user", i, n) for i, n, _ in _reps_below(session, unit.path) if i]
    children = session.execute(
        select(Unit.id, Unit.name).where(col(Unit.parent_id) == unit.id).order_by(Unit.name)
    )
    return [("unit", i, n) for i, n in children]


def _sort_key(value: Any) -> tuple[int, float | str]:
    if value is None:
        return (1, 0.0)
    if isinstance(value, str):
        try:
            return (0, float(value))
        except ValueError:
            return (0, value)
    return (0, float(value))


def comparison(
    session: Session,
    actor: Actor,
    now: datetime,
    unit_id: str | None = None,
    period: str | None = None,
    by: str | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> Report:
    """The unit's reps (or child units) side by side: the five KPIs' actual, target, attainment and pace."""
    query = validate(_given(unit_id=unit_id, period=period, by=by, sort=sort, order=order), COMPARISON_QUERY)
    unit = get_unit(session, actor, query.get("unit_id", actor.unit_id))
    the_period = _period(query.get("period"), unit.timezone, now)
    grouping = query.get("by", "rep")
    members = _members(session, unit, grouping)
    results = engine_figures(session, [(t, i) for t, i, _ in members], [the_period.key], now)
    columns = [Column("name", _label(actor, "名称", "Name"))]
    for m in METRICS:
        columns += [
            Column(f"{m}_actual", _metric(actor, m), UNITS[m]),
            Column(
                f"{m}_target", _label(actor, f"{_metric(actor, m)}目标", f"{_metric(actor, m)} target"), UNITS[m]
            ),
            Column(
                f"{m}_attainment", _label(actor, f"{_metric(actor, m)}达成率", f"{_metric(actor, m)} attainment")
            ),
            Column(f"{m}_pace", _label(actor, f"{_metric(actor, m)}进度", f"{_metric(actor, m)} pace")),
        ]
    rows = []
    for subject_type, subject_id, name in members:
        row: dict[str, Any] = {"subject_type": subject_type, "subject_id": subject_id, "name": name}
        for m in METRICS:
            result, has_goal = results[(subject_type, subject_id, m, the_period.key)]
            row |= _kpi_cells(result, has_goal, f"{m}_")
        rows.append(row)
    sort_by = query.get("sort", "revenue_attainment")
    descending = query.get("order", "asc" if sort_by == "name" else "desc") == "desc"
    present = [r for r in rows if r[sort_by] is not None]
    present.sort(key=lambda r: (_sort_key(r[sort_by]), r["name"]), reverse=descending)
    rows = present + sorted((r for r in rows if r[sort_by] is None), key=lambda r: r["name"])
    title = _label(actor, f"{unit.name} {the_period.key} 对比", f"{unit.name} {the_period.key}: comparison")
    return Report(
        "comparison",
        title,
        {"unit_id": unit.id, "period": the_period.key, "by": grouping, "sort": sort_by},
        [Table("comparison", title, columns, rows)],
        Chart(
            "bar",
            _label(actor, "销售额达成率", "Revenue attainment"),
            "%",
            "comparison",
            "name",
            ["revenue_attainment"],
        ),
    )


# --- regions -----------------------------------------------------------------------------------------------

REGIONS_QUERY = {"unit_id": Uuid(), "period": PeriodKey()}


def _revenue_by_city(
    session: Session, unit: Unit, children: list[tuple[str, str, str]], the_period: Period
) -> list[dict[str, Any]]:
    """Won deals and their amount by region (child unit) and customer city: the revenue KPI's own rule (won,
    not deleted, closed on the owner's local days of the period), so a region's cities add up to its
    revenue actual. People of the unit outside every child count under the unit itself."""
    region_of = {child_id: name for _, child_id, name in children}
    people = session.execute(
        select(User.id, User.timezone, Unit.path)
        .join(Unit, col(Unit.id) == User.unit_id)
        .where(col(Unit.path).startswith(unit.path, autoescape=True))
    )
    by_zone: dict[str, list[str]] = defaultdict(list)
    region_by_rep: dict[str, str] = {}
    for user_id, zone, path in people:
        by_zone[zone].append(user_id)
        region_by_rep[user_id] = next((u for u in path.split("/") if u in region_of), unit.id)
    region_of[unit.id] = unit.name
    cells: dict[tuple[str, str], list[Any]] = {}
    for zone, rep_ids in by_zone.items():
        start, end = the_period.bounds(ZoneInfo(zone))
        for at in range(0, len(rep_ids), 500):
            won = (
                sa_select(
                    col(Opportunity.owner_id), col(Customer.city), func.count(), func.sum(col(Opportunity.amount))
                )
                .join(Customer, col(Customer.id) == Opportunity.customer_id, isouter=True)
                .where(
                    col(Opportunity.owner_id).in_(rep_ids[at : at + 500]),
                    col(Opportunity.stage) == "won",
                    col(Opportunity.deleted_at).is_(None),
                    col(Opportunity.closed_at) >= start,
                    col(Opportunity.closed_at) < end,
                )
                .group_by(col(Opportunity.owner_id), col(Customer.city))
            )
            for owner_id, city, count, amount in session.execute(won):
                cell = cells.setdefault((region_by_rep[owner_id], city or ""), [0, Decimal(0)])
                cell[0] += int(count)
                cell[1] += Decimal(amount or 0)
    rows = [
        {"region_id": r, "region": region_of[r], "city": c, "won_deals": n, "revenue": _money(a)}
        for (r, c), (n, a) in cells.items()
    ]
    return sorted(rows, key=lambda row: (row["region"], -Decimal(row["revenue"]), row["city"]))


def regions(
    session: Session, actor: Actor, now: datetime, unit_id: str | None = None, period: str | None = None
) -> Report:
    """The unit's child units (its regions, or teams) with their KPIs; customers by city; customers' points."""
    query = validate(_given(unit_id=unit_id, period=period), REGIONS_QUERY)
    unit = get_unit(session, actor, query.get("unit_id", actor.unit_id))
    the_period = _period(query.get("period"), unit.timezone, now)
    children = _members(session, unit, "team")
    results = engine_figures(session, [(t, i) for t, i, _ in children], [the_period.key], now)
    region_columns = [Column("name", _label(actor, "区域", "Region"))]
    for m in METRICS:
        region_columns += [
            Column(f"{m}_actual", _metric(actor, m), UNITS[m]),
            Column(
                f"{m}_attainment", _label(actor, f"{_metric(actor, m)}达成率", f"{_metric(actor, m)} attainment")
            ),
        ]
    region_rows = []
    for subject_type, subject_id, name in children:
        row: dict[str, Any] = {"unit_id": subject_id, "name": name}
        for m in METRICS:
            result, has_goal = results[(subject_type, subject_id, m, the_period.key)]
            cells = _kpi_cells(result, has_goal, f"{m}_")
            row[f"{m}_actual"], row[f"{m}_attainment"] = cells[f"{m}_actual"], cells[f"{m}_attainment"]
        region_rows.append(row)

    owners = (
        select(User.id)
        .join(Unit, col(Unit.id) == User.unit_id)
        .where(col(Unit.path).startswith(unit.path, autoescape=True))
    )
    live = (col(Customer.owner_id).in_(owners), col(Customer.deleted_at).is_(None))
    in_period = (col(Customer.first_won_on) >= the_period.start, col(Customer.first_won_on) < the_period.end)
    cities: dict[str | None, dict[str, Any]] = {}
    for city, count in session.execute(
        select(Customer.city, func.count()).where(*live).group_by(col(Customer.city))
    ):
        cities[city] = {"city": city or "", "customers": int(count), "new_customers": 0}
    new_query = select(Customer.city, func.count()).where(*live, *in_period).group_by(col(Customer.city))
    for city, count in session.execute(new_query):
        cities.setdefault(city, {"city": city or "", "customers": 0, "new_customers": 0})["new_customers"] = int(
            count
        )
    city_revenue = _revenue_by_city(session, unit, children, the_period)
    for row in city_revenue:
        city = cities.setdefault(row["city"] or None, {"city": row["city"], "customers": 0, "new_customers": 0})
        city["revenue"] = _money(Decimal(city.get("revenue", 0)) + Decimal(row["revenue"]))
    for city in cities.values():
        city.setdefault("revenue", _money(None))
    city_rows = sorted(cities.values(), key=lambda r: (-r["customers"], r["city"]))
    placed = (*live, col(Customer.lat).is_not(None), col(Customer.lon).is_not(None))
    points_total = session.execute(select(func.count()).select_from(Customer).where(*placed)).scalar_one()
    point_rows = [
        {"customer_id": i, "name": n, "city": c or "", "lat": lat, "lon": lon}
        for i, n, c, lat, lon in session.execute(
            sa_select(
                col(Customer.id), col(Customer.name), col(Customer.city), col(Customer.lat), col(Customer.lon)
            )
            .where(*placed)
            .order_by(Customer.id)
            .limit(MAX_POINTS)
        )
    ]
    title = _label(actor, f"{unit.name} {the_period.key} 区域分布", f"{unit.name} {the_period.key}: regions")
    return Report(
        "regions",
        title,
        {
            "unit_id": unit.id,
            "period": the_period.key,
            "points_total": points_total,
            "points_shown": len(point_rows),
        },
        [
            Table("regions", title, region_columns, region_rows),
            Table(
                "cities",
                _label(actor, "城市", "Cities"),
                [
                    Column("city", _label(actor, "城市", "City")),
                    Column("customers", _label(actor, "客户数", "Customers"), "customers"),
                    Column("new_customers", _label(actor, "新客户", "New customers"), "customers"),
                    Column("revenue", _label(actor, "销售额", "Revenue"), "CNY"),
                ],
                city_rows,
            ),
            Table(
                "city_revenue",
                _label(actor, "各区域城市销售额", "Revenue by region and city"),
                [
                    Column("region", _label(actor, "区域", "Region")),
                    Column("city", _label(actor, "城市", "City")),
                    Column("won_deals", _label(actor, "赢单数", "Won deals"), "deals"),
                    Column("revenue", _label(actor, "销售额", "Revenue"), "CNY"),
                ],
                city_revenue,
            ),
            Table(
                "points",
                _label(actor, "客户位置", "Customer locations"),
                [
                    Column("customer_id", "id"),
                    Column("name", _label(actor, "客户", "Customer")),
                    Column("city", _label(actor, "城市", "City")),
                    Column("lat", _label(actor, "纬度", "Latitude"), "°"),
                    Column("lon", _label(actor, "经度", "Longitude"), "°"),
                ],
                point_rows,
            ),
        ],
        Chart("scatter", _label(actor, "客户位置", "Customer locations"), "°", "points", "name", ["lon", "lat"]),
        notes=[
            "cities: counts of customers (new: first won deal in the period, the KPI's definition) and revenue",
            "revenue by city: won deals by their customer's city, counted by the revenue KPI's rule (closed on the "
            "owner's local days of the period), so each region's cities add up to its revenue actual",
        ],
    )


# --- funnel ------------------------------------------------------------------------------------------------

FUNNEL_QUERY = {"subject_type": Choice(choices=("unit", "user")), "subject_id": Uuid(), "period": PeriodKey()}
FUNNEL_ORDER = (*OPEN_STAGES, "won")


def _days(later: datetime, earlier: datetime) -> float:
    # A phone may state a move earlier than the one before it: a stay is never negative.
    return max((later - earlier).total_seconds() / 86400, 0.0)


@dataclass
class _Stays:
    """Days deals spent in each stage, read from the stage history."""

    # Stays that ended (the deal moved on) inside the period.
    ended: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # Open deals: days since they entered the stage they are in.
    ongoing: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def _stays(session: Session, live: tuple[Any, ...], start: datetime, end: datetime, now: datetime) -> _Stays:
    """Every stay in a stage that ended in the period, and every open deal's present stay, from the history:
    the moves of deals that moved in the period or are open now, in the order they were made."""
    moved = select(StageChange.opportunity_id).where(col(StageChange.at) >= start, col(StageChange.at) < end)
    still_open = select(Opportunity.id).where(*live, col(Opportunity.stage).in_(OPEN_STAGES))
    query = (
        sa_select(
            col(StageChange.opportunity_id), col(StageChange.to_stage), col(StageChange.at), col(Opportunity.stage)
        )
        .join(Opportunity, col(Opportunity.id) == StageChange.opportunity_id)
        # A union, not an OR of the two: each side uses its index instead of scanning every opportunity.
        .where(*live, col(Opportunity.id).in_(union(moved, still_open)))
        .order_by(col(StageChange.opportunity_id), col(StageChange.version))
    )
    stays = _Stays()
    previous: tuple[str, str, datetime, str] | None = None
    for row in session.execute(query):
        deal, stage, at, present = row
        if previous is not None and previous[0] == deal and start <= at < end:
            stays.ended[previous[1]].append(_days(at, previous[2]))
        if previous is not None and previous[0] != deal and previous[3] in OPEN_STAGES:
            stays.ongoing[previous[3]].append(_days(now, previous[2]))
        previous = (deal, stage, at, present)
    if previous is not None and previous[3] in OPEN_STAGES:
        stays.ongoing[previous[3]].append(_days(now, previous[2]))
    return stays


def _cohort(
    session: Session, live: tuple[Any, ...], start: datetime, end: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """For the deals created in the period: how many reached each stage of the funnel (a deal that reached a
    stage passed the ones before it, as the funnel's order goes), and the stage each lost deal was lost from;
    both from the stage history."""
    query = (
        sa_select(col(StageChange.opportunity_id), col(StageChange.from_stage), col(StageChange.to_stage))
        .join(Opportunity, col(Opportunity.id) == StageChange.opportunity_id)
        .where(*live, col(Opportunity.created_at) >= start, col(Opportunity.created_at) < end)
    )
    furthest: dict[str, int] = {}
    lost_from: dict[str, int] = defaultdict(int)
    for deal, from_stage, to_stage in session.execute(query):
        # Every deal opens at the first stage, whatever its history says.
        here = FUNNEL_ORDER.index(to_stage) if to_stage in FUNNEL_ORDER else 0
        furthest[deal] = max(furthest.get(deal, 0), here)
        if to_stage == "lost":
            lost_from[from_stage or FUNNEL_ORDER[0]] += 1
    reached = {stage: sum(1 for f in furthest.values() if f >= i) for i, stage in enumerate(FUNNEL_ORDER)}
    return reached, lost_from


def _reasons(
    session: Session, live: tuple[Any, ...], start: datetime, end: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Won and lost deals closed in the period by their reason: count and amount, largest count first."""
    query = (
        sa_select(
            col(Opportunity.stage), col(Opportunity.close_reason), func.count(), func.sum(col(Opportunity.amount))
        )
        .where(*live, col(Opportunity.stage).in_(CLOSED_STAGES), col(Opportunity.closed_at) >= start)
        .where(col(Opportunity.closed_at) < end)
        .group_by(col(Opportunity.stage), col(Opportunity.close_reason))
    )
    reasons: dict[str, list[dict[str, Any]]] = {"won": [], "lost": []}
    for stage, reason, count, amount in session.execute(query):
        reasons[stage].append({"outcome": stage, "reason": reason, "count": int(count), "amount": _money(amount)})
    for rows in reasons.values():
        rows.sort(key=lambda r: (-r["count"], r["reason"] or ""))
    return reasons


def _money(amount: Decimal | None) -> str:
    return str(Decimal(amount or 0).quantize(Decimal("0.01")))


def funnel(
    session: Session,
    actor: Actor,
    now: datetime,
    subject_type: str | None = None,
    subject_id: str | None = None,
    period: str | None = None,
) -> Report:
    """Open opportunities by stage today; won and lost in the period (the KPI engine's tally) and why; days in
    stage and conversion between stages from the stage history."""
    query = validate(_given(subject_type=subject_type, subject_id=subject_id, period=period), FUNNEL_QUERY)
    kind, sid, name, zone = _subject(session, actor, query.get("subject_type", "unit"), query.get("subject_id"))
    the_period = _period(query.get("period"), zone, now)
    if kind == "unit":
        path = session.execute(select(Unit.path).where(Unit.id == sid)).scalar_one()
        owners: Any = (
            select(User.id)
            .join(Unit, col(Unit.id) == User.unit_id)
            .where(col(Unit.path).startswith(path, autoescape=True))
        )
    else:
        owners = [sid]
    live = (col(Opportunity.owner_id).in_(owners), col(Opportunity.deleted_at).is_(None))
    # Won and lost in the period: the engine's tally (the revenue and conversion KPIs' own parts).
    subject = kpi.resolve_subjects(session, [(kind, sid)])[(kind, sid)]
    tally = kpi.subject_tallies(session, [subject], the_period)[(kind, sid)]
    start, end = the_period.bounds(subject.zone)
    reasons = _reasons(session, live, start, end)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    open_query = sa_select(col(Opportunity.stage), func.count(), func.sum(col(Opportunity.amount))).where(
        *live, col(Opportunity.stage).in_(OPEN_STAGES)
    )
    for stage, count, amount in session.execute(open_query.group_by(col(Opportunity.stage))):
        counts[stage], amounts[stage] = int(count), Decimal(amount or 0)
    counts["won"], amounts["won"] = tally.won_count, tally.won_amount
    stays = _stays(session, live, start, end, now)
    reached, lost_from = _cohort(session, live, start, end)
    rows: list[dict[str, Any]] = []
    for index, stage in enumerate(FUNNEL_ORDER):
        previous = reached[FUNNEL_ORDER[index - 1]] if index else None
        rows.append(
            {
                "stage": stage,
                "count": counts[stage],
                "amount": _money(amounts[stage]),
                "mean_days_in_stage": round(statistics.mean(stays.ended[stage]), 1)
                if stays.ended[stage]
                else None,
                "median_days_in_stage": _median(stays.ended[stage]),
                "median_days_open": _median(stays.ongoing[stage]),
                "cohort_reached": reached[stage],
                "cohort_lost_here": lost_from.get(stage, 0) if stage != "won" else None,
                "conversion_from_previous": round(reached[stage] / previous, 4) if previous else None,
            }
        )
    lost_amount = sum((Decimal(r["amount"]) for r in reasons["lost"]), Decimal(0))
    rows.append(
        {
            "stage": "lost",
            "count": tally.lost_count,
            "amount": _money(lost_amount),
            "mean_days_in_stage": None,
            "median_days_in_stage": None,
            "median_days_open": None,
            "cohort_reached": sum(lost_from.values()),
            "cohort_lost_here": None,
            "conversion_from_previous": None,
        }
    )
    closed = tally.won_count + tally.lost_count
    title = _label(actor, f"{name} {the_period.key} 销售漏斗", f"{name} {the_period.key}: funnel")
    columns = [
        Column("stage", _label(actor, "阶段", "Stage")),
        Column("count", _label(actor, "数量", "Count"), "deals"),
        Column("amount", _label(actor, "金额", "Amount"), "CNY"),
        Column("mean_days_in_stage", _label(actor, "平均停留天数", "Mean days in stage"), "days"),
        Column("median_days_in_stage", _label(actor, "停留天数中位数", "Median days in stage"), "days"),
        Column("median_days_open", _label(actor, "在办停留天数中位数", "Median days so far (open)"), "days"),
        Column("cohort_reached", _label(actor, "本期新建已达", "Created in period, reached"), "deals"),
        Column("cohort_lost_here", _label(actor, "本期新建在此丢单", "Created in period, lost here"), "deals"),
        Column("conversion_from_previous", _label(actor, "阶段转化率", "Conversion from previous")),
    ]
    reasons_table = Table(
        "reasons",
        _label(actor, "赢单/丢单原因", "Won and lost reasons"),
        [
            Column("outcome", _label(actor, "结果", "Outcome")),
            Column("reason", _label(actor, "原因", "Reason")),
            Column("count", _label(actor, "数量", "Count"), "deals"),
            Column("amount", _label(actor, "金额", "Amount"), "CNY"),
        ],
        reasons["won"] + reasons["lost"],
    )
    return Report(
        "funnel",
        title,
        {
            "subject_type": kind,
            "subject_id": sid,
            "period": the_period.key,
            "conversion": str((Decimal(tally.won_count) / closed).quantize(Decimal("0.0001"))) if closed else None,
            "won_reasons": reasons["won"],
            "lost_reasons": reasons["lost"],
        },
        [Table("funnel", title, columns, rows), reasons_table],
        Chart("bar", title, "deals", "funnel", "stage", ["count"]),
        notes=[
            "open stages: opportunities open today; won and lost: closed in the period (the KPI engine's tally)",
            "reasons: deals closed in the period by close_reason (null: none given; a loss needs one since 0002)",
            "days in stage: stays that ended in the period, from the stage history (the moves' stated times); "
            "days so far: open deals, since they entered their stage",
            "cohort: deals created in the period; reached a stage if their history reaches it or a later one",
        ],
    )


# --- visit evidence ----------------------------------------------------------------------------------------

EVIDENCE_QUERY = {"subject_type": Choice(choices=("unit", "user")), "subject_id": Uuid(), "period": PeriodKey()}


def _minutes_on_site(session: Session) -> Any:
    """Check-out minus check-in in minutes, computed by the database: a month of a company's visits is
    tens of thousands of rows, and decoding two instants per row in Python is most of the report's time."""
    check_in, check_out = col(Visit.check_in_at), col(Visit.check_out_at)
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", check_out - check_in) / 60
    return (func.julianday(check_out) - func.julianday(check_in)) * 1440


# A lead reads flags, statuses, distances and durations as words (the phone says them the same way).
FLAG_WORDS = {
    "far": ("远离客户", "far from customer"),
    "poor_accuracy": ("定位精度差", "poor accuracy"),
    "impossible_travel": ("不可能的行程", "impossible travel"),
    "repeated_position": ("重复定位", "repeated position"),
}
STATUS_WORDS = {
    "submitted": ("待审批", "submitted"),
    "approved": ("已批准", "approved"),
    "rejected": ("已驳回", "rejected"),
}


def distance_words(actor: Actor, metres: float | None) -> str | None:
    """850 米 / 3.2 公里 (850 m / 3.2 km); whole kilometres from 100 km."""
    if metres is None:
        return None
    if round(metres) < 1000:
        return _label(actor, f"{round(metres)} 米", f"{round(metres)} m")
    km = metres / 1000
    shown = f"{km:.1f}" if km < 100 else f"{round(km)}"
    return _label(actor, f"{shown} 公里", f"{shown} km")


def duration_words(actor: Actor, minutes: float | None) -> str | None:
    """42 分钟 / 1 小时 5 分钟 (42 min / 1 h 5 min)."""
    if minutes is None:
        return None
    whole = max(0, round(minutes))
    if whole < 60:
        return _label(actor, f"{whole} 分钟", f"{whole} min")
    return _label(actor, f"{whole // 60} 小时 {whole % 60} 分钟", f"{whole // 60} h {whole % 60} min")


def _flagged_row(actor: Actor, visit: Any, rep_name: str) -> dict[str, Any]:
    on_wall_clock = visit.check_in_at.astimezone(timezone(timedelta(minutes=visit.check_in_offset_min)))
    return {
        "visit_id": visit.id,
        "check_in": on_wall_clock.strftime("%Y-%m-%d %H:%M"),
        "name": rep_name,
        "customer": visit.customer,
        "distance": distance_words(actor, visit.distance_m),
        "distance_m": visit.distance_m,
        "time_on_site": duration_words(actor, visit.minutes),
        "flags": _label(actor, "、", ", ").join(
            _label(actor, *FLAG_WORDS[f]) for f in visit.flags if f in FLAG_WORDS
        ),
        "status": _label(actor, *STATUS_WORDS.get(visit.status, (visit.status, visit.status))),
    }


def evidence(
    session: Session,
    actor: Actor,
    now: datetime,
    subject_type: str | None = None,
    subject_id: str | None = None,
    period: str | None = None,
    max_distance_m: float | None = None,
) -> Report:
    """Per rep: logged visits in the period, distance to the customer, GPS accuracy, time on site, the share
    of visits checked in farther than `max_distance_m` from the customer (default 500 m), and how many the
    server flagged; then each flagged visit, oldest first, its flags, distance and time on site in words."""
    query = validate(_given(subject_type=subject_type, subject_id=subject_id, period=period), EVIDENCE_QUERY)
    limit = DEFAULT_MAX_DISTANCE_M if max_distance_m is None else max_distance_m
    if not 0 < limit <= 100_000:
        raise InvalidInput.one("max_distance_m", "out_of_range", min=0, max=100_000)
    kind, sid, name, zone = _subject(session, actor, query.get("subject_type", "unit"), query.get("subject_id"))
    the_period = _period(query.get("period"), zone, now)
    if kind == "unit":
        path = session.execute(select(Unit.path).where(Unit.id == sid)).scalar_one()
        reps = [(i, n) for i, n, _ in _reps_below(session, path)]
    else:
        reps = [(sid, name)]
    names = dict(reps)
    approved = engine_figures(session, [("user", i) for i in names], [the_period.key], now, ("visits",))
    start, end = the_period.bounds(ZoneInfo(zone))
    gathered: dict[str, dict[str, list[float]]] = {i: defaultdict(list) for i in names}
    logged: dict[str, int] = defaultdict(int)
    flagged: dict[str, int] = defaultdict(int)
    in_period = (
        col(Visit.rep_id).in_(list(names)),
        col(Visit.deleted_at).is_(None),
        col(Visit.status) != "draft",
        col(Visit.check_in_at) >= start,
        col(Visit.check_in_at) < end,
    )
    # A flag's name is quoted in the stored list; an empty one is stored as null (SQL's or JSON's).
    has_flags = sql_cast(col(Visit.flags), TextType).like('%"%')
    visits = sa_select(
        col(Visit.rep_id),
        col(Visit.distance_m),
        col(Visit.accuracy_m),
        _minutes_on_site(session),
        has_flags,
    ).where(*in_period)
    for rep_id, distance, accuracy, minutes, is_flagged in session.execute(visits):
        logged[rep_id] += 1
        flagged[rep_id] += 1 if is_flagged else 0
        parts = gathered[rep_id]
        if distance is not None:
            parts["distance"].append(distance)
            if distance > limit:
                parts["out"].append(1)
        if accuracy is not None:
            parts["accuracy"].append(accuracy)
        if minutes is not None:
            parts["minutes"].append(max(float(minutes), 0.0))
    rows = []
    for rep_id, rep_name in sorted(reps, key=lambda r: r[1]):
        parts = gathered[rep_id]
        measured = len(parts["distance"])
        result, _ = approved[("user", rep_id, "visits", the_period.key)]
        rows.append(
            {
                "rep_id": rep_id,
                "name": rep_name,
                "visits_logged": logged[rep_id],
                "visits_approved": figures_public(result).actual,
                "median_distance_m": _median(parts["distance"]),
                "max_distance_m": round(max(parts["distance"]), 1) if measured else None,
                "median_accuracy_m": _median(parts["accuracy"]),
                "median_minutes_on_site": _median(parts["minutes"]),
                "out_of_range": len(parts["out"]),
                "out_of_range_share": round(len(parts["out"]) / measured, 4) if measured else None,
                "flagged": flagged[rep_id],
            }
        )
    # The flagged visits alone are read in full: a month of a company's visits is tens of thousands of rows.
    flagged_visits = sa_select(
        col(Visit.id),
        col(Visit.rep_id),
        col(Visit.check_in_at),
        col(Visit.check_in_offset_min),
        col(Customer.name).label("customer"),
        col(Visit.distance_m),
        _minutes_on_site(session).label("minutes"),
        col(Visit.flags),
        col(Visit.status),
    ).join(Customer, col(Customer.id) == col(Visit.customer_id))
    flagged_rows = [
        _flagged_row(actor, visit, names[visit.rep_id])
        for visit in session.execute(
            flagged_visits.where(*in_period, has_flags).order_by(col(Visit.check_in_at), col(Visit.id))
        )
    ]
    title = _label(actor, f"{name} {the_period.key} 拜访证据", f"{name} {the_period.key}: visit evidence")
    columns = [
        Column("name", _label(actor, "销售", "Rep")),
        Column("visits_logged", _label(actor, "提交拜访", "Visits logged"), "visits"),
        Column("visits_approved", _label(actor, "已批准拜访", "Visits approved"), "visits"),
        Column("median_distance_m", _label(actor, "距离中位数", "Median distance"), "m"),
        Column("max_distance_m", _label(actor, "最大距离", "Max distance"), "m"),
        Column("median_accuracy_m", _label(actor, "GPS精度中位数", "Median GPS accuracy"), "m"),
        Column("median_minutes_on_site", _label(actor, "在场时长中位数", "Median time on site"), "min"),
        Column("out_of_range", _label(actor, "超范围拜访", "Out of range"), "visits"),
        Column("out_of_range_share", _label(actor, "超范围占比", "Out-of-range share")),
        Column("flagged", _label(actor, "有标记的拜访", "Flagged visits"), "visits"),
    ]
    flagged_title = _label(
        actor, f"{name} {the_period.key} 有标记的拜访", f"{name} {the_period.key}: flagged visits"
    )
    flagged_columns = [
        Column("check_in", _label(actor, "签到时间", "Check-in")),
        Column("name", _label(actor, "销售", "Rep")),
        Column("customer", _label(actor, "客户", "Customer")),
        Column("distance", _label(actor, "距离", "Distance")),
        Column("time_on_site", _label(actor, "在场时长", "Time on site")),
        Column("flags", _label(actor, "标记", "Flags")),
        Column("status", _label(actor, "状态", "Status")),
    ]
    return Report(
        "evidence",
        title,
        {"subject_type": kind, "subject_id": sid, "period": the_period.key, "max_distance_m": limit},
        [Table("evidence", title, columns, rows), Table("flagged", flagged_title, flagged_columns, flagged_rows)],
        Chart(
            "bar",
            _label(actor, "超范围拜访占比", "Out-of-range share"),
            "%",
            "evidence",
            "name",
            ["out_of_range_share"],
        ),
        notes=[
            "visits_logged: submitted, approved and rejected visits checked in during the period (the rep's zone "
            "for a rep, the unit's for a unit); visits_approved: the visits KPI"
        ],
    )
