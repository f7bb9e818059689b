"""The public leaderboard: the KPI engine's ranking (% of one's own target), with reps on an improvement
plan kept out of public ranks when `hide_reps_on_plan_from_ranks` is on (the default).

Who counts as "the public": reps. Leads and managers see every row (they run the plans); a rep on a plan
still sees their own row, without a rank. The others are ranked again among themselves (1, 1, 3 on ties),
so a hidden rep leaves no gap that points at them.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.coaching.models import ImprovementPlan  # read-only: who is on an open plan
from backend.kpi import service as kpi
from backend.kpi.schemas import LeaderboardRow
from backend.policy import Actor
from backend.settings import session_settings


def hide_reps_on_plan(session: Session) -> bool:
    return session_settings(session).hide_reps_on_plan_from_ranks


def public_leaderboard(
    session: Session,
    actor: Actor,
    now: datetime,
    unit_id: str | None = None,
    metric: str | None = None,
    period: str | None = None,
) -> list[LeaderboardRow]:
    board = kpi.leaderboard(session, actor, now, unit_id, metric, period)
    if actor.manages_people or not hide_reps_on_plan(session) or not board:
        return board
    ids = [row.user_id for row in board]
    on_plan = set(
        session.scalars(
            select(ImprovementPlan.rep_id).where(
                col(ImprovementPlan.rep_id).in_(ids), col(ImprovementPlan.status) == "open"
            )
        )
    )
    shown: list[LeaderboardRow] = []
    ranked: list[LeaderboardRow] = []
    for row in board:
        if row.user_id in on_plan:
            if row.is_me:
                shown.append(msgspec.structs.replace(row, rank=None))
            continue
        tied = ranked and ranked[-1].attainment == row.attainment
        rank = ranked[-1].rank if tied else len(ranked) + 1
        ranked.append(msgspec.structs.replace(row, rank=rank))
        shown.append(ranked[-1])
    return shown
