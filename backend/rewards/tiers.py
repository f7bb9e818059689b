"""Commission arithmetic: from a plan's tiers, a revenue and a target to the lines of a statement.

Pure Decimal functions, no database. A tier's bound is an attainment (revenue / target) and includes
itself: in "3 % up to 80 %, 5 % up to 100 %, 8 % above", exactly 80 % pays 3 % and exactly 100 % pays 5 %.
Bounds are compared as amounts (`bound * target`), never as a rounded attainment, so 79.996 % is not 80 %.

- marginal: each tier's rate applies to the revenue inside its band (0-80 % of target at 3 %, the next
  20 % at 5 %, the rest at 8 %), like income tax;
- whole: the rate of the tier the attainment falls in applies to the whole revenue (an accelerator).

Each line's amount is rounded to the cent (half up) and the commission is the sum of the lines, so a
statement's figures always add up as printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from backend.rewards.schemas import NextStepPublic, TierLinePublic

CENT = Decimal("0.01")
FRACTION = Decimal("0.0001")  # attainments and rates are shown to four places: "0.8000", "0.0300"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None  # attainment as a fraction (0.8); None: no upper bound (the top tier)
    rate: Decimal  # a fraction (0.03)


@dataclass(frozen=True)
class TierLine:
    tier: int  # 1-based
    from_attainment: Decimal
    up_to_attainment: Decimal | None
    base: Decimal  # the revenue the rate applies to
    rate: Decimal
    amount: Decimal

    def public(self) -> TierLinePublic:
        return TierLinePublic(
            tier=self.tier,
            from_attainment=_fraction(self.from_attainment),
            up_to_attainment=None if self.up_to_attainment is None else _fraction(self.up_to_attainment),
            base=str(self.base),
            rate=_fraction(self.rate),
            amount=str(self.amount),
        )


def _fraction(value: Decimal) -> str:
    return str(value.quantize(FRACTION))


def parse_tiers(raw: list[dict[str, Any]]) -> list[Tier]:
    """Tiers as stored (decimal strings); the plan's validation guarantees their shape."""
    return [
        Tier(None if t["up_to_attainment"] is None else Decimal(t["up_to_attainment"]), Decimal(t["rate"]))
        for t in raw
    ]


def _bound(tier: Tier, target: Decimal) -> Decimal | None:
    return None if tier.up_to is None else tier.up_to * target


def commission_lines(mode: str, tiers: list[Tier], revenue: Decimal, target: Decimal) -> list[TierLine]:
    """The tier lines paying `revenue` against `target` (target > 0). Marginal: one line per tier reached
    (the first always, even at zero); whole: the one line of the tier the attainment falls in."""
    if mode == "whole":
        for index, tier in enumerate(tiers):
            bound = _bound(tier, target)
            if bound is None or revenue <= bound:
                start = tiers[index - 1].up_to if index else ZERO
                assert start is not None
                amount = (revenue * tier.rate).quantize(CENT, ROUND_HALF_UP)
                return [TierLine(index + 1, start, tier.up_to, revenue, tier.rate, amount)]
        raise ValueError("the top tier must be open")
    lines: list[TierLine] = []
    lower = ZERO
    lower_attainment = ZERO
    for index, tier in enumerate(tiers):
        bound = _bound(tier, target)
        upper = revenue if bound is None else min(revenue, bound)
        base = max(upper - lower, ZERO).quantize(CENT)
        if index and base <= 0:
            break
        lines.append(
            TierLine(
                index + 1,
                lower_attainment,
                tier.up_to,
                base,
                tier.rate,
                (base * tier.rate).quantize(CENT, ROUND_HALF_UP),
            )
        )
        if bound is None or revenue <= bound:
            break
        assert tier.up_to is not None
        lower, lower_attainment = bound, tier.up_to
    return lines


def commission(mode: str, tiers: list[Tier], revenue: Decimal, target: Decimal) -> Decimal:
    return sum((line.amount for line in commission_lines(mode, tiers, revenue, target)), ZERO)


@dataclass(frozen=True)
class NextStep:
    """ "¥more_revenue more pays ¥pays_total in all (¥pays_extra more than now)", to the next tier."""

    tier: int
    at_attainment: Decimal
    more_revenue: Decimal
    pays_total: Decimal
    pays_extra: Decimal

    def public(self) -> NextStepPublic:
        return NextStepPublic(
            tier=self.tier,
            at_attainment=_fraction(self.at_attainment),
            more_revenue=str(self.more_revenue),
            pays_total=str(self.pays_total),
            pays_extra=str(self.pays_extra),
        )


def next_step(mode: str, tiers: list[Tier], revenue: Decimal, target: Decimal) -> NextStep | None:
    """What it takes to reach the next tier (None in the top tier).

    Marginal: reaching the current band's bound completes it (the next cent earns the next rate).
    Whole: the higher rate starts one cent above the bound (a bound belongs to the lower tier), and then
    applies to everything: that cent is the accelerator's jump.
    """
    now = commission(mode, tiers, revenue, target)
    for index, tier in enumerate(tiers):
        bound = _bound(tier, target)
        if bound is None:
            return None
        if mode == "marginal":
            reach = bound.quantize(CENT, ROUND_CEILING)
            if reach > revenue:
                total = commission(mode, tiers, reach, target)
                return NextStep(index + 2, tier.up_to or ZERO, reach - revenue, total, total - now)
        else:
            reach = bound.quantize(CENT, ROUND_FLOOR) + CENT
            if reach > revenue and revenue <= bound:
                total = commission(mode, tiers, reach, target)
                return NextStep(index + 2, tier.up_to or ZERO, reach - revenue, total, total - now)
    return None
