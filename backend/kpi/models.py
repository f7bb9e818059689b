"""KPI tables: per-day activity kept with the writes, the derived progress records, calendar overrides and
the official holiday schedules entered for years."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from backend.db import Fixed, stamped
from backend.opportunities.models import Opportunity
from backend.visits.models import Visit

# Indexes the KPI hooks need on the raw rows: recounting one rep's day must not scan their whole history
# (nor, as SQLite's planner chose with only single-column indexes, every approved visit: `ix_visit_status`).
# Declared here because the KPI recount needed them first; they belong to the visit and opportunity tables,
# and the visit's also serves every other lookup of a rep's visits.
Index("ix_visit_rep_check_in", Visit.__table__.c.rep_id, Visit.__table__.c.check_in_at)  # type: ignore[attr-defined]
Index("ix_opportunity_owner_closed", Opportunity.__table__.c.owner_id, Opportunity.__table__.c.closed_at)  # type: ignore[attr-defined]


class DailyActivity(SQLModel, table=True):
    """What one rep's approved work and closed deals add up to on one of their local days.

    Maintained in the same transaction as the writes that change it (kpi.service's hooks), so progress
    reads O(days) rows per rep however long the history. Each row is recounted from the raw rows of its
    day, never incremented, so a retried or replayed hook cannot double-count. A day with nothing is no row.
    """

    __tablename__ = "kpi_daily"

    rep_id: str = Field(foreign_key="user.id", primary_key=True, max_length=36)
    # The rep's local calendar day (their time zone), which is how periods are cut for them.
    day: date = Field(primary_key=True)
    visits: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    won_amount: Decimal = Field(default=Decimal(0), sa_type=Fixed(2))
    won_count: int = 0
    lost_count: int = 0


class Progress(SQLModel, table=True):
    """The figures of one goal (subject, metric, period) as the phone receives them through sync.

    The id is derived from (subject, metric, period) (`progress_id`), so a record updates in place.
    """

    __tablename__ = "progress"

    id: str = Field(primary_key=True, max_length=36)
    subject_type: str = Field(max_length=8)
    subject_id: str = Field(index=True, max_length=36)
    metric: str = Field(max_length=16)
    period: str = Field(max_length=16, index=True)
    target: Decimal = Field(sa_type=Fixed(4))
    actual: Decimal | None = Field(default=None, sa_type=Fixed(4))
    attainment: Decimal | None = Field(default=None, sa_type=Fixed(4))
    expected_by_today: Decimal | None = Field(default=None, sa_type=Fixed(4))
    pace: Decimal | None = Field(default=None, sa_type=Fixed(4))
    forecast: Decimal | None = Field(default=None, sa_type=Fixed(4))
    needed_per_working_day: Decimal | None = Field(default=None, sa_type=Fixed(4))
    working_days_left: int = 0
    working_days_total: int = 0
    as_of: datetime = stamped()
    version: int = 1
    updated_at: datetime = stamped()


class CalendarDay(SQLModel, table=True):
    """An admin's override of one day for a unit and everything below it: a working Saturday, a day off."""

    __tablename__ = "calendar_day"

    unit_id: str = Field(foreign_key="unit.id", primary_key=True, max_length=36)
    day: date = Field(primary_key=True)
    working: bool
    updated_by: str = Field(foreign_key="user.id", max_length=36)
    updated_at: datetime = stamped()


class OfficialSchedule(SQLModel, table=True):
    """China's official days off and make-up working days of one year, entered by an admin in one go.

    For the whole organisation (the State Council's notice is the same for everyone), and it replaces the
    estimated or packaged holidays of its year. Dates are kept as ISO strings, sorted.
    """

    __tablename__ = "official_schedule"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    days_off: list[str] = Field(default_factory=list, sa_type=JSON)
    make_up_workdays: list[str] = Field(default_factory=list, sa_type=JSON)
    entered_by: str = Field(foreign_key="user.id", max_length=36)
    entered_at: datetime = stamped()
