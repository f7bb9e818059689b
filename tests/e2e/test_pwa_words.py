"""What a rep reads, in words: Home, Goals and Me for a rep with a sync conflict, a refused visit, a 100 % month
badge and a goal of each metric, at 360 px in Chinese and in English. No screen shows a code (snake_case),
`undefined`, `NaN`, `null`, a count with a decimal point or a percentage with more than one decimal; one figure of
each screen is the API's, formatted here, never with the app's formatter."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_leaderboard import won
from tests.e2e.test_pwa_screens import shot
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

TARGETS = {"revenue": "10000", "visits": "20", "conversion": "0.3", "satisfaction": "4.5", "new_customers": "3"}
COUNTS = ("visits", "new_customers")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
RAW = re.compile(r"\b(undefined|NaN|null)\b")
LONG_PERCENT = re.compile(r"\d\.\d{2,}%")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WORDS = {
    "zh-CN": {
        "rule": "这次拜访已审批，满意度的修改已作为变更申请交给组长",
        "values": "你的：2 · 服务器上的：4",
        "badge": "{y}年{m}月 目标达成 100%",
        "pending": "另有 {0} 条待审批",
        "home": "其中 {0} 条还未通过审批",
        "rate": "目标 {0}",
        "tab": "{m}月",
        "standing": "达成率 {0} · 时间进度 {1}",
        "refused": "拜访 · 新建",
        "reason": "客户不存在，或已不由你负责",
        "title": "拜访 · 满意度",
    },
    "en": {
        "rule": "This visit is approved, so your change to satisfaction went to your lead as an amendment request",
        "values": "yours: 2 · on the server: 4",
        "badge": "{mon} {y} · target 100% reached",
        "pending": "{0} more waiting for approval",
        "home": "{0} of them not approved;",
        "rate": "target {0}",
        "tab": "{mon}",
        "standing": "{0} attained · {1} of the time elapsed",
        "refused": "Visit · New",
        "reason": "The customer does not exist or is no longer yours",
        "title": "Visit · Satisfaction",
    },
}


def pct1(fraction: float) -> str:
    """A fraction with one decimal, half away from zero (0.5 → 50.0%)."""
    return f"{(Decimal(str(fraction)) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def clean(text: str, where: str) -> None:
    """No code, no raw value, no percentage beyond one decimal."""
    assert not SNAKE.search(text), (where, SNAKE.search(text), text)
    assert not RAW.search(text), (where, text)
    assert not LONG_PERCENT.search(text), (where, text)


def whole_counts(text: str, where: str) -> None:
    """A count's card: once percentages (and gaps in percentage points) are set aside, no number has a decimal
    point."""
    rest = re.sub(r"\d+(\.\d)?(%| 个百分点| points)", "", text)
    assert not re.search(r"\d\.\d", rest), (where, text)


def seed(live: Live, month: str) -> tuple[list[str], str]:
    """rep2's goals of each metric this month, a won and a lost deal, three visits (one approved, then edited by
    the rep: a conflict and an amendment). Returns the visits' ids and a customer for a refused visit."""
    lead = live.api("lead1")
    for metric, target in TARGETS.items():
        body = {"subject_type": "user", "subject_id": live.org.user("rep2"), "metric": metric, "period": month}
        response = lead.post("/api/v1/goals", json=body | {"target": target})
        assert response.status_code == 201, response.text
    store = live.add_customer("rep2", "华联超市")
    won(live, "rep2", store, "12000")
    lost = live.api("rep2").post("/api/v1/opportunities", json={"customer_id": store, "amount": "5000"})
    assert lost.status_code == 201, lost.text
    moved = live.api("rep2").post(
        f"/api/v1/opportunities/{lost.json()['id']}/advance",
        json={"stage": "lost", "at": today_in().replace(microsecond=0).isoformat(), "reason": "价格太高"},
    )
    assert moved.status_code == 200, moved.text

    rep = SyncClient(live.api("rep2"))
    ids = [str(uuid.uuid4()) for _ in range(3)]
    now = today_in().replace(microsecond=0)
    for index, visit_id in enumerate(ids):
        fields = {
            "customer_id": store,
            "check_in_at": (now - timedelta(seconds=10 * (index + 1))).isoformat(),
            "outcome": "interested",
            "satisfaction": 4,
            "notes": f"第 {index + 1} 次拜访",
        }
        rep.queue_mutation("visit", "create", visit_id, fields=fields)
        rep.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])
    ((version,),) = live.rows("SELECT version FROM visit WHERE id = :id", id=ids[0])
    reviewed = lead.post(
        "/api/v1/visits/review", json={"decisions": [{"id": ids[0], "base_version": version, "approve": True}]}
    )
    assert reviewed.status_code == 200, reviewed.text
    ((version,),) = live.rows("SELECT version FROM visit WHERE id = :id", id=ids[0])
    rep.queue_mutation("visit", "update", ids[0], base_version=version, fields={"satisfaction": 2})
    (body,) = rep.sync()
    (receipt,) = body["results"]
    assert [c["rule"] for c in receipt["conflicts"]] == ["approved_is_locked"], receipt
    # Badges are evaluated when the rep reads them: 12,000 of 10,000 this month is a 100 % month.
    badges = live.api("rep2").get("/api/v1/badges").json()
    assert any(b["kind"] == "month_100" and b["key"] == month for b in badges), badges
    return ids, live.add_customer("rep2", "转走的客户")


