"""The demo company: repeatable, shaped like the product promises, logged for sync, and safe to re-run."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from backend.bootstrap import ensure_admin
from backend.customers.pinyin import initials
from backend.db import make_engine
from backend.demo import CUSTOMERS_PER_REP, DEMO_PASSWORD, database_is_empty, seed_demo
from backend.kpi.workdays import WorkCalendar
from backend.models import metadata
from backend.settings import Settings
from backend.sync.changelog import ensure_state

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)  # the conftest clock's day
REPS, MONTHS = 12, 3
SEEDED = ("unit", "user", "customer", "opportunity", "visit", "goal")
SYNCED = (*SEEDED, "progress")


def _empty_database(path: Path) -> tuple[Engine, Settings]:
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    with Session(engine) as session:
        ensure_state(session)
        session.commit()
    return engine, Settings(database_url=str(engine.url), data_dir=path.parent, secret_key="s" * 32)


def _seeded(path: Path, **kwargs: Any) -> tuple[Engine, list[tuple[str, str, str]], dict[str, Any]]:
    engine, settings = _empty_database(path)
    stats: dict[str, Any] = {}
    sign_ins = seed_demo(settings, stats=stats, **kwargs)
    return engine, sign_ins, stats


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)))


def _digest(engine: Engine) -> str:
    """Every row the seed decides. Left out: the password hash (argon2 salts it at random) and the progress
    records with their change-log rows, which are computed as of the moment of seeding."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for name in (
            *SEEDED,
            "opportunity_stage_change",
            "goal_change",
            "seasonality",
            "kpi_daily",
            "change_log",
            "sync_state",
        ):
            table = metadata.tables[name]
            columns = [column for column in table.columns if column.name != "password_hash"]
            query = select(*columns).order_by(*table.primary_key.columns)
            if name == "change_log":
                query = query.where(table.c.entity != "progress")
            elif name == "sync_state":
                query = select(table.c.purged_through)
            for row in connection.execute(query):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One seeded company shared by the read-only checks (seeding is the slow part)."""
    engine, _, _ = _seeded(tmp_path_factory.mktemp("demo") / "demo.db", reps=REPS, months=MONTHS, today=TODAY)
    yield engine
    engine.dispose()


def test_the_same_seed_gives_the_same_company_and_another_seed_another(tmp_path: Path) -> None:
    first, _, _ = _seeded(tmp_path / "a.db", reps=4, months=2, seed=11, today=TODAY)
    again, _, _ = _seeded(tmp_path / "b.db", reps=4, months=2, seed=11, today=TODAY)
    other, _, _ = _seeded(tmp_path / "c.db", reps=4, months=2, seed=12, today=TODAY)

    assert _digest(first) == _digest(again)
    assert _digest(first) != _digest(other)
    for engine in (first, again, other):
        engine.dispose()


def test_the_org_has_three_regions_of_two_or_three_teams_each_with_its_people(demo: Engine) -> None:
    kinds = Counter(kind for (kind,) in _rows(demo, "SELECT kind FROM unit"))
    assert kinds == {"company": 1, "region": 3, "team": kinds["team"]}
    teams_per_region = _rows(
        demo,
        "SELECT r.name, COUNT(t.id) FROM unit r JOIN unit t ON t.parent_id = r.id WHERE r.kind = 'region' GROUP BY r.id",
    )
    assert {name for name, _ in teams_per_region} == {"华东", "华南", "华北"}
    assert all(2 <= teams <= 3 for _, teams in teams_per_region)

    people = _rows(demo, "SELECT u.role, n.kind, n.id FROM user u JOIN unit n ON n.id = u.unit_id")
    roles = Counter(role for role, _, _ in people)
    assert roles["rep"] == REPS and roles["admin"] == 1
    assert roles["lead"] == kinds["team"]
    assert sorted(kind for role, kind, _ in people if role == "manager") == [
        "company",
        "region",
        "region",
        "region",
    ]
    assert all(kind == "team" for role, kind, _ in people if role in ("rep", "lead"))
    assert all(count >= 1 for count in Counter(unit for role, _, unit in people if role == "rep").values())
    paths = _rows(demo, "SELECT u.path, p.path, u.id FROM unit u LEFT JOIN unit p ON p.id = u.parent_id")
    assert all(path == f"{parent or '/'}{unit_id}/" for path, parent, unit_id in paths)


def test_every_rep_owns_fifty_customers_in_real_cities(demo: Engine) -> None:
    owned = _rows(
        demo, "SELECT owner_id, COUNT(*), MIN(lat), MAX(lat), MIN(lon), MAX(lon) FROM customer GROUP BY 1"
    )
    assert len(owned) == REPS and all(count == CUSTOMERS_PER_REP for _, count, *_ in owned)
    # Mainland China, between Guangdong and Beijing.
    assert all(
        low_lat > 21 and high_lat < 41 and low_lon > 111 and high_lon < 123
        for _, _, low_lat, high_lat, low_lon, high_lon in owned
    )
    assert all(city for (city,) in _rows(demo, "SELECT city FROM customer"))
    # Each city lies in its own province: the regions report's grid groups cities under the right one.
    places = set(_rows(demo, "SELECT province, city FROM customer"))
    assert ("浙江", "杭州") in places and ("广东", "深圳") in places and ("上海", "上海") in places
    assert all(province for province, _ in places)
    assert len({city for _, city in places}) == len(places)  # one province per city
    # Written in bulk around the ORM, they carry the initials the server gives a name too.
    assert all(found == initials(name) for name, found in _rows(demo, "SELECT name, initials FROM customer"))


def test_visits_fall_on_working_days_in_office_hours_and_in_the_past(demo: Engine) -> None:
    calendar = WorkCalendar()
    per_rep_day: Counter[tuple[str, date]] = Counter()
    with Session(demo) as session:
        table = metadata.tables["visit"]
        visits = session.execute(select(table.c.rep_id, table.c.check_in_at, table.c.check_in_offset_min)).all()
    today_start = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=SHANGHAI)
    for rep_id, check_in, offset in visits:
        local = check_in.astimezone(SHANGHAI)
        assert offset == 480
        assert calendar.is_working_day(local.date()), local
        assert 9 <= local.hour < 18
        assert check_in < today_start
        per_rep_day[(rep_id, local.date())] += 1
    assert all(2 <= count <= 6 for count in per_rep_day.values())
    working_days = {day for _, day in per_rep_day}
    assert len(per_rep_day) == REPS * len(working_days)
    assert min(working_days) >= date(2026, 9, 1) and max(working_days) < TODAY


def test_visits_carry_evidence_and_leave_an_approval_queue(demo: Engine) -> None:
    rows = _rows(
        demo,
        "SELECT v.status, v.accuracy_m, v.distance_m, v.satisfaction, v.reviewed_by, v.review_comment, "
        "l.role, l.unit_id = r.unit_id FROM visit v JOIN user r ON r.id = v.rep_id "
        "LEFT JOIN user l ON l.id = v.reviewed_by",
    )
    statuses = Counter(status for status, *_ in rows)
    assert statuses["approved"] > 0.8 * len(rows)
    assert statuses["submitted"] > 0 and statuses["rejected"] > 0
    for status, accuracy, distance, satisfaction, reviewer, comment, role, same_team in rows:
        assert 5 <= accuracy <= 60 and distance >= 0
        assert satisfaction is None or 1 <= satisfaction <= 5
        if status in ("approved", "rejected"):
            assert reviewer and role == "lead" and same_team
        else:
            assert reviewer is None
        assert (status == "rejected") == bool(comment)
    assert any(distance > 500 for _, _, distance, *_ in rows)
    # Flagged as the server flags a visit: far beyond the default 500 m, and between one rep's check-ins.
    flagged = _rows(demo, "SELECT distance_m, flags FROM visit")
    assert all((distance > 500) == ("far" in (json.loads(flags or "[]") or [])) for distance, flags in flagged)
    assert any("impossible_travel" in (json.loads(flags or "[]") or []) for _, flags in flagged)


def test_a_strong_rep_outperforms_a_struggling_one(demo: Engine) -> None:
    def figures(email: str) -> tuple[int, float, float]:
        ((won, closed, satisfaction),) = _rows(
            demo,
            "SELECT SUM(o.stage = 'won'), COUNT(*), "
            "(SELECT AVG(satisfaction) FROM visit v WHERE v.rep_id = u.id) "
            f"FROM opportunity o JOIN user u ON u.id = o.owner_id WHERE u.email = '{email}' "
            "AND o.stage IN ('won', 'lost') AND o.closed_at >= '2026-09-01'",
        )
        return won, won / closed, satisfaction

    strong, struggling = figures("rep01@demo.fieldgoal"), figures("rep02@demo.fieldgoal")
    assert strong[1] > struggling[1] and strong[2] > struggling[2]


def test_customers_are_active_exactly_from_their_first_won_opportunity(demo: Engine) -> None:
    first_wins: dict[str, date] = {}
    table = metadata.tables["opportunity"]
    with Session(demo) as session:
        for customer_id, closed_at, amount in session.execute(
            select(table.c.customer_id, table.c.closed_at, table.c.amount).where(table.c.stage == "won")
        ):
            assert Decimal(20_000) <= amount <= Decimal(800_000)
            day = closed_at.astimezone(SHANGHAI).date()
            first_wins[customer_id] = min(day, first_wins.get(customer_id, day))
    for customer_id, status, first_won_on in _rows(demo, "SELECT id, status, first_won_on FROM customer"):
        expected = first_wins.get(customer_id)
        assert status == ("active" if expected else "prospect")
        assert first_won_on == (expected.isoformat() if expected else None)
    assert not _rows(
        demo, "SELECT id FROM opportunity WHERE (stage IN ('won', 'lost')) != (closed_at IS NOT NULL)"
    )


def test_every_opportunity_has_a_stage_history_ending_where_it_is_and_the_funnel_has_figures(
    demo: Engine,
) -> None:
    from backend.opportunities.models import Opportunity, StageChange
    from backend.org.models import Unit, User
    from backend.policy import actor_for
    from backend.reports.service import funnel

    with Session(demo) as session:
        moves: dict[str, list[Any]] = defaultdict(list)
        for change in session.scalars(select(StageChange).order_by(StageChange.version)):
            moves[change.opportunity_id].append(change)
        deals = list(session.scalars(select(Opportunity)))
        for deal in deals:
            history = moves[deal.id]
            assert history[0].from_stage is None and history[0].to_stage == "lead"
            assert all(a.to_stage == b.from_stage and a.at <= b.at for a, b in pairwise(history))
            assert (history[-1].to_stage, history[-1].version) == (deal.stage, deal.version)
            assert (deal.close_reason is not None) == (deal.stage in ("won", "lost"))
        admin = session.scalars(select(User).where(User.role == "admin")).first()
        assert admin is not None
        company = session.get(Unit, admin.unit_id)
        assert company is not None
        period = f"{TODAY.year}-{TODAY.month - 1:02d}"  # a whole month of the demo's history
        body = funnel(session, actor_for(admin, company), datetime(2026, 11, 20, 2, tzinfo=UTC), period=period)
        rows = {r["stage"]: r for r in body.table("funnel").rows}
        assert rows["lead"]["cohort_reached"] > rows["won"]["cohort_reached"] > 0
        assert 0 < rows["won"]["conversion_from_previous"] <= 1
        assert rows["proposal"]["mean_days_in_stage"] is not None
        assert body.meta["won_reasons"] and body.meta["lost_reasons"]


def test_revenue_goals_cascade_and_add_up(demo: Engine) -> None:
    goals = _rows(demo, "SELECT id, subject_type, metric, period, target, parent_id FROM goal")
    targets = {goal_id: Decimal(target) for goal_id, _, _, _, target, _ in goals}
    children: dict[str, Decimal] = defaultdict(Decimal)
    for _, _, _, _, target, parent_id in goals:
        if parent_id:
            children[parent_id] += Decimal(target)
    assert children and all(total <= targets[parent] for parent, total in children.items())
    # `allocated` is what other subjects' children take (goals/service.py); a split in time is not counted.
    mismatched = _rows(
        demo,
        "SELECT p.id FROM goal p WHERE p.metric IN ('revenue', 'visits', 'new_customers') AND p.allocated != "
        "(SELECT COALESCE(SUM(c.target), 0) FROM goal c WHERE c.parent_id = p.id AND c.subject_id != p.subject_id)",
    )
    assert not mismatched
    assert _rows(demo, "SELECT COUNT(*) FROM goal_change WHERE old_target IS NULL") == [(len(goals),)]

    ((company,),) = _rows(
        demo,
        "SELECT g.target FROM goal g JOIN unit u ON u.id = g.subject_id WHERE u.kind = 'company' AND g.period = '2026'",
    )
    # 1亿 a year for 40 reps (Fixed(4) stores ten-thousandths of a yuan).
    assert Decimal(company) / 10_000 == Decimal(100_000_000) * REPS / 40
    per_rep = Counter((metric, period) for _, kind, metric, period, _, _ in goals if kind == "user")
    assert set(per_rep) == {
        (metric, period)
        for metric in ("revenue", "visits", "conversion", "satisfaction", "new_customers")
        for period in ("2026-09", "2026-10", "2026-11")
    }
    assert set(per_rep.values()) == {REPS}
    assert not _rows(
        demo, "SELECT id FROM goal WHERE created_by NOT IN (SELECT id FROM user WHERE role = 'admin')"
    )


def test_every_record_has_one_change_log_row_with_its_sync_keys(demo: Engine) -> None:
    expected_keys = {
        "unit": "SELECT id, NULL, id FROM unit",
        "user": "SELECT id, id, unit_id FROM user",
        "customer": "SELECT id, owner_id, NULL FROM customer",
        "opportunity": "SELECT id, owner_id, NULL FROM opportunity",
        "visit": "SELECT id, rep_id, NULL FROM visit",
        "goal": "SELECT id, CASE subject_type WHEN 'user' THEN subject_id END, "
        "CASE subject_type WHEN 'unit' THEN subject_id END FROM goal",
        "progress": "SELECT id, CASE subject_type WHEN 'user' THEN subject_id END, "
        "CASE subject_type WHEN 'unit' THEN subject_id END FROM progress",
    }
    logged = {
        (entity, record_id): (owner_id, unit_id, version)
        for entity, record_id, owner_id, unit_id, version in _rows(
            demo, "SELECT entity, record_id, owner_id, unit_id, version FROM change_log WHERE NOT deleted"
        )
    }
    total = 0
    for entity, sql in expected_keys.items():
        versions = dict(_rows(demo, f"SELECT id, version FROM {entity}"))
        for record_id, owner_id, unit_id in _rows(demo, sql):
            assert logged[(entity, record_id)] == (owner_id, unit_id, versions[record_id])
            total += 1
    assert len(logged) == total == _rows(demo, "SELECT COUNT(*) FROM change_log")[0][0]
    ((last_seq, highest, positions),) = _rows(
        demo,
        "SELECT last_seq, (SELECT MAX(seq) FROM change_log), (SELECT COUNT(DISTINCT seq) FROM change_log) FROM sync_state",
    )
    assert last_seq == highest == positions == total


def test_check_ins_are_in_the_past_when_today_is_not_given(tmp_path: Path) -> None:
    engine, _, stats = _seeded(tmp_path / "now.db", reps=2, months=1)
    now = datetime.now(UTC)
    ((latest_check_in, latest_review),) = _rows(engine, "SELECT MAX(check_in_at), MAX(reviewed_at) FROM visit")
    for latest in (latest_check_in, latest_review):
        assert latest is None or datetime.fromisoformat(latest).replace(tzinfo=UTC) < now
    assert stats["rows"]["customer"] == 2 * CUSTOMERS_PER_REP
    engine.dispose()


def test_a_demo_rep_signs_in_with_the_returned_password_and_seeding_again_adds_nothing(
    engine: Engine, app_client: TestClient[Any]
) -> None:
    settings = Settings(
        database_url=str(engine.url), data_dir=Path(str(engine.url.database)).parent, secret_key="s" * 32
    )
    assert database_is_empty(engine)
    stats: dict[str, Any] = {}
    sign_ins = seed_demo(settings, reps=3, months=1, today=TODAY, stats=stats)
    assert [role for role, _, _ in sign_ins] == ["admin", "manager", "lead", "rep", "rep"]
    assert not database_is_empty(engine)

    _, email, password = sign_ins[3]
    assert password == DEMO_PASSWORD
    response = app_client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text

    before = {name: _rows(engine, f"SELECT COUNT(*) FROM {name}")[0][0] for name in (*SYNCED, "change_log")}
    assert {name: before[name] for name in SYNCED} == {name: stats["rows"][name] for name in SYNCED}
    assert seed_demo(settings, reps=3, months=1, today=TODAY) == sign_ins
    after = {name: _rows(engine, f"SELECT COUNT(*) FROM {name}")[0][0] for name in before}
    assert after == before


def test_the_bootstrap_admin_keeps_their_account_and_the_company_takes_their_root_unit(tmp_path: Path) -> None:
    engine, settings = _empty_database(tmp_path / "boot.db")
    with Session(engine) as session:
        ensure_admin(session, "boss@example.com", "a-long-password")
        session.commit()
    assert database_is_empty(engine)

    seed_demo(settings, reps=2, months=1, today=TODAY)

    assert _rows(engine, "SELECT COUNT(*) FROM unit WHERE parent_id IS NULL") == [(1,)]
    ((root_name, root_version),) = _rows(
        engine,
        "SELECT n.name, n.version FROM unit n JOIN user u ON u.unit_id = n.id WHERE u.email = 'boss@example.com'",
    )
    assert (root_name, root_version) == ("远航工业", 2)
    ((logged, last_seq, highest, rows),) = _rows(
        engine,
        "SELECT (SELECT c.version FROM change_log c JOIN unit n ON n.id = c.record_id WHERE n.parent_id IS NULL), "
        "last_seq, (SELECT MAX(seq) FROM change_log), (SELECT COUNT(*) FROM change_log) FROM sync_state",
    )
    records = sum(_rows(engine, f"SELECT COUNT(*) FROM {name}")[0][0] for name in SYNCED)
    # The rename moved the root's row to a new position, as `record_change` would: one row per record.
    assert logged == 2 and last_seq == highest and rows == records
    engine.dispose()


def test_a_database_with_real_users_is_left_alone(tmp_path: Path) -> None:
    engine, settings = _empty_database(tmp_path / "real.db")
    seed_demo(settings, reps=2, months=1, today=TODAY)
    with engine.begin() as connection:
        connection.execute(text("UPDATE user SET email = 'someone@example.com' WHERE email LIKE 'rep01@%'"))
    sign_ins = seed_demo(settings, reps=2, months=1, today=TODAY)
    assert "rep01@demo.fieldgoal" not in [email for _, email, _ in sign_ins]
    assert _rows(engine, "SELECT COUNT(*) FROM user WHERE role = 'rep'") == [(2,)]
    engine.dispose()


def test_one_day_of_visits_has_no_overlapping_check_ins(demo: Engine) -> None:
    rows = _rows(demo, "SELECT rep_id, check_in_at, check_out_at FROM visit ORDER BY rep_id, check_in_at")
    for (rep, _, out), (next_rep, next_in, _) in pairwise(rows):
        if rep == next_rep:
            assert out <= next_in
    assert timedelta(minutes=20) <= datetime.fromisoformat(rows[0][2]) - datetime.fromisoformat(rows[0][1])


def test_a_bootstrap_admin_on_the_demo_address_is_not_offered_with_the_demo_password(tmp_path: Path) -> None:
    engine, settings = _empty_database(tmp_path / "same.db")
    with Session(engine) as session:
        ensure_admin(session, "admin@demo.fieldgoal", "their-own-password")
        session.commit()

    sign_ins = seed_demo(settings, reps=2, months=1, today=TODAY)

    assert [role for role, _, _ in sign_ins] == ["manager", "lead", "rep", "rep"]
    assert _rows(engine, "SELECT COUNT(*) FROM user WHERE role = 'admin'") == [(1,)]
    assert not _rows(
        engine, "SELECT id FROM goal WHERE created_by NOT IN (SELECT id FROM user WHERE role = 'admin')"
    )
    engine.dispose()


def test_rep_addresses_keep_two_digits_however_many_reps(tmp_path: Path) -> None:
    engine, sign_ins, _ = _seeded(tmp_path / "many.db", reps=101, months=1, today=date(2026, 11, 3))
    emails = {email for (email,) in _rows(engine, "SELECT email FROM user WHERE role = 'rep'")}
    assert {"rep01@demo.fieldgoal", "rep99@demo.fieldgoal", "rep101@demo.fieldgoal"} <= emails
    assert [email for _, email, _ in sign_ins][-2:] == ["rep01@demo.fieldgoal", "rep02@demo.fieldgoal"]
    engine.dispose()


def test_the_kpi_rows_are_ready_for_every_goal(demo: Engine) -> None:
    ((daily_visits, approved),) = _rows(
        demo, "SELECT (SELECT SUM(visits) FROM kpi_daily), (SELECT COUNT(*) FROM visit WHERE status = 'approved')"
    )
    assert daily_visits == approved
    ((daily_won, won),) = _rows(
        demo,
        "SELECT (SELECT SUM(won_amount) FROM kpi_daily), (SELECT SUM(amount) FROM opportunity WHERE stage = 'won')",
    )
    assert daily_won == won
    assert _rows(demo, "SELECT COUNT(*) FROM progress") == _rows(demo, "SELECT COUNT(*) FROM goal")
