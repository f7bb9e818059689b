"""Team channel tests: local robots of the three platforms, settings that allow them, and a worker on the
test's database and clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from backend.channels.models import ChannelMessage, TeamChannel
from backend.goals.models import Goal
from backend.notify.milestones import progress_changed
from backend.settings import Settings
from backend.worker import Worker
from tests.conftest import Api, Clock
from tests.kpi.helpers import actor, goal
from tests.support.robots import LocalRobots


@pytest.fixture
def robots(clock: Clock) -> Iterator[LocalRobots]:
    with LocalRobots(clock) as made:
        yield made


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with the local robots (127.0.0.1, any port) as the one allowed host."""
    return replace(settings, channel_allowed_hosts=("127.0.0.1",), channel_max_failures=3)


@pytest.fixture
def worker(engine: Engine, settings: Settings, clock: Clock) -> Iterator[Worker]:
    made = Worker(settings, engine=engine, clock=clock)
    yield made
    made.close()


def add_channel(api: Api, unit_id: str, **body: Any) -> dict[str, Any]:
    response = api.post(f"/api/v1/units/{unit_id}/channels", json=body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def milestone(engine: Engine, org: Any, clock: Clock, rep: str = "rep1", percent: int = 50) -> str:
    """A visits goal of 10 for the rep, whose attainment moves from 0 to `percent` %: the hook the KPI
    service calls when a figure moves. Returns the goal's id."""
    with Session(engine, expire_on_commit=False) as session:
        goal_id = goal(
            session,
            actor(session, org.user("eastmgr")),
            ("user", org.user(rep)),
            "visits",
            "2026-11",
            "10",
            clock.now,
        )
        found = session.get(Goal, goal_id)
        assert found is not None
        progress_changed(session, found, Decimal(0), Decimal(percent) / 100, clock.now)
        session.commit()
    return goal_id


def queue(engine: Engine) -> list[ChannelMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(ChannelMessage).order_by(ChannelMessage.created_at)))


def channel_row(engine: Engine, channel_id: str) -> TeamChannel:
    with Session(engine) as session:
        found = session.get(TeamChannel, channel_id)
        assert found is not None
        return found
