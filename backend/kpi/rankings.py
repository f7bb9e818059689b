"""Units ranked against each other: the teams of a region, the regions of a company, or every team below a
unit, by attainment of each unit's own goal (GET /leaderboard/units). The people's leaderboard is
`service.leaderboard`; both read the one computation, `service.compute`.

A unit is ranked by its own goal, not by its people's: a region that allocated only part of its target to
its teams is still measured against the whole of it. Units without a goal for the metric and period are
listed last, without a rank, so a manager sees who has no target rather than losing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.goals.models import METRICS
from backend.kpi import service
from backend.kpi.engine import Figures, figures_public
from backend.kpi.schemas import UnitLeaderboardRow
from backend.org.models import Unit
from backend.periods import period_containing
from backend.policy import Actor, get_unit, require_manager
from backend.validation import Choice, PeriodKey, Uuid, validate

RANKED_KINDS = ("region", "team")
UNIT_LEADERBOARD_QUERY = {
    "unit_id": Uuid(),
    "metric": Choice(choices=METRICS),
    "period": PeriodKey(),
    "kind": Choice(choices=RANKED_KINDS),
}


def current_period(unit: Unit, now: datetime) -> str:
    """The month running in the unit's time zone: the default period of every screen of a unit."""
    return period_containing("month", now.astimezone(ZoneInfo(unit.timezone)).date()).key


def child_units(session: Session, unit: Unit, kind: str | None = None) -> list[Unit]:
    """The units directly below `unit`, or (with `kind`) every unit of that kind anywhere below it; by name."""
    if kind is None:
        query = select(Unit).where(Unit.parent_id == unit.id)
    else:
        query = select(Unit).where(
            col(Unit.path).startswith(unit.path, autoescape=True), Unit.id != unit.id, Unit.kind == kind
        )
    return list(session.scalars(query.order_by(col(Unit.name), col(Unit.id))))


def unit_figures(
    session: Session, unit_ids: Sequence[str], metrics: Sequence[str], period_keys: Sequence[str], now: datetime
) -> dict[tuple[str, str, str], Figures]:
    """The KPI engine's figures of the units' own goals, by (unit id, metric, period); a missing key: no goal."""
    goals = service.goals_of_periods(session, "unit", unit_ids, period_keys, metrics)
    every = [goal for found in goals.values() for goal in found]
    computed = service.compute(session, every, now)
    return {(g.subject_id, g.metric, g.period): computed[g.id] for g in every if g.id in computed}


def ranked(values: Sequence[tuple[float | None, bool]]) -> list[int | None]:
    """Ranks for rows already sorted best first, as (attainment, has a goal): equal attainments share a rank
    (1, 1, 3), measured rows before unmeasured ones, and a row without a goal has none."""
    ranks: list[int | None] = []
    for index, (attainment, has_goal) in enumerate(values):
        if not has_goal:
            ranks.append(None)
        elif index and values[index - 1] == (attainment, True):
            ranks.append(ranks[-1])
        else:
            ranks.append(index + 1)
    return ranks


def unit_leaderboard(
    session: Session,
    actor: Actor,
    now: datetime,
    unit_id: str | None = None,
    metric: str | None = None,
    period: str | None = None,
    kind: str | None = None,
) -> list[UnitLeaderboardRow]:
    """The units below a unit (default: the caller's), ranked by attainment of their own goals.

    Who may look: leads, managers and admins, at a unit they see (their own, those above it, those they
    manage). A unit out of sight is NotFound; a rep, who may see the unit, is Forbidden.
    """
    given = {"unit_id": unit_id, "metric": metric, "period": period, "kind": kind}
    query = validate({k: v for k, v in given.items() if v not in (None, "")}, UNIT_LEADERBOARD_QUERY)
    unit = get_unit(session, actor, query.get("unit_id", actor.unit_id), manage=False)
    require_manager(actor)
    metric_name = query.get("metric", "revenue")
    period_key = query.get("period") or current_period(unit, now)
    units = child_units(session, unit, query.get("kind"))
    found = unit_figures(session, [u.id for u in units], [metric_name], [period_key], now)
    rows = []
    for child in units:
        figures = found.get((child.id, metric_name, period_key))
        shown = figures_public(figures) if figures is not None else None
        rows.append((child, shown))
    # Best first; unmeasured goals after measured ones; units without a goal last; then by name.
    rows.sort(
        key=lambda row: (
            row[1] is None,
            row[1] is None or row[1].attainment is None,
            -(row[1].attainment or 0) if row[1] is not None else 0,
            row[0].name,
        )
    )
    ranks = ranked([(shown.attainment if shown else None, shown is not None) for _, shown in rows])
    return [
        UnitLeaderboardRow(
            rank=rank,
            unit_id=child.id,
            name=child.name,
            kind=child.kind,
            parent_id=child.parent_id,
            metric=metric_name,
            period=period_key,
            target=shown.target if shown else None,
            actual=shown.actual if shown else None,
            attainment=shown.attainment if shown else None,
            pace=shown.pace if shown else None,
            is_mine=actor.unit_path.startswith(child.path),
        )
        for (child, shown), rank in zip(rows, ranks, strict=True)
    ]
