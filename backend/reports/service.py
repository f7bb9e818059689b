"""Reports a manager reads: trend, comparison, regions, funnel, visit evidence.

Every KPI figure here comes from the KPI engine (`kpi.service.compute`, or `kpi.service.subject_tallies`
for the summable parts): a report never counts a KPI its own way, so the dashboard and the progress API
cannot disagree. Where a subject has a goal for the metric and period, the stored goal is used (the very
figures GET /progress shows); where it has none, the engine computes the actual against no target, and
target, attainment and pace are null.

What is not a KPI is counted here, and says so: customers by city, open opportunities by stage, days in
stage (from the stage history, `opportunity_stage_change`), won and lost reasons, GPS evidence of visits.

Each report is a `Report`: some `Table`s (what the CSV and XLSX exports write, what JSON shows) and one
`Chart` spec (what `charts.py` draws from one of those tables). Everything a person reads is in the caller's
language (`words.py`): column labels and units, notes, stage and outcome names beside their codes (a
column's `display_key`), period labels. Each report states its period for a picker (`period_info`), and each
row that is a unit or a person names where a screen goes one level down (`drill`: company → region → team →
rep → the rep's visits). People who share a name are told apart by their team (or email) in `name`.

Scope: a unit the caller manages (a lead their team, a manager their subtree, an admin all) or a person they
manage, or themselves; anything else answers NotFound, exactly like a missing id.
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
from backend.reports import words
from backend.reports.schemas import ComparisonReport, EvidenceReport, FunnelReport, RegionsReport, TrendReport
from backend.validation import Choice, PeriodKey, Uuid, validate
from backend.visits.models import Visit

OPEN_STAGES = tuple(s for s in STAGES if s not in CLOSED_STAGES)
MAX_TREND_PERIODS = 24
MAX_POINTS = 2000  # customers drawn on the regional plot; more is ink, not information
DEFAULT_MAX_DISTANCE_M = 500.0
# Each metric's unit (a code of words.UNIT_WORDS; a conversion is a percentage, no unit) and how its figures
# are shown (words.FORMATS).
UNITS: dict[str, str | None] = {
    "revenue": "money",
    "visits": "visits",
    "conversion": None,
    "satisfaction": "score",
    "new_customers": "customers",
}
METRIC_FORMATS = {
    "revenue": "money",
    "visits": "integer",
    "conversion": "percent",
    "satisfaction": "decimal",
    "new_customers": "integer",
}


@dataclass
class Column:
    """One column: its row key, its label and unit in the reader's words, how its figures are shown
    (`format`, one of words.FORMATS), and where the row holds the cell in words when the key holds a code
    (`display_key`: a stage's name beside its code)."""

    key: str
    label: str
    unit: str | None = None
    format: str = "text"
    display_key: str | None = None

    @property
    def shown_key(self) -> str:
        return self.display_key or self.key


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    # The sheet's name in an XLSX, in the reader's words (the table's name when none).
    sheet: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": [
                {"key": c.key, "label": c.label, "unit": c.unit, "format": c.format, "display_key": c.display_key}
                for c in self.columns
            ],
            "rows": self.rows,
        }


@dataclass
class Chart:
    """What to draw: `kind` bar|line|scatter|funnel, from `table`, labels from `label_key`, one series per
    value key; `unit` is the axis's unit in the reader's words, `format` how its figures read."""

    kind: str
    title: str
    unit: str | None
    table: str
    label_key: str
    value_keys: list[str]
    reference_key: str | None = None  # a target: a dashed line (trend), a mark on each bar (comparison)
    format: str = "number"


@dataclass
class Report:
    kind: str
    title: str
    meta: dict[str, Any]
    tables: list[Table]
    chart: Chart
    notes: list[str] = field(default_factory=list)
    locale: str = "zh-CN"

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


def _unit(actor: Actor, code: str | None) -> str | None:
    return words.unit(actor.locale, code)