def refuse_a_visit(live: Live, phone: Phone, customer: str) -> None:
    """Logged offline for a customer who then goes to a colleague: the server refuses it."""
    phone.wait_offline_ready()
    phone.offline()
    phone.log_visit(customer, notes="客户已转走")
    moved = live.api("lead1").patch(f"/api/v1/customers/{customer}", json={"owner_id": live.org.user("rep1")})
    assert moved.status_code == 200, moved.text
    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    expect(phone.at("rejected-item")).to_have_count(1)


def read_screens(live: Live, phone: Phone, locale: str, month: str, waiting: int) -> None:
    words = WORDS[locale]
    year, number = int(month[:4]), int(month[5:])
    progress = {p["metric"]: p for p in live.api("rep2").get("/api/v1/progress", params={"period": month}).json()}
    assert set(progress) == set(TARGETS)

    phone.go("#/")
    home = phone.at("home")
    expect(home).to_be_visible()
    refused = phone.at("rejected-item")
    expect(refused.locator("strong")).to_have_text(words["refused"])
    expect(refused.locator(".reason")).to_have_text(words["reason"])
    expect(phone.at("month-not-approved")).to_contain_text(words["home"].format(waiting))
    shot(phone, f"words-home-{locale}")
    clean(home.inner_text(), "home")
    # Fixing the refused visit: its form says why it was refused.
    refused.locator(hook("rejected-fix")).click()
    expect(phone.at("visit-fix-reason")).to_have_text(words["reason"])
    shot(phone, f"words-visit-fix-{locale}")
    clean(phone.at("visit-form").inner_text(), "visit form")
    phone.go("#/")
    expect(phone.at("rejected-item")).to_have_count(1)

    phone.go("#/goals")
    expect(phone.at("goal-progress")).to_have_count(len(TARGETS))
    tab = phone.at("goal-period", period=month)
    expect(tab).to_have_text(words["tab"].format(m=number, mon=MONTHS[number - 1]))
    box = tab.bounding_box()
    assert box is not None and box["width"] < 100, box
    conversion = phone.at("goal-progress", metric="conversion")
    expect(conversion.locator(hook("goal-figure"))).to_have_text(pct1(progress["conversion"]["actual"]))
    expect(conversion).to_contain_text(words["rate"].format(pct1(float(TARGETS["conversion"]))))
    visits = phone.at("goal-progress", metric="visits")
    actual = int(Decimal(progress["visits"]["actual"]))
    expect(visits).to_contain_text(f"{actual} / {int(Decimal(TARGETS['visits']))}")
    expect(visits.locator(hook("goal-pending"))).to_contain_text(words["pending"].format(waiting))
    # Attainment and the time elapsed (working days gone by) side by side, each named.
    row = progress["visits"]
    gone = (row["working_days_total"] - row["working_days_left"]) / row["working_days_total"]
    expect(visits.locator(hook("goal-standing"))).to_contain_text(
        words["standing"].format(pct1(row["attainment"]), pct1(gone))
    )
    for metric in COUNTS:
        whole_counts(phone.at("goal-progress", metric=metric).inner_text(), metric)
    shot(phone, f"words-goals-{locale}")
    clean(phone.page.locator("main, #app, body").first.inner_text(), "goals")

    phone.go("#/me")
    me = phone.at("me")
    expect(me).to_be_visible()
    badge = phone.at("badge-item", kind="month_100")
    expect(badge.locator("strong")).to_contain_text(
        words["badge"].format(y=year, m=number, mon=MONTHS[number - 1])
    )
    conflict = phone.at("conflict-item")
    expect(conflict.locator("strong")).to_have_text(words["title"])
    expect(conflict.locator(hook("conflict-rule"))).to_have_text(words["rule"])
    expect(conflict).to_contain_text(words["values"])
    badge.scroll_into_view_if_needed()
    shot(phone, f"words-badge-{locale}")
    conflict.scroll_into_view_if_needed()
    shot(phone, f"words-me-{locale}")
    clean(me.inner_text(), "me")


def test_a_rep_reads_words_and_figures_not_codes(live: Live, new_context: Any) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    month = today_in().strftime("%Y-%m")
    ids, elsewhere = seed(live, month)
    # rep2 reads Chinese.
    phone = Phone(new_context()).open().sign_in(live.org.email("rep2"))
    refuse_a_visit(live, phone, elsewhere)
    waiting = len(ids) - 1
    read_screens(live, phone, "zh-CN", month, waiting)
    phone.at("lang-switch").click()
    expect(phone.at("lang-switch")).to_have_text("中文")
    read_screens(live, phone, "en", month, waiting)
    # On a laptop the same words, in the width the screen takes.
    phone.page.set_viewport_size({"width": 1280, "height": 800})
    phone.go("#/goals")
    expect(phone.at("goal-progress", metric="visits").locator(hook("goal-pending"))).to_be_visible()
    shot(phone, "words-goals-en-1280")
    assert phone.errors == []
