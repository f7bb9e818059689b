"""The goals' shapes on the wire (the HTTP API and the sync pull share `GoalPublic`).

Amounts are decimal strings as the KPI engine writes them (`amount_text`): yuan to the cent, counts whole,
ratios as people read them.
"""

from __future__ import annotations

import msgspec

from backend.kpi.schemas import KpiFigures


class GoalPublic(msgspec.Struct):
    id: str
    subject_type: str  # unit | user
    subject_id: str
    metric: str
    period: str
    target: str
    parent_id: str | None
    # What other subjects' child goals take, and what is left; null for a ratio metric (a threshold).
    allocated: str | None
    unallocated: str | None
    version: int
    updated_at: str


class GoalFamily(msgspec.Struct):
    """A goal with its children after an allocation or a split, and the part of its target they leave."""

    parent: GoalPublic
    children: list[GoalPublic]
    unallocated: str | None


class GoalChangePublic(msgspec.Struct):
    """One change of a goal's target: who, when, from what (null: the goal was created), to what."""

    id: str
    goal_id: str
    changed_by: str
    changed_by_name: str | None
    changed_at: str
    # `from` and `to` on the wire (`from` is a Python keyword).
    old_target: str | None = msgspec.field(name="from")
    new_target: str = msgspec.field(name="to")
    via: str  # create | update | allocate | split


class SeasonalityPublic(msgspec.Struct):
    """The twelve month weights (January first) a unit's goals split by, and the unit that set them (null:
    none above has, so the split is flat)."""

    unit_id: str
    weights: list[str]
    set_on: str | None


class GoalTreeNode(msgspec.Struct):
    """One unit or person of a goal tree: their goal for the tree's metric and period, and its figures."""

    subject_type: str  # unit | user
    subject_id: str
    name: str
    # A unit's kind (company, region, team) or a person's role (rep; a lead only when they have a goal).
    kind: str
    # The unit above in this tree (a person's: their unit); null for the tree's root.
    parent_id: str | None
    active: bool
    # The subject's own stored goal for the metric and period; null when none is set.
    goal: GoalPublic | None
    # What the goal's own shorter-period goals add up to (a year split into months); null when it has none.
    split: str | None
    # The KPI engine's figures (GET /progress), also for a quarter or a year made of its months; null: no goal.
    figures: KpiFigures | None


class GoalTree(msgspec.Struct):
    """Every unit and person below a unit, units top down by name, then people by name."""

    unit_id: str
    metric: str
    period: str
    as_of: str
    nodes: list[GoalTreeNode]
