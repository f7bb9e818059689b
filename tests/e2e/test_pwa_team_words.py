"""A walk over every screen a lead, a manager and an admin reach, on a small demo company (backend/demo.py),
in Chinese and in English, at 360 px and at 1280 px: each screen, once its figures are drawn, shows no code
(snake_case), no `undefined`, `NaN` or `null`, no raw ISO timestamp, no period as the API keys it (2026-11 for
2026年11月) and no missing translation (i18n.js's `t()` shows the key itself, e.g. `audit.title`). Each role
also opens the detail screens those lead to, by the links on screen (`details`): a customer's page, a visit,
a unit's home, a rep's review and improvement plan, the goal tree's nodes down to a rep, and a report's
drill-down to a rep's visits; in Chinese on a phone and in English at a laptop, to keep the walk's time down.
Each screen's problems are gathered, so one run names them all."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import text

from backend.demo import DEMO_PASSWORD, demo_sign_ins, seed_demo
from backend.settings import Settings
from tests.e2e.live import ROOT, SCREENS, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_screens import shot
from tests.support.server import ServerPool, ServerProcess, TestDatabase
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 360, "height": 740}, "laptop": {"width": 1280, "height": 800}}
EVERYONE = ["#/", "#/customers", "#/goals", "#/inbox", "#/me", "#/leaderboard"]
LEADS = [*EVERYONE, "#/goals/tree", "#/approvals", "#/reviews", "#/plans", "#/desk", "#/reports"]
MANAGERS = [*LEADS, "#/dimensions", "#/payplans", "#/audit", "#/channels"]
ROUTES = {"lead": LEADS, "manager": MANAGERS, "admin": [*MANAGERS, "#/calendar"]}
# Screens that show figures on the demo's data: the walk waits for a digit on them.
FIGURES = {"#/", "#/goals", "#/goals/tree", "#/leaderboard"}

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
RAW = re.compile(r"\b(undefined|NaN|null)\b|\[object")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# A period as the API keys it (2026-11, 2026-Q4) instead of its name (2026年11月, Nov 2026).
PERIOD = re.compile(r"(?<![\d-])\d{4}-(?:\d{2}|Q[1-4])(?![\d-])")


def key_pattern() -> re.Pattern[str]:
    """A translation key shown as is: the first word of a key i18n.js or team/strings.js defines, a dot, more."""
    prefixes: set[str] = set()
    for source in ("pwa/js/i18n.js", "pwa/js/team/strings.js"):
        text = (ROOT / source).read_text(encoding="utf-8")
        prefixes |= set(re.findall(r"'([a-z][A-Za-z]*)\.[A-Za-z_][\w.]*'\s*:", text))
    return re.compile(rf"(?<![\w@/.-])(?:{'|'.join(sorted(prefixes))})\.[A-Za-z_][\w.]*")


KEY = key_pattern()


# A form's example of what to type (周期（如 2026-11 或 2026-Q4）, Period (e.g. 2026-11 or 2026-Q4)) is no problem.
EXAMPLE = re.compile(r"[（(](?:如|e\.g\.)[^）)]*[）)]")


def problems(text: str) -> list[str]:
    found = []
    text = EXAMPLE.sub("", text)
    for name, pattern in (("code", SNAKE), ("raw", RAW), ("timestamp", ISO), ("period", PERIOD), ("key", KEY)):
        found += [f"{name}: {m.group(0)!r}" for m in pattern.finditer(text)]
    return sorted(set(found))


@dataclass
class Demo:
    server: ServerProcess

    @property
    def base_url(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """This module's server holds a small demo company (three regions, twelve reps, two months of work)."""
    folder = tmp_path_factory.mktemp("demo-walk")
    with TestDatabase.sqlite(folder) as database, ServerPool(folder) as pool:
        server = pool.start(database)
        settings = Settings(database_url=database.url, data_dir=Path(folder) / "seed", secret_key="s" * 32)
        seed_demo(settings, reps=12, months=2, today=today_in().date())
        decide(server, database)
        yield Demo(server)


