"""China's public holidays as the ``holidays`` package estimates them, for years ``chinesecalendar`` lacks.

The State Council announces each year's days off and make-up workdays (调休) late in the year before;
``chinesecalendar`` carries only announced years. For later years ``holidays`` computes the festivals from
the lunar calendar and the usual rules, which is close but not the notice: it may place a bridge day
differently and, so far, adds no make-up Saturdays. Callers therefore mark such years as estimated.

This is the only module that imports ``holidays``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays

# The years the package can compute China's holidays for (it raises outside them).
SUPPORTED_YEARS = range(holidays.China.start_year, holidays.China.end_year + 1)


def china(years: Iterable[int]) -> dict[date, bool]:
    """The estimated public holidays (False) and make-up working weekend days (True) of these years."""
    wanted = {year for year in years if year in SUPPORTED_YEARS}
    if not wanted:
        return {}
    # Public holidays only: the half-day category (Women's Day, Youth Day) is not a day off for everyone.
    estimate = holidays.China(years=sorted(wanted))
    days = {day: False for day in estimate if day.year in wanted}
    # `weekend_workdays` also lists make-up days of other years that the package knows; keep only these.
    days.update({day: True for day in estimate.weekend_workdays if day.year in wanted})
    return days
