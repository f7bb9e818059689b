"""What a report says to its reader, in the reader's language (zh-CN or en): units, stage and outcome names,
period labels, and figures as text.

A report's JSON keeps its codes (`stage: "lead"`) for programs; every place a person reads it (a column's
label and unit, the CSV, the XLSX, the SVG) shows the words from here instead. Figures are formatted by one
rule per column `format`:

- `money`: yuan to the cent, ¥ and thousands separators (¥12,000.50);
- `percent`: a fraction shown as a percentage to one decimal (0.4286 is 42.9%);
- `integer`: a count, with thousands separators;
- `decimal`: a measured figure as the report rounded it (4.33, 120.5);
- `number`: a plain number (coordinates);
- `text`: as it is.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.periods import InvalidPeriod, Period, period_containing

FORMATS = ("text", "money", "percent", "integer", "decimal", "number")


def say(locale: str, zh: str, en: str) -> str:
    return zh if locale.startswith("zh") else en


UNIT_WORDS = {
    "money": ("元", "CNY"),
    "visits": ("次", "visits"),
    "deals": ("单", "deals"),
    "customers": ("个", "customers"),
    "days": ("天", "days"),
    "m": ("米", "m"),
    "min": ("分钟", "min"),
    "score": ("分（1–5）", "points (1–5)"),
    "degrees": ("°", "°"),
}

STAGE_WORDS = {
    "lead": ("线索", "Lead"),
    "qualified": ("需求确认", "Qualified"),
    "proposal": ("方案报价", "Proposal"),
    "negotiation": ("商务谈判", "Negotiation"),
    "won": ("赢单", "Won"),
    "lost": ("输单", "Lost"),
}

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def unit(locale: str, code: str | None) -> str | None:
    """A unit's word ("元" / "CNY"); None for none."""
    if code is None:
        return None
    return say(locale, *UNIT_WORDS[code])


def stage(locale: str, code: str) -> str:
    return say(locale, *STAGE_WORDS.get(code, (code, code)))


def period_label(period: Period, locale: str) -> str:
    """2026年11月 / November 2026; 2026年第4季度 / Q4 2026; 2026年 / 2026; 2026年第48周 / Week 48, 2026."""
    year = period.start.year
    if period.kind == "month":
        return say(locale, f"{year}年{period.start.month}月", f"{MONTHS_EN[period.start.month - 1]} {year}")
    if period.kind == "quarter":
        quarter = (period.start.month - 1) // 3 + 1
        return say(locale, f"{year}年第{quarter}季度", f"Q{quarter} {year}")
    if period.kind == "year":
        return say(locale, f"{year}年", f"{year}")
    iso_year, week = period.key.split("-W")
    return say(locale, f"{iso_year}年第{int(week)}周", f"Week {int(week)}, {iso_year}")


def _neighbour(period: Period, day_after: bool) -> Period | None:
    try:
        return period_containing(period.kind, period.end) if day_after else period.previous()
    except InvalidPeriod:  # before 2000 or after 2100: a picker stops there
        return None


def period_info(period: Period, locale: str, today: date) -> dict[str, Any]:
    """What a period picker needs: the period's key, kind and label, its days, the periods either side, and
    the period of its kind that `today` falls in (a picker's "this month")."""
    before, after = _neighbour(period, False), _neighbour(period, True)
    current = period_containing(period.kind, today)
    return {
        "key": period.key,
        "kind": period.kind,
        "label": period_label(period, locale),
        "first_day": period.start.isoformat(),
        "last_day": (period.end - timedelta(days=1)).isoformat(),
        "previous": before.key if before else None,
        "previous_label": period_label(before, locale) if before else None,
        "next": after.key if after else None,
        "next_label": period_label(after, locale) if after else None,
        "current": current.key,
        "current_label": period_label(current, locale),
    }


def as_number(value: Any) -> float | None:
    """A cell's figure as a number (decimal strings included); None for an empty or non-numeric cell."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def figure(value: Any, fmt: str) -> str:
    """A cell as a person reads it: ¥12,000.50, 42.9%, 1,234, 4.33; empty for none."""
    if value is None:
        return ""
    number = as_number(value)
    if fmt == "text" or number is None:
        return str(value)
    if fmt == "money":
        return f"{'-' if number < 0 else ''}¥{abs(number):,.2f}"
    if fmt == "percent":
        return f"{number * 100:.1f}%"
    if fmt == "integer":
        return f"{round(number):,}"
    if fmt == "decimal":
        return f"{Decimal(str(value)):,}"
    return str(value)