def decide(server: ServerProcess, database: TestDatabase) -> None:
    """What the demo leaves to people, done through the API so the audit, the queue and the desk have
    something whatever the day: a rep of lead01's team logs three visits; the lead rejects one with a reason,
    approves one and leaves one waiting, and opens a review of the rep's month and an improvement plan; the
    company's manager lowers that rep's visits target by one."""
    with database.engine.connect() as connection:
        rep_email, rep_id, customer_id = connection.execute(
            text(
                'SELECT u.email, u.id, c.id FROM "user" u JOIN "user" l ON l.unit_id = u.unit_id '
                "JOIN customer c ON c.owner_id = u.id WHERE l.email = :lead AND u.role = 'rep' "
                "ORDER BY u.email, c.id LIMIT 1"
            ),
            {"lead": EMAILS["lead"]},
        ).one()
        goal_id, target = connection.execute(
            text(
                "SELECT id, target FROM goal WHERE subject_type = 'user' AND subject_id = :rep "
                "AND metric = 'visits' ORDER BY period DESC LIMIT 1"
            ),
            {"rep": rep_id},
        ).one()
    rep = SyncClient(server.sign_in(rep_email, DEMO_PASSWORD))
    ids = [str(uuid.uuid4()) for _ in range(3)]
    now = today_in().replace(microsecond=0)
    for n, visit_id in enumerate(ids):
        at = (now - timedelta(minutes=30 * (n + 1))).isoformat()
        rep.queue_mutation("visit", "create", visit_id, fields={"customer_id": customer_id, "check_in_at": at})
        rep.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])
    lead = server.sign_in(EMAILS["lead"], DEMO_PASSWORD)
    decisions = [
        {"id": ids[0], "base_version": 2, "approve": False, "comment": "缺少门头照片"},
        {"id": ids[1], "base_version": 2, "approve": True},
    ]
    answer = lead.post("/api/v1/visits/review", json={"decisions": decisions})
    assert answer.status_code == 200 and all(r["status"] == "applied" for r in answer.json()["results"]), (
        answer.text
    )
    month = now.strftime("%Y-%m")
    review = lead.post("/api/v1/reviews", json={"rep_id": rep_id, "period": month})
    assert review.status_code == 201, review.text
    plan = {
        "rep_id": rep_id,
        "goal": "拜访量回到目标水平",
        "starts_on": now.date().isoformat(),
        "ends_on": (now.date() + timedelta(days=30)).isoformat(),
        "exit_criteria": [{"metric": "visits", "period": month, "min_attainment": 0.7}],
    }
    opened_plan = lead.post("/api/v1/plans", json=plan)
    assert opened_plan.status_code == 201, opened_plan.text
    manager = server.sign_in(EMAILS["manager"], DEMO_PASSWORD)
    # Stored as 10⁻⁴ units (backend/db.py Fixed(4)); one visit less, so the parent's allocation still holds.
    lowered = Decimal(target).scaleb(-4) - 1
    changed = manager.patch(f"/api/v1/goals/{goal_id}", json={"target": str(lowered.quantize(Decimal(1)))})
    assert changed.status_code == 200, changed.text


# The screen drawn in the view: a <section> (a rep's visit too, which a lead or manager reads, never edits).
SCREEN = "#view > *"


def settled(phone: Phone, route: str) -> str:
    """The page's text once the screen is drawn and stops changing (figures arrive after the first paint)."""
    # The screen before is marked, so that the wait is for the new one.
    if phone.page.evaluate("() => location.hash || '#/'") != route:
        mark(phone)
        phone.go(route)
    phone.page.locator(f"{SCREEN}:not([data-walked])").first.wait_for()
    if route in FIGURES:
        # A screen without them is named below, with its other problems.
        with contextlib.suppress(PlaywrightTimeout):
            phone.page.wait_for_function("() => /\\d/.test(document.querySelector('#view > *')?.innerText || '')")
    return steady(phone)


def mark(phone: Phone) -> None:
    phone.page.evaluate("() => document.querySelector('#view > *')?.setAttribute('data-walked', '')")


def steady(phone: Phone) -> str:
    """The page's text once it stops changing."""
    text = ""
    for _ in range(40):
        phone.page.wait_for_timeout(250)
        now = phone.page.locator("body").inner_text()
        if now == text:
            break
        text = now
    return text


def opened(phone: Phone, link: Any, ready: str | None = None) -> str:
    """Follow a link (or a button) on the screen: the next screen's text once it is drawn; `ready` is a
    selector that shows it is complete (a report's tables come after its chart)."""
    mark(phone)
    link.click()
    phone.page.locator(f"{SCREEN}:not([data-walked])").first.wait_for()
    if ready:
        phone.page.locator(ready).first.wait_for()
    return steady(phone)


