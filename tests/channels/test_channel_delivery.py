"""What reaches the robots, once, in the platform's format, and what the server does with their answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend.channels import service as channels
from backend.coaching.models import ImprovementPlan
from backend.org.models import User
from backend.settings import Settings
from backend.worker import Worker
from tests.channels.conftest import add_channel, channel_row, milestone, queue
from tests.conftest import Clock
from tests.notify.conftest import inbox_of
from tests.support.robots import LocalRobots


def test_a_reps_milestone_reaches_the_teams_wecom_robot_once_with_name_and_figure(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    manager = sign_in(org.email("eastmgr"))
    add_channel(manager, org.unit("team1"), kind="wecom", url=robots.wecom("team1-key"))
    add_channel(manager, org.unit("team2"), kind="wecom", url=robots.wecom("team2-key"))

    goal_id = milestone(engine, org, clock, "rep1", 50)
    worker.run_once()
    worker.run_once()
    with Session(engine) as session:  # the same event announced again: still one message
        channels.milestone_reached(
            session,
            session.get(User, org.user("rep1")),
            goal_id,
            50,
            {"metric": "x", "period": "p", "target": "1"},
            clock.now,
        )
        session.commit()
    worker.deliver()

    [message] = robots.messages("wecom", "team1-key")
    assert message.body["msgtype"] == "markdown"
    assert message.text == "**🎯 Rep1 目标达成 50%**\n**Rep1** 2026-11的拜访目标已完成 **50%**（目标 10）。"
    assert robots.messages("wecom", "team2-key") == []


def test_units_above_hear_milestones_only_through_channels_that_include_descendants(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    boss = sign_in(org.email("boss"))
    add_channel(
        boss, org.unit("east"), kind="wecom", url=robots.wecom("east-all"), include_descendants=True, locale="en"
    )
    add_channel(boss, org.unit("east"), kind="wecom", url=robots.wecom("east-own"))
    add_channel(boss, org.unit("south"), kind="wecom", url=robots.wecom("south-all"), include_descendants=True)

    milestone(engine, org, clock, "rep1", 80)
    worker.deliver()

    [message] = robots.messages("wecom", "east-all")
    assert "**Rep1** has reached **80 %** of the visits target" in message.text  # the channel's language
    assert robots.messages("wecom", "east-own") == robots.messages("wecom", "south-all") == []


def test_dingtalk_and_feishu_messages_are_signed_as_the_platforms_check(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    admin = sign_in(org.email("admin"))
    ding = robots.dingtalk("ding-token", secret="SECding", keyword="业绩")
    fei = robots.feishu("fei-hook", secret="fei-secret", keyword="业绩")
    add_channel(admin, org.unit("team1"), kind="dingtalk", url=ding, secret="SECding", keyword="业绩")
    add_channel(admin, org.unit("team1"), kind="feishu", url=fei, secret="fei-secret", keyword="业绩")

    milestone(engine, org, clock, "rep1", 100)
    worker.deliver()

    assert robots.refused == []
    [dingtalk] = robots.messages("dingtalk", "ding-token")
    assert dingtalk.body["markdown"]["title"] == "🎯 Rep1 目标达成 100%"
    assert dingtalk.text.endswith("业绩")  # the keyword the robot asks for was added
    [feishu] = robots.messages("feishu", "fei-hook")
    assert feishu.body["timestamp"] == str(int(clock.now.timestamp()))
    assert "目标达成 100%" in feishu.text


def test_a_dingtalk_signature_with_the_wrong_secret_is_refused_and_the_channel_stopped_after_the_threshold(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker, settings: Settings
):
    admin = sign_in(org.email("admin"))
    url = robots.dingtalk("ding-token", secret="the-right-secret")
    made = add_channel(admin, org.unit("team1"), kind="dingtalk", url=url, secret="a-wrong-secret")
    for _ in range(settings.channel_max_failures):
        admin.post(f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}/test")
        worker.deliver()

    assert robots.refused == [("dingtalk", "ding-token", 310000)] * settings.channel_max_failures
    assert robots.received == []
    stopped = channel_row(engine, made["id"])
    assert stopped.disabled_at == clock.now and stopped.failures == settings.channel_max_failures
    assert {m.status for m in queue(engine)} == {"failed"}
    shown = admin.get(f"/api/v1/units/{org.unit('team1')}/channels").json()[0]
    assert (shown["active"], shown["failures"]) == (False, 3)
    # The unit's managers (above it) and the admins are told; the lead and the reps are not.
    for name in ("admin", "boss", "eastmgr"):
        [notice] = [n for n in inbox_of(engine, org.user(name)) if n.kind == "channel_disabled"]
        assert "failed 3 times in a row" in notice.body and "ding-token" not in notice.body
    assert [n for n in inbox_of(engine, org.user("lead1")) if n.kind == "channel_disabled"] == []
    # A stopped channel hears nothing more.
    milestone(engine, org, clock, "rep1", 50)
    worker.deliver()
    assert len(robots.refused) == 3 and queue(engine)[-1].kind == "test"


def test_a_success_resets_the_failures_in_a_row(org, engine, sign_in, robots: LocalRobots, worker: Worker):
    admin = sign_in(org.email("admin"))
    made = add_channel(admin, org.unit("team1"), kind="wecom", url=robots.wecom("k1"))
    robots.answer_next("wecom", "k1", 40008, 40008)
    for _ in range(4):
        admin.post(f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}/test")
        worker.deliver()
    row = channel_row(engine, made["id"])
    assert (row.disabled_at, row.failures) == (None, 0)
    assert [m.status for m in queue(engine)] == ["failed", "failed", "sent", "sent"]


def test_a_revoked_key_fails_the_message(org, engine, sign_in, robots: LocalRobots, worker: Worker):
    admin = sign_in(org.email("admin"))
    made = add_channel(
        admin, org.unit("team1"), kind="wecom", url=f"{robots.base}/cgi-bin/webhook/send?key=removed"
    )
    admin.post(f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}/test")
    worker.deliver()
    [message] = queue(engine)
    assert (message.status, message.last_error) == ("failed", "errcode=93000 invalid webhook url")
    assert channel_row(engine, made["id"]).failures == 1


def test_a_rate_limited_answer_waits_a_minute_without_counting_as_a_failure(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    admin = sign_in(org.email("admin"))
    made = add_channel(admin, org.unit("team1"), kind="dingtalk", url=robots.dingtalk("t"))
    robots.answer_next("dingtalk", "t", 130101)
    admin.post(f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}/test")
    worker.deliver()
    [message] = queue(engine)
    assert (message.status, message.attempts) == ("pending", 0)
    assert channel_row(engine, made["id"]).failures == 0
    clock.advance(seconds=30)
    worker.deliver()
    assert robots.received == []
    clock.advance(seconds=31)
    worker.deliver()
    assert len(robots.messages("dingtalk", "t")) == 1


def test_quiet_hours_in_the_units_zone_hold_messages_until_morning(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    add_channel(sign_in(org.email("admin")), org.unit("team1"), kind="wecom", url=robots.wecom("k"))
    clock.now = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai

    milestone(engine, org, clock, "rep1", 50)
    worker.deliver()
    assert robots.received == []
    [held] = queue(engine)
    assert held.due_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai

    clock.now = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    worker.deliver()
    assert robots.received == []
    clock.now = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    worker.deliver()
    assert len(robots.messages("wecom", "k")) == 1


def test_over_the_robots_rate_limit_what_waits_is_merged_into_one_message(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    manager = sign_in(org.email("eastmgr"))
    url = robots.wecom("busy", per_minute=20)  # the robot itself refuses a 21st message in a minute
    add_channel(manager, org.unit("team1"), kind="wecom", url=url)
    with Session(engine) as session:
        rep = session.get(User, org.user("rep1"))
        for n in range(18):
            channels.badge_earned(session, rep, f"b{n}", {"zh-CN": f"徽章{n}"}, clock.now)
        session.commit()
    worker.deliver()
    assert len(robots.messages("wecom", "busy")) == 18  # within the limit: one message each

    with Session(engine) as session:
        rep = session.get(User, org.user("rep1"))
        for n in range(18, 25):
            channels.badge_earned(session, rep, f"b{n}", {"zh-CN": f"徽章{n}"}, clock.now)
        session.commit()
    worker.deliver()

    # Two more fit this minute, seven wait: the seven go as one message, and the robot refused nothing.
    assert robots.refused == []
    merged = robots.messages("wecom", "busy")[18:]
    assert len(merged) == 1
    assert merged[0].text.startswith("**Fieldgoal：7 条新消息**")
    assert all(f"徽章{n}" in merged[0].text for n in range(18, 25))
    statuses = sorted(m.status for m in queue(engine))
    assert statuses.count("merged") == 6 and statuses.count("sent") == 19


def test_a_full_minute_makes_messages_wait_for_the_next(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    add_channel(sign_in(org.email("admin")), org.unit("team1"), kind="wecom", url=robots.wecom("k", per_minute=20))
    with Session(engine) as session:
        rep = session.get(User, org.user("rep1"))
        for n in range(20):
            channels.badge_earned(session, rep, f"b{n}", {"zh-CN": f"徽章{n}"}, clock.now)
        session.commit()
    worker.deliver()
    clock.advance(seconds=10)
    with Session(engine) as session:
        channels.badge_earned(session, session.get(User, org.user("rep1")), "late", {"zh-CN": "迟到"}, clock.now)
        session.commit()
    worker.deliver()
    assert len(robots.received) == 20 and robots.refused == []
    clock.advance(seconds=51)
    worker.deliver()
    assert len(robots.received) == 21 and "迟到" in robots.received[-1].text


def test_the_leads_digest_goes_only_to_channels_for_leads_and_hides_reps_on_a_plan(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    admin = sign_in(org.email("admin"))
    add_channel(admin, org.unit("team1"), kind="wecom", url=robots.wecom("leads"), for_leads=True)
    add_channel(admin, org.unit("team1"), kind="wecom", url=robots.wecom("everyone"))
    with Session(engine) as session:
        rep1, rep2 = session.get(User, org.user("rep1")), session.get(User, org.user("rep2"))
        session.add(
            ImprovementPlan(
                rep_id=rep2.id,
                opened_by=org.user("lead1"),
                starts_on=date(2026, 11, 1),
                ends_on=date(2026, 12, 31),
                created_at=clock.now,
                updated_at=clock.now,
            )
        )
        session.flush()
        pace = {"metric": {"zh-CN": "拜访"}, "pace": 40, "needed": "3"}
        channels.team_morning(session, rep1.unit_id, clock.now.date(), 4, [(rep1, pace), (rep2, pace)], clock.now)
        session.commit()
    worker.deliver()

    [digest] = robots.messages("wecom", "leads")
    assert "待审批拜访：**4** 条" in digest.text and "Rep1：拜访 为应有进度的 40%" in digest.text
    assert "Rep2" not in digest.text  # on an improvement plan, hidden by the privacy setting
    assert robots.messages("wecom", "everyone") == []


def test_rotating_the_secret_key_keeps_channels_readable_only_with_the_previous_key_listed(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, settings: Settings
):
    made = add_channel(sign_in(org.email("admin")), org.unit("team1"), kind="wecom", url=robots.wecom("k"))
    milestone(engine, org, clock, "rep1", 50)

    rotated = replace(settings, secret_key="n" * 32, previous_secret_keys=(settings.secret_key,))
    with _worker(rotated, engine, clock) as w:
        w.deliver()
    assert len(robots.messages("wecom", "k")) == 1

    milestone(engine, org, clock, "rep2", 50)
    with _worker(replace(settings, secret_key="n" * 32), engine, clock) as w:
        w.deliver()
    assert len(robots.messages("wecom", "k")) == 1
    row = channel_row(engine, made["id"])
    assert row.disabled_at is not None and "secret unreadable" in (row.disabled_reason or "")
    assert [n for n in inbox_of(engine, org.user("admin")) if n.kind == "channel_disabled"]


@contextmanager
def _worker(settings: Settings, engine: Engine, clock: Clock) -> Iterator[Worker]:
    made = Worker(settings, engine=engine, clock=clock)
    try:
        yield made
    finally:
        made.close()


def test_in_the_leads_morning_the_teams_digest_reaches_the_leads_group(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    from tests.kpi.helpers import actor, customer, goal, visit

    add_channel(
        sign_in(org.email("eastmgr")), org.unit("team1"), kind="wecom", url=robots.wecom("leads"), for_leads=True
    )
    with Session(engine, expire_on_commit=False) as session:
        rep, lead = actor(session, org.user("rep1")), actor(session, org.user("lead1"))
        goal(
            session,
            actor(session, org.user("eastmgr")),
            ("user", org.user("rep1")),
            "visits",
            "2026-11",
            "60",
            clock.now,
        )
        shop = customer(session, rep, clock.now)
        visit(session, rep, lead, shop, "2026-11-19T10:00:00+08:00", None, clock.now, approve=None)
        session.commit()

    worker.run_once()  # 10:00 in Shanghai, a working day: the lead's and the reps' morning
    worker.run_once()

    [digest] = robots.messages("wecom", "leads")
    assert f"☀️ team1 团队早报 {clock.now.astimezone(ZoneInfo('Asia/Shanghai')).date().isoformat()}" in digest.text
    assert "待审批拜访：**1** 条" in digest.text
    assert "Rep1：拜访 为应有进度的 0%" in digest.text  # behind pace on 60 visits, nothing approved yet


def test_a_feishu_bot_gets_at_most_five_messages_a_second(
    org, engine, clock: Clock, sign_in, robots: LocalRobots, worker: Worker
):
    add_channel(sign_in(org.email("admin")), org.unit("team1"), kind="feishu", url=robots.feishu("bot"))
    with Session(engine) as session:
        rep = session.get(User, org.user("rep1"))
        for n in range(7):
            channels.badge_earned(session, rep, f"b{n}", {"zh-CN": f"徽章{n}"}, clock.now)
        session.commit()

    worker.deliver()
    assert len(robots.messages("feishu", "bot")) == 5
    clock.advance(seconds=1)
    worker.deliver()
    assert len(robots.messages("feishu", "bot")) == 7  # one by one, none merged (within 100 a minute)
    assert {m.status for m in queue(engine)} == {"sent"}
