"""The public leaderboard: the KPI engine's ranking (% of one's own target), with reps on an improvement
plan kept out of public ranks when `hide_reps_on_plan_from_ranks` is on (the default).

Who counts as "the public": reps. Leads and managers see every row (they run the plans); a rep on a plan
still sees their own row, without a rank. The others are ranked again among themselves (1, 1, 3 on ties),
so a hidden rep leaves no gap that points at them.

Each row carries the badges its person holds, one mark per kind with how many, named in the caller's
language: the team hears of every badge anyway (backend/channels), so the marks tell nothing new.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.coaching.models import ImprovementPlan  # read-only: who is on an open plan
from backend.i18n import DEFAULT_LOCALE
from backend.kpi import service as kpi
from backend.kpi.schemas import LeaderboardRow
from backend.policy import Actor
from backend.rewards.badges import BADGE_NAMES
from backend.rewards.models import BADGE_KINDS, Badge
from backend.rewards.schemas import BadgeMark, LeaderboardEntry
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
) -> list[LeaderboardEntry]:
    board = kpi.leaderboard(session, actor, now, unit_id, metric, period)
    if not actor.manages_people and hide_reps_on_plan(session) and board:
        board = _without_reps_on_plan(session, board)
    marks = badge_marks(session, [row.user_id for row in board], actor.locale)
    return [LeaderboardEntry(**msgspec.structs.asdict(row), badges=marks.get(row.user_id, [])) for row in board]


def badge_marks(session: Session, user_ids: list[str], locale: str) -> dict[str, list[BadgeMark]]:
    """Each person's badges, one mark per kind (how many, the latest one's key), in BADGE_KINDS order."""
    if not user_ids:
        return {}
    held: dict[str, dict[str, list[Badge]]] = {}
    query = select(Badge).where(col(Badge.rep_id).in_(user_ids)).order_by(col(Badge.earned_at), col(Badge.key))
    for badge in session.scalars(query):
        held.setdefault(badge.rep_id, {}).setdefault(badge.kind, []).append(badge)
    return {
        user_id: [
            BadgeMark(
                kind=kind,
                label=BADGE_NAMES[kind].get(locale, BADGE_NAMES[kind][DEFAULT_LOCALE]),
                count=len(kinds[kind]),
                last_key=kinds[kind][-1].key,
            )
            for kind in BADGE_KINDS
            if kind in kinds
        ]
        for user_id, kinds in held.items()
    }


def _without_reps_on_plan(session: Session, board: list[LeaderboardRow]) -> list[LeaderboardRow]:
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
