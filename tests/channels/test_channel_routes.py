"""Adding, listing, testing and removing a unit's robots: who may, what is refused, and what is never shown."""

from __future__ import annotations

import logging

import pytest

from backend.worker import Worker
from tests.channels.conftest import add_channel, queue
from tests.support.robots import LocalRobots

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def test_a_manager_adds_a_wecom_robot_and_sees_its_webhook_masked(org, sign_in, robots: LocalRobots):
    manager = sign_in(org.email("eastmgr"))
    url = robots.wecom(WECOM_KEY)

    made = add_channel(manager, org.unit("team1"), kind="wecom", url=url, include_descendants=False)

    assert made["kind"] == "wecom"
    assert made["url"] == f"{robots.base}/cgi-bin/webhook/send?key=****5aaa"
    assert (made["has_secret"], made["for_leads"], made["locale"], made["active"]) == (False, False, "zh-CN", True)
    assert WECOM_KEY not in str(made)
    listed = manager.get(f"/api/v1/units/{org.unit('team1')}/channels").json()
    assert [c["id"] for c in listed] == [made["id"]]
    assert WECOM_KEY not in str(listed)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (
            {"kind": "wecom", "url": "https://evil.example.com/cgi-bin/webhook/send?key=k"},
            "url",
            "endpoint_not_allowed",
        ),
        (
            {"kind": "wecom", "url": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
            "url",
            "endpoint_not_https",
        ),
        ({"kind": "wecom", "url": "ROBOT/cgi-bin/webhook/send"}, "url", "webhook_key_missing"),
        ({"kind": "dingtalk", "url": "ROBOT/robot/send?access_token="}, "url", "webhook_key_missing"),
        ({"kind": "feishu", "url": "ROBOT/open-apis/bot/v2/hook/"}, "url", "webhook_key_missing"),
        ({"kind": "dingtalk", "url": "ROBOT/cgi-bin/webhook/send?key=k"}, "url", "webhook_key_missing"),
        ({"kind": "slack", "url": "ROBOT/cgi-bin/webhook/send?key=k"}, "kind", "invalid_choice"),
        ({"kind": "wecom", "url": "ROBOT/cgi-bin/webhook/send?key=k", "secret": "SEC1"}, "secret", "invalid"),
        ({"kind": "wecom"}, "url", "required"),
        (
            {"kind": "wecom", "url": "ROBOT/cgi-bin/webhook/send?key=k", "for_leads": "yes"},
            "for_leads",
            "wrong_type",
        ),
    ],
)
def test_a_bad_channel_is_refused_naming_the_field(org, sign_in, robots: LocalRobots, body, field, code):
    admin = sign_in(org.email("admin"))
    if "url" in body:
        body = body | {"url": body["url"].replace("ROBOT", robots.base)}

    response = admin.post(f"/api/v1/units/{org.unit('team1')}/channels", json=body)

    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert admin.get(f"/api/v1/units/{org.unit('team1')}/channels").json() == []


def test_the_official_hosts_are_the_default_allow_list():
    from backend.settings import Settings

    assert Settings().channel_allowed_hosts == ("qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn")
    assert Settings.from_env({"FIELDGOAL_CHANNEL_ALLOWED_HOSTS": "a.example.com, b.example.com:8443"}, None)
    from backend.channels.webhooks import webhook_problem

    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    assert webhook_problem("dingtalk", url, Settings().channel_allowed_hosts) is None


