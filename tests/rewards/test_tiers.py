"""Commission arithmetic at the tier boundaries, in exact Decimal figures (3 % to 80 %, 5 % to 100 %, 8 % above)."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from backend.rewards.tiers import Tier, commission, commission_lines, next_step

TIERS = [Tier(Decimal("0.8"), Decimal("0.03")), Tier(Decimal("1.0"), Decimal("0.05")), Tier(None, Decimal("0.08"))]
TARGET = Decimal("100000.0000")


@pytest.mark.parametrize(
    ("revenue", "marginal", "whole"),
    [
        ("0.00", "0.00", "0.00"),
        ("79999.99", "2400.00", "2400.00"),  # 79999.99 x 3 % = 2399.9997 -> 2400.00
        ("80000.00", "2400.00", "2400.00"),  # exactly 80 %: still the 3 % tier
        ("80000.01", "2400.00", "4000.00"),  # one cent above: whole pays 5 % on everything
        ("100000.00", "3400.00", "5000.00"),  # exactly 100 %: still the 5 % tier
        ("100000.01", "3400.00", "8000.00"),  # 8000.0008 -> 8000.00
        ("120000.00", "5000.00", "9600.00"),  # 2400 + 1000 + 20000 x 8 %
    ],
)
def test_tier_boundaries_are_inclusive_in_both_modes(revenue, marginal, whole):
    amount = Decimal(revenue)
    assert commission("marginal", TIERS, amount, TARGET) == Decimal(marginal)
    assert commission("whole", TIERS, amount, TARGET) == Decimal(whole)


def test_marginal_lines_explain_every_band_exactly_at_100_percent():
    lines = [
        msgspec.to_builtins(line.public())
        for line in commission_lines("marginal", TIERS, Decimal("100000.00"), TARGET)
    ]
    assert lines == [
        {
            "kind": "tier",
            "tier": 1,
            "from_attainment": "0.0000",
            "up_to_attainment": "0.8000",
            "base": "80000.00",
            "rate": "0.0300",
            "amount": "2400.00",
        },
        {
            "kind": "tier",
            "tier": 2,
            "from_attainment": "0.8000",
            "up_to_attainment": "1.0000",
            "base": "20000.00",
            "rate": "0.0500",
            "amount": "1000.00",
        },
    ]


def test_whole_line_at_exactly_80_percent_is_the_first_tier():
    (line,) = commission_lines("whole", TIERS, Decimal("80000.00"), TARGET)
    assert (line.tier, line.base, line.rate, line.amount) == (
        1,
        Decimal("80000.00"),
        Decimal("0.03"),
        Decimal("2400.00"),
    )


def test_next_step_names_the_revenue_to_the_next_tier_and_what_it_pays():
    marginal = next_step("marginal", TIERS, Decimal("50000.00"), TARGET)
    assert marginal is not None
    assert (marginal.more_revenue, marginal.pays_total, marginal.pays_extra) == (
        Decimal("30000.00"),
        Decimal("2400.00"),
        Decimal("900.00"),
    )
    # At exactly 80 % the next marginal step is the 100 % bound.
    at_80 = next_step("marginal", TIERS, Decimal("80000.00"), TARGET)
    assert at_80 is not None and (at_80.tier, at_80.more_revenue, at_80.pays_total) == (
        3,
        Decimal("20000.00"),
        Decimal("3400.00"),
    )
    # Whole: the accelerator starts one cent above the bound, and then pays on everything.
    whole = next_step("whole", TIERS, Decimal("80000.00"), TARGET)
    assert whole is not None and (whole.tier, whole.more_revenue, whole.pays_total, whole.pays_extra) == (
        2,
        Decimal("0.01"),
        Decimal("4000.00"),
        Decimal("1600.00"),
    )
    assert next_step("marginal", TIERS, Decimal("100000.01"), TARGET) is None
    assert next_step("whole", TIERS, Decimal("150000.00"), TARGET) is None
