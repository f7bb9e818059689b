"""The milestone thresholds are settings (FIELDGOAL_MILESTONES), applied by the KPI hook inside a request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.settings import Settings
from tests.notify.test_milestones import _visits_goal
from tests.sync.conftest import customer_and_visit


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, milestones=(30, 60))


def test_the_thresholds_are_settings_and_apply_to_an_approval_through_sync(org, engine, clock, sign_in, phone_for):
    _visits_goal(engine, org, clock, ("user", org.user("rep1")), "3")
    rep, lead = phone_for(sign_in(org.email("rep1"))), phone_for(sign_in(org.email("lead1")))
    _, visit_id = customer_and_visit(rep, submit=True)
    rep.sync()
    lead.sync()

    lead.queue_mutation(
        "visit", "action", visit_id, name="approve", base_version=lead.versions[("visit", visit_id)]
    )
    lead.sync()
    rep.sync()

    # 1 of 3 is 33 %: past the configured 30 %, and no default threshold exists here.
    assert [n["title"] for n in rep.of("notification").values() if n["kind"] == "milestone"] == [
        "30 % of the visits goal"
    ]