def details(phone: Phone, role: str) -> Iterator[tuple[str, str]]:
    """The detail screens a role opens from the others, each as (what it is, its text), following the links
    on screen: a customer's page and one of their visits, the homes of the units below, a rep's review and
    improvement plan, the goal tree's nodes down to a rep, and a report from its top level down to a
    rep's visits on the desk (company → region → team → rep for a manager; team → rep for a lead)."""
    settled(phone, "#/customers")
    customers = [a.get_attribute("href") for a in phone.at("customer-item").all()[:10]]
    assert customers, "no customer on the customers screen"
    for href in customers:
        text = settled(phone, href)
        if phone.at("visit-item").count():
            break
    expect(phone.at("customer-page")).to_be_visible()
    yield "customer", text
    visit = phone.at("visit-item").first
    assert visit.count(), "no customer of the first ten has a visit on their page"
    visit_id = visit.get_attribute("data-id")
    yield "visit", opened(phone, visit, hook("visit-view"))
    assert phone.page.evaluate("() => location.hash") == f"#/visit/{visit_id}"

    # A manager's home lists the units below theirs: a region's home, then a team's.
    settled(phone, "#/")
    for depth in range(1, 3):
        if not phone.at("unit-row").count():
            break
        yield f"unit home {depth}", opened(phone, phone.at("unit-row").first, hook("home"))
    # The review and the plan the lead opened for a rep of theirs (decide, above).
    for screen, item in (("#/reviews", "review-item"), ("#/plans", "plan-item")):
        settled(phone, screen)
        yield f"{screen.strip('#/')} item", opened(phone, phone.at(item).first)

    settled(phone, "#/goals/tree")
    for depth in range(1, 4):
        child = phone.at("gt-child").first
        if not child.count():
            break
        subject = str(child.get_attribute("data-subject"))
        text = opened(phone, child, hook("gt-node", subject=subject))
        yield f"goal tree node {depth}", text
    assert phone.at("gt-node").get_attribute("data-kind") in ("rep", "lead", "manager"), (
        "the goal tree ends above a rep"
    )

    # A team's lead compares its reps; a manager starts from the units under theirs.
    settled(phone, "#/reports" if role == "lead" else "#/reports?report=comparison&by=team")
    for level in range(1, 5):
        link = phone.at("report-drill").first
        link.wait_for()
        href = str(link.get_attribute("href"))
        at_desk = href.startswith("#/desk")
        yield (
            f"report level {level}",
            opened(phone, link, hook("desk") if at_desk else '[data-test="report-tables"][data-filled]'),
        )
        if at_desk:
            rep = re.search(r"rep_id=([\w-]+)", href)
            assert rep, href
            expect(phone.at("desk-rep")).to_have_value(rep.group(1))
            return
    raise AssertionError("the report's drill-down never reached a rep's visits")


EMAILS = {role: email for role, email, _ in demo_sign_ins()}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def said_as_sentences(phone: Phone, api: Any, locale: str) -> None:
    """The lead's reject on the audit screen: a sentence of the names GET /audit gives, the visit's day in the
    reader's zone, and the reason under it as the lead typed it."""
    (entry,) = api.get("/api/v1/audit", params={"action": "visit.reject"}).json()
    day = datetime.fromisoformat(entry["record_at"]).astimezone(ZoneInfo(api.get("/api/v1/me").json()["timezone"]))
    who, whose, shop = entry["actor_name"], entry["subject_name"], entry["record_name"]
    expected = {
        "zh-CN": (f"{who} 驳回了 {whose} {day.month}月{day.day}日 拜访 {shop}", "驳回原因：缺少门头照片"),
        "en": (
            f"{who} rejected {whose}’s visit to {shop} on {MONTHS[day.month - 1]} {day.day}",
            "Reason for rejecting: 缺少门头照片",
        ),
    }[locale]
    shown = phone.at("audit-entry", action="visit.reject")
    expect(shown.locator(hook("audit-sentence"))).to_have_text(expected[0])
    expect(shown.locator(hook("audit-change"))).to_have_text([expected[1]])
    assert entry["record_id"] not in shown.inner_text()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("role", ["lead", "manager", "admin"])
def test_every_team_screen_reads_in_words(live: Demo, new_context: Any, role: str, locale: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    for width, viewport in WIDTHS.items():
        phone = Phone(new_context())
        phone.page.set_viewport_size(viewport)
        phone.open()
        phone.page.locator(f'[data-test="login-lang"][data-locale="{locale}"]').click()
        expect(phone.page.locator("html")).to_have_attribute("lang", locale)
        phone.sign_in(EMAILS[role], DEMO_PASSWORD)
        for route in ROUTES[role]:
            text = settled(phone, route)
            if route == "#/audit":
                said_as_sentences(phone, live.server.sign_in(EMAILS[role], DEMO_PASSWORD), locale)
            bad = problems(text)
            if route in FIGURES and not re.search(r"\d", phone.page.locator(SCREEN).first.inner_text()):
                bad.append("no figures")
            name = f"team-words-{role}-{locale}-{width}-{route.strip('#/').replace('/', '-') or 'home'}"
            if bad:
                found[f"{width} {route}"] = bad
                shot(phone, name)
            elif width == "phone" or route in ("#/", "#/audit", "#/approvals", "#/desk"):
                shot(phone, name)
        # The detail screens once per language, in Chinese on a phone and in English at a laptop.
        if (width == "phone") == (locale == "zh-CN"):
            for what, text in details(phone, role):
                bad = problems(text)
                if (what.startswith(("goal tree", "report")) or what == "customer") and not re.search(
                    r"\d", phone.page.locator(SCREEN).first.inner_text()
                ):
                    bad.append("no figures")
                name = f"team-words-{role}-{locale}-{width}-{what.replace(' ', '-').replace('#/', '')}"
                if bad:
                    found[f"{width} {what}"] = bad
                shot(phone, name)
        assert phone.errors == [], phone.errors
    assert not found, "\n".join(f"{where}: {', '.join(bad)}" for where, bad in found.items())
