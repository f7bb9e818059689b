"""China's official holiday schedules: reading a year's, and an admin entering the State Council's notice.

A year's public holidays come from an entered schedule, else ``chinesecalendar``, else the ``holidays``
package's estimate (``workdays`` says why). The notice for a year comes out late in the year before, after
targets were set; an admin enters its days off and make-up workdays in one go, which replaces the other
sources for that year for every unit, is audited, and rewrites the progress of every goal whose period
holds a day that changed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from backend.audit.service import record_audit
from backend.errors import FieldError, Forbidden, InvalidInput
from backend.kpi.models import OfficialSchedule
from backend.kpi.schemas import OfficialSchedulePublic
from backend.kpi.service import china_calendar, holidays_changed, holidays_status
from backend.kpi.workdays import WorkCalendar
from backend.periods import MAX_YEAR, MIN_YEAR
from backend.policy import Actor
from backend.validation import Day, validate
from backend.versioning import wire

LISTS = ("days_off", "make_up_workdays")
MAX_DAYS = 366


def schedule_public(calendar: WorkCalendar, year: int, row: OfficialSchedule | None) -> OfficialSchedulePublic:
    """The year's days off and make-up workdays as every unit's calendar takes them, and from where."""
    schedule = calendar.holiday_schedule(year)
    return OfficialSchedulePublic(
        year=year,
        holidays=holidays_status(calendar, year),
        holidays_source=calendar.holiday_source(year),
        days_off=sorted(day.isoformat() for day in schedule.days_off),
        make_up_workdays=sorted(day.isoformat() for day in schedule.make_up_workdays),
        entered_by=row.entered_by if row is not None else None,
        entered_at=wire(row.entered_at) if row is not None else None,
    )


def official_schedule(session: Session, year: int) -> OfficialSchedulePublic:
    """Anyone signed in: the year's schedule, entered, packaged or estimated."""
    _check_year(year)
    return schedule_public(china_calendar(session), year, session.get(OfficialSchedule, year))


def enter_official_schedule(
    session: Session, actor: Actor, year: int, data: Any, now: datetime
) -> OfficialSchedulePublic:
    """Admin: `{days_off: ["YYYY-MM-DD", …], make_up_workdays: [...]}` for the year, replacing whatever the
    year's holidays came from. Every date inside the year, none twice, none in both lists."""
    if not actor.is_admin:
        raise Forbidden()
    _check_year(year)
    days_off, make_up_workdays = _validated(data, year)
    before = china_calendar(session)
    row = session.get(OfficialSchedule, year)
    previous = schedule_public(before, year, row)
    entered = {
        "days_off": sorted(day.isoformat() for day in days_off),
        "make_up_workdays": sorted(day.isoformat() for day in make_up_workdays),
    }
    if (
        row is not None
        and row.days_off == entered["days_off"]
        and row.make_up_workdays == entered["make_up_workdays"]
    ):
        return previous  # the same notice entered again: nothing to audit or recompute
    if row is None:
        row = OfficialSchedule(year=year, entered_by=actor.id, entered_at=now, **entered)
        session.add(row)
    else:
        row.days_off, row.make_up_workdays = entered["days_off"], entered["make_up_workdays"]
        row.entered_by, row.entered_at = actor.id, now
    session.flush()
    after = china_calendar(session)
    record_audit(
        session,
        actor.id,
        "calendar.official_schedule",
        "official_schedule",
        str(year),
        {name: getattr(previous, name) for name in ("holidays_source", *LISTS)},
        {"holidays_source": "entered", **entered},
    )
    first = date(year, 1, 1)
    year_days = (first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days))
    changed = [day for day in year_days if before.is_working_day(day) != after.is_working_day(day)]
    if changed:
        holidays_changed(session, changed, now)
    return schedule_public(after, year, row)


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput.one("year", "out_of_range", min=MIN_YEAR, max=MAX_YEAR)


def _validated(data: Any, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Both lists' dates, or one InvalidInput naming every broken rule (`days_off[3]`, `duplicate`)."""
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "wrong_type", expected="object")
    errors = [FieldError(str(name)[:100], "unknown_field") for name in data if name not in LISTS]
    found = {name: _dates(data.get(name), name, year, errors) for name in LISTS}
    for day, index in found["make_up_workdays"].items():
        if day in found["days_off"]:
            row = found["days_off"][day] + 1
            errors.append(FieldError(f"make_up_workdays[{index}]", "in_both_lists", {"row": row}))
    if errors:
        raise InvalidInput(errors=errors)
    return frozenset(found["days_off"]), frozenset(found["make_up_workdays"])


def _dates(value: Any, name: str, year: int, errors: list[FieldError]) -> dict[date, int]:
    """One list's dates, each with its index; its broken rules are added to `errors`."""
    if value is None:
        errors.append(FieldError(name, "required"))
        return {}
    if not isinstance(value, list):
        errors.append(FieldError(name, "wrong_type", {"expected": "list"}))
        return {}
    if len(value) > MAX_DAYS:
        errors.append(FieldError(name, "too_many", {"max": MAX_DAYS}))
        return {}
    if name == "days_off" and not value:
        # Every year has public holidays: an empty list is a form sent before it was filled in.
        errors.append(FieldError(name, "required"))
        return {}
    found: dict[date, int] = {}
    for index, item in enumerate(value):
        key = f"{name}[{index}]"
        try:
            day = validate({key: item}, {key: Day(required=True, nullable=False)})[key]
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        if day.year != year:
            errors.append(FieldError(key, "not_in_year", {"year": year}))
        elif day in found:
            errors.append(FieldError(key, "duplicate", {"row": found[day] + 1}))
        else:
            found[day] = index
    return found