def _metric_columns(actor: Actor, figures: tuple[str, ...]) -> list[Column]:
    """Each metric's columns for `figures` (actual, target, attainment, pace), labelled in the reader's words.
    Pace is the actual against what the working days so far expect (100% is on pace): a word apart from
    attainment (达成率), which is against the whole target."""
    columns = []
    for m in METRICS:
        name = _metric(actor, m)
        shown = {
            "actual": Column(f"{m}_actual", name, _unit(actor, UNITS[m]), METRIC_FORMATS[m]),
            "target": Column(
                f"{m}_target",
                _label(actor, f"{name}目标", f"{name} target"),
                _unit(actor, UNITS[m]),
                METRIC_FORMATS[m],
            ),
            "attainment": Column(
                f"{m}_attainment", _label(actor, f"{name}达成率", f"{name} attainment"), None, "percent"
            ),
            "pace": Column(f"{m}_pace", _label(actor, f"{name}进度比", f"{name} pace"), None, "percent"),
        }
        columns += [shown[f] for f in figures]
    return columns


def _period_meta(actor: Actor, period: Period, zone: str, now: datetime) -> dict[str, Any]:
    """What a period picker needs beside the figures: the period's label, its neighbours, and the period of
    its kind running today in the report's time zone."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return {"period_info": words.period_info(period, actor.locale, today)}


def _told_apart(session: Session, actor: Actor, people: list[tuple[str, str, str]]) -> dict[str, str]:
    """Each person's name as a report shows it, by id: the name alone, or, where two people of the report
    share a name, the name and their team (or their email's local part, when the team is shared too)."""
    shown = {user_id: name for user_id, name, _ in people}
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for user_id, name, unit_id in people:
        by_name[name].append((user_id, unit_id))
    clashes = {name: group for name, group in by_name.items() if len(group) > 1}
    if not clashes:
        return shown
    ids = [user_id for group in clashes.values() for user_id, _ in group]
    unit_ids = {unit_id for group in clashes.values() for _, unit_id in group}
    unit_query = sa_select(col(Unit.id), col(Unit.name)).where(col(Unit.id).in_(unit_ids))
    unit_names: dict[str, str] = {unit_id: name for unit_id, name in session.execute(unit_query)}
    email_query = sa_select(col(User.id), col(User.email)).where(col(User.id).in_(ids))
    emails: dict[str, str] = {user_id: email for user_id, email in session.execute(email_query)}
    for name, group in clashes.items():
        teams = [unit_names.get(unit_id, "") for _, unit_id in group]
        for (user_id, _), team in zip(group, teams, strict=True):
            suffix = team if teams.count(team) == 1 else str(emails.get(user_id, "")).split("@")[0]
            shown[user_id] = _label(actor, f"{name}（{suffix}）", f"{name} ({suffix})")
    return shown


NEXT_LEVEL = {"company": "region", "region": "team"}


def _unit_drill(report: str, kind: str, unit_id: str, period: Period) -> dict[str, Any]:
    """Where a screen goes from a unit's row: a team to its reps side by side, any other unit to its child
    units in the same report."""
    if kind == "team":
        query = {"unit_id": unit_id, "period": period.key, "by": "rep"}
        return {"level": "rep", "path": "/api/v1/reports/comparison", "query": query}
    query = {"unit_id": unit_id, "period": period.key} | ({"by": "team"} if report == "comparison" else {})
    return {"level": NEXT_LEVEL.get(kind, "unit"), "path": f"/api/v1/reports/{report}", "query": query}


def _rep_drill(rep_id: str, period: Period) -> dict[str, Any]:
    """Where a screen goes from a rep's row: that rep's approved visits of the period (the visits KPI)."""
    last_day = (period.end - timedelta(days=1)).isoformat()
    query = {"rep_id": rep_id, "from": period.start.isoformat(), "to": last_day, "status": "approved"}
    return {"level": "visits", "path": "/api/v1/visits", "query": query}


def _unit_kinds(session: Session, unit_ids: list[str]) -> dict[str, str]:
    if not unit_ids:
        return {}
    query = sa_select(col(Unit.id), col(Unit.kind)).where(col(Unit.id).in_(unit_ids))
    return {unit_id: kind for unit_id, kind in session.execute(query)}


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
    columns = [Column("period", _label(actor, "期间", "Period"), display_key="period_label")]
    columns += _metric_columns(actor, ("actual", "target", "attainment"))
    rows = []
    for p in keys:
        row: dict[str, Any] = {"period": p.key, "period_label": words.period_label(p, actor.locale)}
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
        {
            "subject_type": kind,
            "subject_id": sid,
            "periods": [p.key for p in keys],
            "metric": shown_metric,
            **_period_meta(actor, last, zone, now),
        },
        [Table("trend", title, columns, rows, _label(actor, "趋势", "Trend"))],
        Chart(
            "line",
            title,
            _unit(actor, UNITS[shown_metric]),
            "trend",
            "period_label",
            [f"{shown_metric}_actual"],
            reference_key=f"{shown_metric}_target",
            format=METRIC_FORMATS[shown_metric],
        ),
        notes=[
            _label(
                actor,
                "达成率：实际 ÷ 该期目标；没有目标的期间不显示目标和达成率。",
                "Attainment: the actual against the period's target; a period without a target shows neither.",
            )
        ],
        locale=actor.locale,
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
    if grouping == "rep":
        people = [p for p in _reps_below(session, unit.path) if p[0]]
        shown_names = _told_apart(session, actor, people)
        members = [("user", i, shown_names[i]) for i, _, _ in people]
    else:
        members = _members(session, unit, grouping)
    kinds = _unit_kinds(session, [i for t, i, _ in members if t == "unit"])
    results = engine_figures(session, [(t, i) for t, i, _ in members], [the_period.key], now)
    columns = [Column("name", _label(actor, "名称", "Name"))]
    columns += _metric_columns(actor, ("actual", "target", "attainment", "pace"))
    rows = []
    for subject_type, subject_id, name in members:
        drill = (
            _rep_drill(subject_id, the_period)
            if subject_type == "user"
            else _unit_drill("comparison", kinds[subject_id], subject_id, the_period)
        )
        row: dict[str, Any] = {
            "subject_type": subject_type,
            "subject_id": subject_id,
            "name": name,
            "drill": drill,
        }
        for m in METRICS:
            result, has_goal = results[(subject_type, subject_id, m, the_period.key)]
            row |= _kpi_cells(result, has_goal, f"{m}_")
        rows.append(row)
    sort_by = query.get("sort", "revenue_attainment")
    descending = query.get("order", "asc" if sort_by == "name" else "desc") == "desc"
    present = [r for r in rows if r[sort_by] is not None]
    present.sort(key=lambda r: (_sort_key(r[sort_by]), r["name"]), reverse=descending)
    rows = present + sorted((r for r in rows if r[sort_by] is None), key=lambda r: r["name"])
    label = words.period_label(the_period, actor.locale)
    title = _label(actor, f"{unit.name} {label} 对比", f"{unit.name} {label}: comparison")
    return Report(
        "comparison",
        title,
        {
            "unit_id": unit.id,
            "period": the_period.key,
            "by": grouping,
            "sort": sort_by,
            **_period_meta(actor, the_period, unit.timezone, now),
        },
        [Table("comparison", title, columns, rows, _label(actor, "对比", "Comparison"))],
        Chart(
            "bars",
            _label(actor, "销售额与目标", "Revenue against target"),
            _unit(actor, "money"),
            "comparison",
            "name",
            ["revenue_actual"],
            reference_key="revenue_target",
            format="money",
        ),
        notes=[
            _label(
                actor,
                "达成率：实际 ÷ 本期目标。进度比：实际 ÷ 按已过工作日应达到的数，100% 即正好跟上进度。"
                "没有目标的不显示目标、达成率和进度比。",
                "Attainment: the actual against the period's target. Pace: the actual against what the working "
                "days so far expect (100% is exactly on pace). Without a target, neither is shown.",
            )
        ],
        locale=actor.locale,
    )


# --- regions -----------------------------------------------------------------------------------------------

REGIONS_QUERY = {"unit_id": Uuid(), "period": PeriodKey()}


def _revenue_by_city(
    session: Session, unit: Unit, children: list[tuple[str, str, str]], the_period: Period
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], list[Any]]]:
    """Won deals and their amount by region (child unit) and customer city: the revenue KPI's own rule (won,
    not deleted, closed on the owner's local days of the period), so a region's cities add up to its
    revenue actual. People of the unit outside every child count under the unit itself. Also the same deals
    by the customer's (province, city), "" for none given: [won deals, amount]."""
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
    places: dict[tuple[str, str], list[Any]] = {}
    for zone, rep_ids in by_zone.items():
        start, end = the_period.bounds(ZoneInfo(zone))
        for at in range(0, len(rep_ids), 500):
            won = (
                sa_select(
                    col(Opportunity.owner_id),
                    col(Customer.province),
                    col(Customer.city),
                    func.count(),
                    func.sum(col(Opportunity.amount)),
                )
                .join(Customer, col(Customer.id) == Opportunity.customer_id, isouter=True)
                .where(
                    col(Opportunity.owner_id).in_(rep_ids[at : at + 500]),
                    col(Opportunity.stage) == "won",
                    col(Opportunity.deleted_at).is_(None),
                    col(Opportunity.closed_at) >= start,
                    col(Opportunity.closed_at) < end,
                )
                .group_by(col(Opportunity.owner_id), col(Customer.province), col(Customer.city))
            )
            for owner_id, province, city, count, amount in session.execute(won):
                for cell in (
                    cells.setdefault((region_by_rep[owner_id], city or ""), [0, Decimal(0)]),
                    places.setdefault((province or "", city or ""), [0, Decimal(0)]),
                ):
                    cell[0] += int(count)
                    cell[1] += Decimal(amount or 0)
    rows = [
        {"region_id": r, "region": region_of[r], "city": c, "won_deals": n, "revenue": _money(a)}
        for (r, c), (n, a) in cells.items()
    ]
    return sorted(rows, key=lambda row: (row["region"], -Decimal(row["revenue"]), row["city"])), places