def test_only_admins_and_the_units_managers_manage_its_channels(org, sign_in, robots: LocalRobots):
    team1 = org.unit("team1")
    made = add_channel(sign_in(org.email("admin")), team1, kind="wecom", url=robots.wecom(WECOM_KEY))
    body = {"kind": "wecom", "url": robots.wecom("other-key")}

    lead, rep = sign_in(org.email("lead1")), sign_in(org.email("rep1"))
    boss = sign_in(org.email("boss"))

    assert lead.post(f"/api/v1/units/{team1}/channels", json=body).status_code == 403
    assert lead.get(f"/api/v1/units/{team1}/channels").status_code == 403
    assert rep.post(f"/api/v1/units/{team1}/channels", json=body).status_code == 403
    assert rep.post(f"/api/v1/units/{team1}/channels/{made['id']}/test").status_code == 403
    # The company's manager manages every unit below; the east manager not the south's.
    assert boss.get(f"/api/v1/units/{team1}/channels").status_code == 200
    east = sign_in(org.email("eastmgr"))
    assert east.get(f"/api/v1/units/{org.unit('team3')}/channels").status_code == 404
    assert east.post(f"/api/v1/units/{org.unit('team3')}/channels", json=body).status_code == 404
    # Another unit's channel, named under a unit the caller manages: not found.
    assert east.post(f"/api/v1/units/{org.unit('team2')}/channels/{made['id']}/test").status_code == 404
    assert (
        east.client.delete(
            f"/api/v1/units/{org.unit('team2')}/channels/{made['id']}", headers=east.headers()
        ).status_code
        == 404
    )


def test_a_test_message_reaches_the_robot_and_a_removed_channel_sends_nothing(
    org, engine, sign_in, robots: LocalRobots, worker: Worker
):
    manager = sign_in(org.email("eastmgr"))
    made = add_channel(manager, org.unit("team1"), kind="wecom", url=robots.wecom(WECOM_KEY))

    response = manager.post(f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}/test")
    assert response.status_code == 202, response.text
    worker.deliver()

    [message] = robots.messages("wecom", WECOM_KEY)
    assert "Fieldgoal 测试消息" in message.text and "team1" in message.text
    manager.post(f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}/test")
    gone = manager.client.delete(
        f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}", headers=manager.headers()
    )
    assert gone.status_code == 204
    worker.deliver()
    assert len(robots.messages("wecom", WECOM_KEY)) == 1
    assert queue(engine) == []
    assert manager.get(f"/api/v1/units/{org.unit('team1')}/channels").json() == []


def test_secrets_and_webhook_keys_never_appear_in_an_answer_or_a_log_line(
    org, sign_in, robots: LocalRobots, worker: Worker, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    secret, token, hook = "SECa1b2c3d4e5f6g7h8i9", "dingtoken0123456789abcdef", "feishuhook-0123456789abcdef"
    admin = sign_in(org.email("admin"))
    answers = [
        add_channel(admin, org.unit("team1"), kind="dingtalk", url=robots.dingtalk(token, secret), secret=secret),
        # The Feishu robot is registered with another secret: its refusals are logged.
        add_channel(
            admin, org.unit("team1"), kind="feishu", url=robots.feishu(hook, "other-secret"), secret=secret
        ),
    ]
    for made in list(answers):
        answers.append(admin.post(f"/api/v1/units/{org.unit('team1')}/channels/{made['id']}/test").json())
    answers.append(admin.get(f"/api/v1/units/{org.unit('team1')}/channels").json())
    worker.deliver()

    assert len(robots.messages("dingtalk", token)) == 1
    assert ("feishu", hook, 19021) in robots.refused
    everything = str(answers) + caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "channel" in caplog.text  # the refusal was logged...
    for leak in (secret, token, hook):
        assert leak not in everything  # ...without the secret or the key


def test_everyone_sees_which_groups_hear_about_their_team_but_reps_not_the_leads_groups(
    org, sign_in, robots: LocalRobots
):
    boss = sign_in(org.email("boss"))
    add_channel(boss, org.unit("team1"), kind="wecom", url=robots.wecom("team"))
    add_channel(boss, org.unit("team1"), kind="dingtalk", url=robots.dingtalk("leads"), for_leads=True)
    add_channel(boss, org.unit("east"), kind="feishu", url=robots.feishu("east"), include_descendants=True)
    add_channel(boss, org.unit("east"), kind="wecom", url=robots.wecom("east-only"))

    rep = sign_in(org.email("rep1")).get("/api/v1/me/channels").json()
    lead = sign_in(org.email("lead1")).get("/api/v1/me/channels").json()

    assert sorted((c["kind"], c["unit_name"]) for c in rep) == [("feishu", "east"), ("wecom", "team1")]
    assert sorted((c["kind"], c["for_leads"]) for c in lead) == [
        ("dingtalk", True),
        ("feishu", False),
        ("wecom", False),
    ]
    assert "url" not in rep[0]
