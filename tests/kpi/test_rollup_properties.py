"""Property tests for the KPI arithmetic: rollups add up, ratios come from summed parts, and a moment falls
in a period exactly when it lies between the period's local midnights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session

from backend.goals.models import ADDITIVE_METRICS
from backend.kpi.engine import Tally
from backend.kpi.models import DailyActivity
from backend.kpi.service import local_midnight, resolve_subjects, subject_tallies
from backend.periods import PERIOD_KINDS, parse_period, period_of_instant

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/Santiago", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]

tallies = st.builds(
    Tally,
    visits=st.integers(0, 500),
    satisfaction_sum=st.integers(0, 2500),
    satisfaction_count=st.integers(0, 500),
    won_amount=st.decimals(0, 10**9, places=2),
    won_count=st.integers(0, 50),
    lost_count=st.integers(0, 50),
    new_customers=st.integers(0, 20),
)


@given(st.lists(tallies, min_size=1, max_size=30))
def test_a_units_additive_actual_is_the_sum_of_its_reps(reps: list[Tally]) -> None:
    unit = sum(reps, Tally())
    for metric in ADDITIVE_METRICS:
        assert unit.actual(metric) == sum((r.actual(metric) for r in reps), Decimal(0))


@given(st.lists(tallies, min_size=1, max_size=30))
def test_a_units_ratio_is_the_ratio_of_the_summed_parts_never_a_mean_of_means(reps: list[Tally]) -> None:
    unit = sum(reps, Tally())
    won, lost = sum(r.won_count for r in reps), sum(r.lost_count for r in reps)
    scored, total = sum(r.satisfaction_count for r in reps), sum(r.satisfaction_sum for r in reps)
    assert unit.actual("conversion") == (Decimal(won) / Decimal(won + lost) if won + lost else None)
    assert unit.actual("satisfaction") == (Decimal(total) / Decimal(scored) if scored else None)


def test_the_mean_of_means_would_be_wrong() -> None:
    # One rep closed 1 of 1, another 1 of 9: the team closed 2 of 10, not (100 % + 11 %) / 2.
    team = Tally(won_count=1) + Tally(won_count=1, lost_count=8)
    assert team.actual("conversion") == Decimal("0.2")


instants = st.datetimes(min_value=datetime(2001, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC))


@given(instants, st.sampled_from(ZONES), st.sampled_from(PERIOD_KINDS))
def test_a_moment_falls_in_a_period_exactly_between_its_local_midnights(
    instant: datetime, zone_name: str, kind: str
) -> None:
    zone = ZoneInfo(zone_name)
    period = period_of_instant(kind, instant, zone)
    start, end = period.bounds(zone)
    assert start <= instant < end
    # The local day the hooks file a visit under is the one whose midnights enclose it, and is in the period.
    day = instant.astimezone(zone).date()
    assert local_midnight(day, zone) <= instant < local_midnight(day + timedelta(days=1), zone)
    assert period.contains_day(day)
    # Just outside the bounds is another period.
    assert period_of_instant(kind, start - timedelta(microseconds=1), zone) != period
    assert period_of_instant(kind, end, zone) != period


days = st.dates(min_value=date(2026, 10, 25), max_value=date(2026, 12, 5))
activity = st.builds(
    dict,
    visits=st.integers(0, 9),
    satisfaction_sum=st.integers(0, 45),
    satisfaction_count=st.integers(0, 9),
    won_amount=st.decimals(0, 10**7, places=2),
    won_count=st.integers(0, 5),
    lost_count=st.integers(0, 5),
)
REPS = ["rep1", "rep2", "rep3", "rep4", "lead1"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(st.tuples(st.sampled_from(REPS), days), activity, max_size=40),
    st.sampled_from(["2026-11", "2026-W47", "2026-Q4"]),
)
def test_stored_rollups_add_up_through_the_tree(engine, org, rows, period_key) -> None:
    period = parse_period(period_key)
    with Session(engine) as session:
        session.execute(delete(DailyActivity))
        for (who, day), values in rows.items():
            session.add(DailyActivity(rep_id=org.user(who), day=day, **values))
        session.flush()
        keys = [("user", org.user(r)) for r in REPS] + [("unit", org.unit(u)) for u in org.units]
        subjects = resolve_subjects(session, keys)
        totals = subject_tallies(session, list(subjects.values()), period)

        def expected(people: list[str]) -> Tally:
            kept = [Tally(**v) for (who, day), v in rows.items() if who in people and period.contains_day(day)]
            return sum(kept, Tally())

        for rep in REPS:
            assert totals[("user", org.user(rep))] == expected([rep])
        team1 = totals[("unit", org.unit("team1"))]
        assert (
            team1
            == totals[("user", org.user("rep1"))]
            + totals[("user", org.user("rep2"))]
            + totals[("user", org.user("lead1"))]
        )
        assert totals[("unit", org.unit("east"))] == team1 + totals[("unit", org.unit("team2"))]
        company = totals[("unit", org.unit("company"))]
        assert company == expected(REPS)
        for metric in ADDITIVE_METRICS:
            assert company.actual(metric) == sum(
                (totals[("user", org.user(r))].actual(metric) for r in REPS), Decimal(0)
            )
        session.rollback()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.datetimes(min_value=datetime(2026, 10, 28), max_value=datetime(2026, 12, 3), timezones=st.just(UTC)),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(ZONES),
    st.sampled_from(["2026-11", "2026-W48", "2026-Q4", "2026"]),
)
def test_approved_visits_count_in_the_period_of_the_reps_local_day(
    engine, org, moments, zone_name, period_key
) -> None:
    from backend.org.models import User
    from tests.kpi.helpers import actor, customer, visit

    now = datetime(2026, 12, 5, tzinfo=UTC)
    zone = ZoneInfo(zone_name)
    period = parse_period(period_key)
    with Session(engine) as session:
        rep_user = session.get(User, org.user("rep1"))
        assert rep_user is not None
        rep_user.timezone = zone_name
        session.flush()
        rep, lead = actor(session, rep_user.id), actor(session, org.user("lead1"))
        buyer = customer(session, rep, now)
        for moment in moments:
            visit(session, rep, lead, buyer, moment.astimezone(zone).isoformat(), 3, now)
        subject = resolve_subjects(session, [("user", rep.id)])[("user", rep.id)]
        counted = subject_tallies(session, [subject], period)[subject.key].visits
        start, end = period.bounds(zone)
        assert counted == sum(1 for m in moments if start <= m < end)
        session.rollback()
