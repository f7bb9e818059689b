"""Rules for goals: what a goal looks like on the wire and in the change log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.goals.models import Goal
from backend.sync.changelog import record_change
from backend.versioning import wire


def goal_public(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.id,
        "subject_type": goal.subject_type,
        "subject_id": goal.subject_id,
        "metric": goal.metric,
        "period": goal.period,
        "target": wire(goal.target),
        "parent_id": goal.parent_id,
        "version": goal.version,
        "updated_at": goal.updated_at.isoformat(),
    }


def log_goal(session: Session, goal: Goal) -> None:
    """A rep's goal belongs to the rep; a unit's goal to the unit (everyone below sees it)."""
    if goal.subject_type == "user":
        record_change(session, "goal", goal.id, goal.version, owner_id=goal.subject_id)
    else:
        record_change(session, "goal", goal.id, goal.version, unit_id=goal.subject_id)