def _by_province(
    session: Session, actor: Actor, live: tuple[Any, ...], won: dict[tuple[str, str], list[Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The grid by province → city: customers, won deals and revenue of each province, and of each city within
    it ("" for none given, named in the reader's words). Provinces and their cities by revenue, then customers,
    then name; the ones without a name last."""
    cells: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    customers = (
        select(Customer.province, Customer.city, func.count())
        .where(*live)
        .group_by(col(Customer.province), col(Customer.city))
    )
    for province, city, count in session.execute(customers):
        cells[(province or "", city or "")][0] += int(count)
    for place, (deals, amount) in won.items():
        cells[place][1] += deals
        cells[place][2] += amount
    totals: dict[str, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for (province, _), figures in cells.items():
        totals[province] = [a + b for a, b in zip(totals[province], figures, strict=True)]

    def order(name: str, figures: list[Any]) -> tuple[Any, ...]:
        return (name == "", -figures[2], -figures[0], name)

    no_province = _label(actor, "未填省份", "No province given")
    no_city = _label(actor, "未填城市", "No city given")
    provinces = [
        {
            "province": p,
            "province_name": p or no_province,
            "customers": n,
            "won_deals": d,
            "revenue": _money(a),
        }
        for p, (n, d, a) in sorted(totals.items(), key=lambda item: order(*item))
    ]
    rank = {row["province"]: i for i, row in enumerate(provinces)}
    cities = [
        {
            "province": p,
            "province_name": p or no_province,
            "city": c,
            "city_name": c or no_city,
            "customers": n,
            "won_deals": d,
            "revenue": _money(a),
        }
        for (p, c), (n, d, a) in sorted(
            cells.items(), key=lambda item: (rank[item[0][0]], *order(item[0][1], item[1]))
        )
    ]
    return provinces, cities


def regions(
    session: Session, actor: Actor, now: datetime, unit_id: str | None = None, period: str | None = None
) -> Report:
    """The unit's child units (its regions, or teams) with their KPIs; customers by city; the grid
    by province → city; customers' points."""
    query = validate(_given(unit_id=unit_id, period=period), REGIONS_QUERY)
    unit = get_unit(session, actor, query.get("unit_id", actor.unit_id))
    the_period = _period(query.get("period"), unit.timezone, now)
    children = _members(session, unit, "team")
    kinds = _unit_kinds(session, [i for _, i, _ in children])
    results = engine_figures(session, [(t, i) for t, i, _ in children], [the_period.key], now)
    region_columns = [Column("name", _label(actor, "区域", "Region"))]
    region_columns += _metric_columns(actor, ("actual", "attainment"))
    region_rows = []
    for subject_type, subject_id, name in children:
        drill = _unit_drill("regions", kinds[subject_id], subject_id, the_period)
        row: dict[str, Any] = {"unit_id": subject_id, "name": name, "drill": drill}
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
    city_revenue, won_by_place = _revenue_by_city(session, unit, children, the_period)
    for row in city_revenue:
        city = cities.setdefault(row["city"] or None, {"city": row["city"], "customers": 0, "new_customers": 0})
        city["revenue"] = _money(Decimal(city.get("revenue", 0)) + Decimal(row["revenue"]))
    for city in cities.values():
        city.setdefault("revenue", _money(None))
    city_rows = sorted(cities.values(), key=lambda r: (-r["customers"], r["city"]))
    province_rows, province_city_rows = _by_province(session, actor, live, won_by_place)
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
    for city_row in city_rows:
        city_row["city_name"] = city_row["city"] or _label(actor, "未填城市", "No city given")
    for revenue_row in city_revenue:
        revenue_row["city_name"] = revenue_row["city"] or _label(actor, "未填城市", "No city given")
    label = words.period_label(the_period, actor.locale)
    title = _label(actor, f"{unit.name} {label} 区域分布", f"{unit.name} {label}: regions")
    city_column = Column("city", _label(actor, "城市", "City"), display_key="city_name")
    province_column = Column("province", _label(actor, "省份", "Province"), display_key="province_name")
    money = _unit(actor, "money")
    place_figures = [
        Column("customers", _label(actor, "客户数", "Customers"), _unit(actor, "customers"), "integer"),
        Column("won_deals", _label(actor, "赢单数", "Won deals"), _unit(actor, "deals"), "integer"),
        Column("revenue", _label(actor, "销售额", "Revenue"), money, "money"),
    ]
    return Report(
        "regions",
        title,
        {
            "unit_id": unit.id,
            "period": the_period.key,
            "points_total": points_total,
            "points_shown": len(point_rows),
            **_period_meta(actor, the_period, unit.timezone, now),
        },
        [
            Table("regions", title, region_columns, region_rows, _label(actor, "区域", "Regions")),
            Table(
                "cities",
                _label(actor, "城市", "Cities"),
                [
                    city_column,
                    Column(
                        "customers", _label(actor, "客户数", "Customers"), _unit(actor, "customers"), "integer"
                    ),
                    Column(
                        "new_customers",
                        _label(actor, "新客户", "New customers"),
                        _unit(actor, "customers"),
                        "integer",
                    ),
                    Column("revenue", _label(actor, "销售额", "Revenue"), money, "money"),
                ],
                city_rows,
                _label(actor, "城市", "Cities"),
            ),
            Table(
                "city_revenue",
                _label(actor, "各区域城市销售额", "Revenue by region and city"),
                [
                    Column("region", _label(actor, "区域", "Region")),
                    city_column,
                    Column("won_deals", _label(actor, "赢单数", "Won deals"), _unit(actor, "deals"), "integer"),
                    Column("revenue", _label(actor, "销售额", "Revenue"), money, "money"),
                ],
                city_revenue,
                _label(actor, "各区域城市销售额", "Revenue by city"),
            ),
            Table(
                "provinces",
                _label(actor, "各省份客户与销售额", "Customers and revenue by province"),
                [province_column, *place_figures],
                province_rows,
                _label(actor, "省份", "Provinces"),
            ),
            Table(
                "province_cities",
                _label(actor, "各省份城市客户与销售额", "Customers and revenue by province and city"),
                [province_column, city_column, *place_figures],
                province_city_rows,
                _label(actor, "省份城市", "Provinces and cities"),
            ),
            Table(
                "points",
                _label(actor, "客户位置", "Customer locations"),
                [
                    Column("customer_id", _label(actor, "客户编号", "Customer id")),
                    Column("name", _label(actor, "客户", "Customer")),
                    Column("city", _label(actor, "城市", "City")),
                    Column("lat", _label(actor, "纬度", "Latitude"), _unit(actor, "degrees"), "number"),
                    Column("lon", _label(actor, "经度", "Longitude"), _unit(actor, "degrees"), "number"),
                ],
                point_rows,
                _label(actor, "客户位置", "Customer locations"),
            ),
        ],
        Chart(
            "scatter",
            _label(actor, "客户位置", "Customer locations"),
            _unit(actor, "degrees"),
            "points",
            "name",
            ["lon", "lat"],
        ),
        notes=[
            _label(
                actor,
                "城市：客户数；新客户为本期首次赢单的客户（与新客户指标的定义相同）；销售额为本期赢单金额。",
                "Cities: customers; new customers are those whose first won deal falls in the period (the new "
                "customers KPI's definition); revenue is the amount of deals won in the period.",
            ),
            _label(
                actor,
                "各区域城市销售额：本期赢单按客户所在城市汇总，按销售额指标的规则计（按负责人所在时区的本期日期成交），"
                "因此每个区域各城市之和等于该区域的销售额实际。",
                "Revenue by city: deals won in the period by their customer's city, counted by the revenue KPI's "
                "rule (closed on the owner's local days of the period), so each region's cities add up to its "
                "revenue actual.",
            ),
            _label(
                actor,
                "省份与城市：全部客户数，以及本期赢单数和销售额（规则同上），每个省份等于其各城市之和。",
                "Provinces and cities: all customers, and the deals won in the period and their amount (the same "
                "rule), each province the sum of its cities.",
            ),
        ],
        locale=actor.locale,
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
    session: Session, actor: Actor, live: tuple[Any, ...], start: datetime, end: datetime
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
        reasons[stage].append(
            {
                "outcome": stage,
                "outcome_name": words.stage(actor.locale, stage),
                "reason": reason,
                # What the rep typed stays as typed; a deal closed without a reason says so.
                "reason_text": reason if reason is not None else _label(actor, "未填写原因", "No reason given"),
                "count": int(count),
                "amount": _money(amount),
            }
        )
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
    reasons = _reasons(session, actor, live, start, end)
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
    steps: list[dict[str, Any]] = []
    for index, stage in enumerate(FUNNEL_ORDER):
        previous = reached[FUNNEL_ORDER[index - 1]] if index else None
        conversion = round(reached[stage] / previous, 4) if previous else None
        if index:
            steps.append(
                {
                    "from_stage": FUNNEL_ORDER[index - 1],
                    "to_stage": stage,
                    "from_name": words.stage(actor.locale, FUNNEL_ORDER[index - 1]),
                    "to_name": words.stage(actor.locale, stage),
                    "conversion": conversion,
                    "conversion_text": words.figure(conversion, "percent") or None,
                }
            )
        rows.append(
            {
                "stage": stage,
                "stage_name": words.stage(actor.locale, stage),
                "in_funnel": True,
                "count": counts[stage],
                "amount": _money(amounts[stage]),
                "mean_days_in_stage": round(statistics.mean(stays.ended[stage]), 1)
                if stays.ended[stage]
                else None,
                "median_days_in_stage": _median(stays.ended[stage]),
                "median_days_open": _median(stays.ongoing[stage]),
                "cohort_reached": reached[stage],
                "cohort_lost_here": lost_from.get(stage, 0) if stage != "won" else None,
                "conversion_from_previous": conversion,
            }
        )
    lost_amount = sum((Decimal(r["amount"]) for r in reasons["lost"]), Decimal(0))
    # Lost is where deals leave the funnel, not a stage of it: the row is listed after the funnel's stages,
    # marked `in_funnel: false`, and the chart does not draw it.
    rows.append(
        {
            "stage": "lost",
            "stage_name": words.stage(actor.locale, "lost"),
            "in_funnel": False,
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
    won_share = (Decimal(tally.won_count) / closed).quantize(Decimal("0.0001")) if closed else None
    label = words.period_label(the_period, actor.locale)
    title = _label(actor, f"{name} {label} 销售漏斗", f"{name} {label}: funnel")
    deals, days, money = _unit(actor, "deals"), _unit(actor, "days"), _unit(actor, "money")
    columns = [
        Column("stage", _label(actor, "阶段", "Stage"), display_key="stage_name"),
        Column("count", _label(actor, "数量", "Count"), deals, "integer"),
        Column("amount", _label(actor, "金额", "Amount"), money, "money"),
        Column("mean_days_in_stage", _label(actor, "平均停留天数", "Mean days in stage"), days, "decimal"),
        Column("median_days_in_stage", _label(actor, "停留天数中位数", "Median days in stage"), days, "decimal"),
        Column(
            "median_days_open", _label(actor, "在办停留天数中位数", "Median days so far (open)"), days, "decimal"
        ),
        Column("cohort_reached", _label(actor, "本期新建已达", "Created in period, reached"), deals, "integer"),
        Column(
            "cohort_lost_here", _label(actor, "本期新建在此输单", "Created in period, lost here"), deals, "integer"
        ),
        Column(
            "conversion_from_previous",
            _label(actor, "上一阶段转化率", "Conversion from previous"),
            None,
            "percent",
        ),
    ]
    reasons_table = Table(
        "reasons",
        _label(actor, "赢单/输单原因", "Won and lost reasons"),
        [
            Column("outcome", _label(actor, "结果", "Outcome"), display_key="outcome_name"),
            Column("reason", _label(actor, "原因", "Reason"), display_key="reason_text"),
            Column("count", _label(actor, "数量", "Count"), deals, "integer"),
            Column("amount", _label(actor, "金额", "Amount"), money, "money"),
        ],
        reasons["won"] + reasons["lost"],
        _label(actor, "赢单与输单原因", "Won and lost reasons"),
    )
    return Report(
        "funnel",
        title,
        {
            "subject_type": kind,
            "subject_id": sid,
            "period": the_period.key,
            "conversion": str(won_share) if won_share is not None else None,
            "conversion_text": words.figure(won_share, "percent") if won_share is not None else None,
            "steps": steps,
            "won_reasons": reasons["won"],
            "lost_reasons": reasons["lost"],
            **_period_meta(actor, the_period, zone, now),
        },
        [Table("funnel", title, columns, rows, _label(actor, "销售漏斗", "Funnel")), reasons_table],
        Chart(
            "funnel",
            _label(actor, f"{name} {label} 新建商机漏斗", f"{name} {label}: deals created in the period"),
            deals,
            "funnel",
            "stage_name",
            ["cohort_reached"],
            format="integer",
        ),
        notes=[
            _label(
                actor,
                "进行中的阶段：今天仍在该阶段的商机；赢单和输单：本期成交或输掉的商机（与 KPI 的统计相同）。",
                "Open stages: deals in that stage today; won and lost: deals closed in the period (as the KPIs "
                "count them).",
            ),
            _label(
                actor,
                "原因：本期成交或输掉的商机按填写的原因汇总；未填写原因的单独列出。",
                "Reasons: deals closed in the period by the reason given; those closed without one are listed "
                "apart.",
            ),
            _label(
                actor,
                "停留天数：本期结束的停留，按阶段记录中的时间计算；在办停留天数：进行中的商机进入当前阶段至今的天数。",
                "Days in stage: stays that ended in the period, from the stage history; days so far: open deals, "
                "since they entered their stage.",
            ),
            _label(
                actor,
                "漏斗与转化率：本期新建的商机到达各阶段的数量（到达后面的阶段即经过前面的阶段），"
                "转化率为到达本阶段 ÷ 到达上一阶段；输单不是漏斗的一个阶段，单独列在最后。",
                "Funnel and conversion: how many deals created in the period reached each stage (reaching a "
                "later stage passes the earlier ones); conversion is those reaching a stage over those reaching "
                "the one before. Lost is not a stage of the funnel: it is listed last, apart.",
            ),
        ],
        locale=actor.locale,
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
        shown_names = _told_apart(session, actor, _reps_below(session, path))
        reps = list(shown_names.items())
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
                "drill": _rep_drill(rep_id, the_period),
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
    label = words.period_label(the_period, actor.locale)
    title = _label(actor, f"{name} {label} 拜访证据", f"{name} {label}: visit evidence")
    counted, metres = _unit(actor, "visits"), _unit(actor, "m")
    columns = [
        Column("name", _label(actor, "销售", "Rep")),
        Column("visits_logged", _label(actor, "提交拜访", "Visits logged"), counted, "integer"),
        Column("visits_approved", _label(actor, "已批准拜访", "Visits approved"), counted, "integer"),
        Column("median_distance_m", _label(actor, "距离中位数", "Median distance"), metres, "decimal"),
        Column("max_distance_m", _label(actor, "最大距离", "Max distance"), metres, "decimal"),
        Column("median_accuracy_m", _label(actor, "GPS精度中位数", "Median GPS accuracy"), metres, "decimal"),
        Column(
            "median_minutes_on_site",
            _label(actor, "在场时长中位数", "Median time on site"),
            _unit(actor, "min"),
            "decimal",
        ),
        Column("out_of_range", _label(actor, "超范围拜访", "Out of range"), counted, "integer"),
        Column("out_of_range_share", _label(actor, "超范围占比", "Out-of-range share"), None, "percent"),
        Column("flagged", _label(actor, "有标记的拜访", "Flagged visits"), counted, "integer"),
    ]
    flagged_title = _label(actor, f"{name} {label} 有标记的拜访", f"{name} {label}: flagged visits")
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
        {
            "subject_type": kind,
            "subject_id": sid,
            "period": the_period.key,
            "max_distance_m": limit,
            **_period_meta(actor, the_period, zone, now),
        },
        [
            Table("evidence", title, columns, rows, _label(actor, "拜访证据", "Visit evidence")),
            Table(
                "flagged",
                flagged_title,
                flagged_columns,
                flagged_rows,
                _label(actor, "有标记的拜访", "Flagged visits"),
            ),
        ],
        Chart(
            "bars",
            _label(actor, "超范围拜访占比", "Out-of-range share"),
            None,
            "evidence",
            "name",
            ["out_of_range_share"],
            format="percent",
        ),
        notes=[
            _label(
                actor,
                "提交拜访：本期签到的待审批、已批准和已驳回拜访（销售按本人时区，组织按该组织的时区）；"
                "已批准拜访：拜访量指标。",
                "Visits logged: submitted, approved and rejected visits checked in during the period (in the "
                "rep's time zone for a rep, the unit's for a unit); visits approved: the visits KPI.",
            ),
            _label(
                actor,
                f"超范围：签到位置距客户超过 {words.figure(limit, 'decimal')} 米。",
                f"Out of range: checked in more than {words.figure(limit, 'decimal')} m from the customer.",
            ),
        ],
        locale=actor.locale,
    )
