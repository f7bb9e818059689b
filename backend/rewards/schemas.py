"""The rewards shapes on the wire: commission plans, statements and the phone's estimate; badges, and the
leaderboard's rows with each person's badges.

Money is a decimal string to the cent; attainments, rates and tier bounds are decimal strings of fractions
("0.8000" is 80 %).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from backend.kpi.schemas import LeaderboardRow


class TierPublic(msgspec.Struct):
    """One tier of a plan: up to an attainment (null: no upper bound, the top tier), at a rate."""

    up_to_attainment: str | None
    rate: str


class CommissionPlanPublic(msgspec.Struct):
    id: str
    name: str
    unit_id: str
    mode: str  # marginal | whole
    tiers: list[TierPublic]
    created_at: str
    updated_at: str


class AssignmentPublic(msgspec.Struct):
    """A plan applied to a unit (inherited by everyone below it) or to one rep."""

    plan_id: str
    subject_type: str  # unit | user
    subject_id: str


class PlanSnapshot(msgspec.Struct):
    """The plan as a statement computes with it (an issued statement keeps it as it stood)."""

    name: str
    mode: str
    tiers: list[TierPublic]


class Deal(msgspec.Struct):
    """A won opportunity counted in a revenue; a clawback names how it stands now (`stage`, `closed_at`)."""

    id: str
    title: str | None
    amount: str
    stage: str | msgspec.UnsetType = msgspec.UNSET
    closed_at: str | msgspec.UnsetType | None = msgspec.UNSET


class TierLinePublic(msgspec.Struct, tag_field="kind", tag="tier"):
    """What one tier pays: its rate on the revenue inside its band (marginal), or on all of it (whole)."""

    tier: int  # 1-based
    from_attainment: str
    up_to_attainment: str | None
    base: str
    rate: str
    amount: str


class _Adjustment(msgspec.Struct):
    """An issued earlier period paid again by what it earns now: what was paid, what is owed, the deals."""

    period: str
    statement_id: str
    paid: str
    revenue_paid: str
    revenue_now: str
    owed_now: str
    adjusted_before: str
    deals: list[Deal]
    amount: str


class BackPayLine(_Adjustment, tag_field="kind", tag="back_pay"):
    """An issued earlier period now earns more (a deal won late into it): the difference, and those deals."""


class ClawbackLine(_Adjustment, tag_field="kind", tag="clawback"):
    """An issued earlier period now earns less: the (negative) difference, and the deals no longer won."""

    clawed_back_before: str


StatementLine = TierLinePublic | BackPayLine | ClawbackLine


class StatementPublic(msgspec.Struct):
    """A rep's statement for a period: issued (as stored), or the draft as of now (`id` and `issued_at` null)."""

    id: str | None
    status: str  # draft | issued
    user_id: str
    period: str
    plan_id: str | None
    plan: PlanSnapshot
    target: str
    revenue: str
    attainment: str | None
    commission: str
    clawback: str
    back_pay: str
    total: str
    deals: list[Deal]
    lines: list[StatementLine]
    issued_at: str | None


class NextStepPublic(msgspec.Struct):
    """ "¥more_revenue more pays ¥pays_total in all (¥pays_extra more than now)", to the next tier."""

    tier: int
    at_attainment: str
    more_revenue: str
    pays_total: str
    pays_extra: str


class EstimatePublic(msgspec.Struct):
    """The caller's commission so far in a period under the plan that applies to them, and what the next tier
    takes (null in the top tier)."""

    user_id: str
    period: str
    plan: PlanSnapshot
    mode: str
    target: str
    revenue: str
    attainment: str | None
    commission: str
    clawback: str
    back_pay: str
    total: str
    lines: list[StatementLine]
    next: NextStepPublic | None
    as_of: str


class NoEstimate(msgspec.Struct):
    """No estimate for the period, and why, as a normal answer rather than an error. `missing` says what it
    takes: `commission_plan` when no plan applies to the caller (a lead or manager, usually; `plan` null), or
    `revenue_goal` when a plan applies (named in `plan`) but the period has no revenue target. There are no
    figures; a client tells it from EstimatePublic by `missing`."""

    user_id: str
    period: str
    plan: PlanSnapshot | None
    missing: Literal["commission_plan", "revenue_goal"]
    as_of: str


class BadgeData(msgspec.Struct):
    """What a badge was earned for, by kind: `first_order` names the opportunity; `month_100` the period,
    the goal and its attainment; `visit_streak` the working days in a row and the last of them."""

    opportunity_id: str | msgspec.UnsetType = msgspec.UNSET
    period: str | msgspec.UnsetType = msgspec.UNSET
    goal_id: str | msgspec.UnsetType = msgspec.UNSET
    attainment: str | msgspec.UnsetType = msgspec.UNSET
    days: int | msgspec.UnsetType = msgspec.UNSET
    through: str | msgspec.UnsetType = msgspec.UNSET


class BadgePublic(msgspec.Struct):
    id: str
    rep_id: str
    kind: str  # first_order | month_100 | visit_streak
    # "" for a one-off badge, the period of a 100 % month, the length of a visit streak.
    key: str
    data: BadgeData
    earned_at: str
    version: int
    updated_at: str


class BadgeMark(msgspec.Struct):
    """One kind of badge a person holds, as a leaderboard shows it beside their name."""

    kind: str  # first_order | month_100 | visit_streak
    label: str  # the kind's name in the caller's language
    count: int  # how many of this kind (a 100 % month is earned once per month)
    last_key: str  # the latest one's key: its month, the streak's length, "" for a first order


class LeaderboardEntry(LeaderboardRow):
    """A person on a unit's leaderboard, with the badges they hold (in BADGE_KINDS order)."""

    badges: list[BadgeMark]
