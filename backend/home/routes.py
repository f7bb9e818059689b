"""Home screens over HTTP: a lead's team and a manager's units (backend/home/service.py)."""

from __future__ import annotations

from litestar import get
from litestar.params import FromQuery

from backend.home import service
from backend.home.schemas import TeamHome, UnitsHome
from backend.http import DB, CurrentActor, Now


@get("/home/team", sync_to_thread=True)
def team_home(
    db: DB,
    actor: CurrentActor,
    now: Now,
    unit_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> TeamHome:
    """Leads and managers: a team's approvals waiting, reps behind pace and what they need per working day,
    each rep's visits on the team's today, and reps not synced for two days. Defaults: own team, this month."""
    return service.team_home(db, actor, now, unit_id, period)


@get("/home/units", sync_to_thread=True)
def units_home(
    db: DB,
    actor: CurrentActor,
    now: Now,
    unit_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
) -> UnitsHome:
    """Managers: each unit directly below a unit, per metric with a goal, its figures and the attainment of
    the last six periods; the units behind pace. Defaults: own unit, this month."""
    return service.units_home(db, actor, now, unit_id, period)


ROUTES = [team_home, units_home]
