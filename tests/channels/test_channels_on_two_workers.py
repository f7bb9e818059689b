"""Two worker processes (on the real clock, without quiet hours) on one PostgreSQL database post each
milestone to each WeCom robot exactly once (FOR UPDATE SKIP LOCKED), and between them post every one."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session
from sqlmodel import select

from backend.channels.models import ChannelMessage
from backend.channels.service import add_channel
from backend.db import utcnow
from backend.goals.models import Goal
from backend.models import metadata
from backend.notify.milestones import progress_changed
from backend.settings import Settings
from backend.sync.changelog import ensure_state
from tests.conftest import PG_URL, need
from tests.factories import build_org
from tests.kpi.helpers import actor, goal
from tests.support.robots import LocalRobots
from tests.support.server import TestDatabase
from tests.support.worker_process import run_two_workers

ROBOTS = 30
MILESTONES = 4  # four goals of the rep cross 50 %: 120 messages, 4 a robot (under WeCom's 20 a minute)
SECRET_KEY = "k" * 40


def test_two_workers_on_postgresql_post_a_milestone_to_a_wecom_robot_exactly_once(tmp_path: Path):
    need(PG_URL is not None, "PostgreSQL is not configured (set FIELDGOAL_TEST_DATABASE_URL)")
    assert PG_URL is not None
    settings = Settings(secret_key=SECRET_KEY, channel_allowed_hosts=("127.0.0.1",), data_dir=tmp_path / "data")
    with TestDatabase.postgres(PG_URL) as db, LocalRobots(utcnow) as robots:
        engine = db.engine
        metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            ensure_state(session)
            org = build_org(session)
            admin = actor(session, org.user("admin"))
            for n in range(ROBOTS):
                url = robots.wecom(f"robot-{n}")
                add_channel(session, admin, settings, org.unit("team1"), {"kind": "wecom", "url": url}, utcnow())
            for metric in ("visits", "revenue", "new_customers"):
                for period in ("2026-11", "2026-Q4")[: 2 if metric == "visits" else 1]:
                    goal_id = goal(
                        session,
                        actor(session, org.user("eastmgr")),
                        ("user", org.user("rep1")),
                        metric,
                        period,
                        "10",
                        utcnow(),
                    )
                    found = session.get(Goal, goal_id)
                    assert found is not None
                    progress_changed(session, found, Decimal(0), Decimal("0.5"), utcnow())
            session.commit()
            queued = list(session.scalars(select(ChannelMessage)))
        assert len(queued) == ROBOTS * MILESTONES

        taken = run_two_workers(
            "deliver_to_channels",
            db.url,
            tmp_path / "data",
            tmp_path / "go",
            secret_key=SECRET_KEY,
            channel_allowed_hosts=("127.0.0.1",),
        )
        received = Counter((r.key, r.text) for r in robots.received)
        assert len(received) == ROBOTS * MILESTONES  # every milestone reached every robot...
        assert max(received.values()) == 1  # ...once
        assert robots.refused == []
        assert sum(taken) == ROBOTS * MILESTONES
        assert min(taken) > 0, taken  # both really worked the queue
        with Session(engine) as session:
            assert {m.status for m in session.scalars(select(ChannelMessage))} == {"sent"}
        db.close_engine()
