"""Customers at hand on the rep's phone: found by name or pinyin initials and ordered by distance, offline; the
customer's page with its call and map links, its visits and its deals moved on offline; and the lead's
approval screen showing a visit's evidence (distance, flags) in words.

The phone's position comes from the browser context (`geolocation` + the permission), as a real phone's would.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_screens import shot
from tests.support.server import wait_until
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

HERE = {"latitude": 30.27415, "longitude": 120.15515}  # West Lake, Hangzhou (WGS-84)
LAPTOP = {"width": 1280, "height": 800}

# Runs inside the page: the app's own modules, imported as the app imports them (the import map).
GEO_CHECKS = """async () => {
  const geo = await import('/static/js/geo.js');
  const i18n = await import('/static/js/i18n.js');
  const points = [
    [31.1774276, 121.5272106], [22.543847, 113.912316], [39.911954, 116.377817], [35.6812, 139.7671],
  ].map(([lat, lon]) => geo.wgs84ToGcj02(lat, lon));
  const said = {};
  for (const locale of ['zh-CN', 'en']) {
    i18n.setLocale(locale);
    said[locale] = [850, 999.6, 3200, 397460, null].map((m) => i18n.distance(m));
  }
  return { points, said, link: geo.mapLink(31.1774276, 121.5272106, '华联'),
    metres: Math.round(geo.metresBetween({ lat: 30.27415, lon: 120.15515 }, { lat: 30.30293, lon: 120.15515 })) };
}"""


def north(metres: float) -> dict[str, float]:
    """A position `metres` due north of HERE (a degree of latitude is ~111,195 m)."""
    return {"lat": HERE["latitude"] + metres / 111_195, "lon": HERE["longitude"]}


def phone_at_here(new_context: Any) -> Phone:
    return Phone(new_context(geolocation=HERE, permissions=["geolocation"]))


def options(phone: Phone) -> list[str]:
    """The customer ids the visit form's select offers (the placeholder left out)."""
    return [
        v for v in phone.at("visit-customer").locator("option").evaluate_all("os => os.map(o => o.value)") if v
    ]


def offers(phone: Phone, expected: list[str]) -> None:
    """Waits until the select offers exactly `expected`, in that order."""
    wait_until(lambda: options(phone) == expected, 20, f"the select to offer {expected}, not {options(phone)}")


def test_gcj02_conversion_and_distances_match_reference_points(live: Live, context: Any) -> None:
    phone = Phone(context).open()
    expect(phone.at("login-email")).to_be_visible()
    result = phone.page.evaluate(GEO_CHECKS)
    # eviltransform's reference pairs (WGS-84 → GCJ-02): Shanghai, Shenzhen, Beijing; Tokyo is outside China.
    expected = [
        (31.17530398364597, 121.531541859215),
        (22.540796131694766, 113.9171764808363),
        (39.91334545536069, 116.38404722455657),
        (35.6812, 139.7671),
    ]
    for got, (lat, lon) in zip(result["points"], expected, strict=True):
        assert abs(got["lat"] - lat) < 1e-9 and abs(got["lon"] - lon) < 1e-9, (got, lat, lon)
    assert result["link"].startswith("https://uri.amap.com/marker?position=121.531542,31.175304&name=")
    assert "coordinate=gaode" in result["link"]
    assert abs(result["metres"] - 3200) < 5
    assert result["said"]["zh-CN"] == ["850 米", "1 公里", "3.2 公里", "397 公里", "—"]
    assert result["said"]["en"] == ["850 m", "1 km", "3.2 km", "397 km", "—"]


def test_search_by_name_and_initials_filters_the_select_offline(live: Live, context: Any) -> None:
    tag = uuid.uuid4().hex[:4]
    ids = {
        "hualian": live.add_customer("rep2", f"上海华联超市{tag}"),
        "wujin": live.add_customer("rep2", f"杭州五金批发{tag}"),
        "gongju": live.add_customer("rep2", f"宁波工具厂{tag}"),
    }
    initials = dict(
        live.rows(
            "SELECT id, initials FROM customer WHERE id IN (:a, :b, :c)",
            a=ids["hualian"],
            b=ids["wujin"],
            c=ids["gongju"],
        )
    )
    assert initials[ids["hualian"]].startswith("shhlcs"), initials
    phone = Phone(context).open().sign_in(live.org.email("rep2"))
    phone.wait_offline_ready()
    phone.offline()

    phone.at("visit-new").click()
    search = phone.at("visit-customer-search")
    search.fill(f"华联超市{tag}")
    offers(phone, [ids["hualian"]])
    # One left: it is chosen.
    expect(phone.at("visit-customer")).to_have_value(ids["hualian"])
    search.fill("")
    phone.at("visit-customer").select_option("")
    search.fill("HZWJPF")  # initials, any case
    offers(phone, [ids["wujin"]])
    # The chosen customer stays offered whatever is typed next.
    search.fill("nbgjc")
    offers(phone, [ids["wujin"], ids["gongju"]])
    phone.at("visit-customer").select_option(ids["gongju"])
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(phone, "visit-customer-search-zh")

    # The customer list filters the same way, and a customer opens its page, not a new visit.
    phone.go("#/customers")
    phone.at("customer-search").fill("shhl")
    rows = phone.at("customer-item")
    expect(rows.filter(has_text=f"上海华联超市{tag}")).to_have_count(1)
    expect(rows.filter(has_text=f"宁波工具厂{tag}")).to_have_count(0)
    shot(phone, "customers-search-zh")
    rows.filter(has_text=f"上海华联超市{tag}").click()
    expect(phone.at("customer-page")).to_have_attribute("data-id", ids["hualian"])
    assert phone.page.url.endswith(f"#/customer/{ids['hualian']}")
    assert phone.errors == []


def test_nearby_orders_customers_by_distance(live: Live, new_context: Any) -> None:
    tag = uuid.uuid4().hex[:4]
    ids = {
        "far": live.add_customer("rep1", f"Far Mill {tag}", **north(397_460)),
        "mid": live.add_customer("rep1", f"Mid Depot {tag}", **north(3_200)),
        "near": live.add_customer("rep1", f"Near Shop {tag}", **north(850)),
        "nowhere": live.add_customer("rep1", f"Aaa Nowhere {tag}"),
    }
    phone = phone_at_here(new_context).open().sign_in(live.org.email("rep1"))
    phone.go("#/customers")
    phone.at("customer-nearby").click()
    expect(phone.at("customer-nearby")).to_have_attribute("aria-pressed", "true")
    order = [
        i
        for i in phone.at("customer-item").evaluate_all("rows => rows.map(r => r.dataset.id)")
        if i in ids.values()
    ]
    assert order == [ids["near"], ids["mid"], ids["far"], ids["nowhere"]]
    expect(phone.at("customer-item", id=ids["near"])).to_contain_text("850 m")
    expect(phone.at("customer-item", id=ids["mid"])).to_contain_text("3.2 km")
    expect(phone.at("customer-item", id=ids["far"])).to_contain_text("397 km")
    expect(phone.at("customer-item", id=ids["nowhere"])).to_contain_text("no position")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(phone, "customers-nearby-en")

    # The visit form's picker: nearest first, each with its distance; the select stays the control.
    phone.go("#/visit/new")
    phone.at("visit-customer-nearby").click()
    wait_until(lambda: ids["near"] in options(phone)[:1], 20, "the nearest customer first")
    mine = [i for i in options(phone) if i in ids.values()]
    assert mine == [ids["near"], ids["mid"], ids["far"], ids["nowhere"]]
    expect(phone.at("visit-customer").locator(f'option[value="{ids["mid"]}"]')).to_have_text(
        f"Mid Depot {tag} · 3.2 km"
    )
    shot(phone, "visit-customer-nearby-en")

    phone.page.set_viewport_size(LAPTOP)
    # Back on the list, it is still nearest first (until "nearby" is tapped off).
    phone.go("#/customers")
    expect(phone.at("customer-nearby")).to_have_attribute("aria-pressed", "true")
    shot(phone, "customers-nearby-en-laptop")
    phone.at("customer-item", id=ids["mid"]).click()
    expect(phone.at("customer-page")).to_have_attribute("data-id", ids["mid"])
    expect(phone.at("customer-map")).to_have_text("Map")
    shot(phone, "customer-page-en-laptop")
    phone.page.set_viewport_size({"width": 360, "height": 740})
    shot(phone, "customer-page-en")
    assert phone.errors == []


def test_customer_page_shows_history_and_moves_a_deal_on_offline(live: Live, new_context: Any) -> None:
    customer = live.add_customer(
        "rep2",
        "西湖茶叶行",
        contact="王经理",
        phone="0571-8888 6666",
        address="杭州市西湖区龙井路 1 号",
        lat=30.2415,
        lon=120.1317,
    )
    rep_api = SyncClient(live.api("rep2"))
    now = today_in().replace(microsecond=0)
    follow_up = (now + timedelta(days=3)).date().isoformat()
    older, newer = str(uuid.uuid4()), str(uuid.uuid4())
    for visit_id, days_ago, notes in ((older, 9, "first call"), (newer, 2, "brought samples")):
        rep_api.queue_mutation(
            "visit",
            "create",
            visit_id,
            fields={
                "customer_id": customer,
                "check_in_at": (now - timedelta(days=days_ago)).isoformat(),
                "outcome": "interested",
                "notes": notes,
                "next_follow_up_on": follow_up,
            },
        )
    deal = str(uuid.uuid4())
    rep_api.queue_mutation(
        "opportunity", "create", deal, fields={"customer_id": customer, "title": "龙井年单", "amount": "48000"}
    )
    assert all(r["status"] == "applied" for body in rep_api.sync() for r in body["results"])

    phone = Phone(new_context()).open().sign_in(live.org.email("rep2"))
    phone.wait_offline_ready()
    phone.offline()
    phone.go(f"#/customer/{customer}")
    page = phone.at("customer-page")
    expect(page).to_contain_text("王经理")
    expect(phone.at("customer-call")).to_have_attribute("href", "tel:057188886666")
    href = phone.at("customer-map").get_attribute("href") or ""
    assert href.startswith("https://uri.amap.com/marker?position=120.13") and "coordinate=gaode" in href
    # The pin is converted to GCJ-02 (a few hundred metres from the WGS-84 numbers in Hangzhou).
    assert "position=120.131700,30.241500" not in href
    items = page.locator(hook("visit-item"))
    expect(items).to_have_count(2)
    assert items.evaluate_all("rows => rows.map(r => r.dataset.id)") == [newer, older]
    expect(phone.at("customer-followup")).to_be_visible()
    expect(phone.at("deal-item", id=deal)).to_have_attribute("data-stage", "lead")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(phone, "customer-page-zh")

    phone.at("deal-advance").click()
    expect(phone.at("deal-item", id=deal)).to_have_attribute("data-stage", "qualified")
    phone.at("deal-lose").click()
    phone.at("deal-lost-confirm").click()
    expect(phone.at("deal-item", id=deal)).to_contain_text("请填写输单原因")
    phone.at("deal-reason").fill("预算砍掉了")
    phone.at("deal-lost-confirm").click()
    expect(phone.at("deal-item", id=deal)).to_have_attribute("data-stage", "lost")
    # Two moves of one deal: one record waiting.
    phone.wait_pending(1)
    shot(phone, "customer-page-deal-lost-zh")
    phone.page.set_viewport_size(LAPTOP)
    shot(phone, "customer-page-deal-lost-zh-laptop")
    assert live.rows("SELECT stage FROM opportunity WHERE id = :id", id=deal) == [("lead",)]

    phone.online()
    phone.sync_now()
    phone.wait_pending(0)
    assert [
        tuple(r) for r in live.rows("SELECT stage, close_reason FROM opportunity WHERE id = :id", id=deal)
    ] == [("lost", "预算砍掉了")]
    moves = live.rows(
        "SELECT to_stage FROM opportunity_stage_change WHERE opportunity_id = :id ORDER BY version", id=deal
    )
    assert [m[0] for m in moves][-2:] == ["qualified", "lost"]
    assert phone.errors == []


def test_lead_sees_distance_time_on_site_and_flag_chips(live: Live, new_context: Any) -> None:
    shop = live.add_customer("rep1", "Evidence Test Shop", lat=30.27415, lon=120.15515)
    rep = SyncClient(live.api("rep1"))
    now = today_in().replace(microsecond=0)
    visit_id = str(uuid.uuid4())
    rep.queue_mutation(
        "visit",
        "create",
        visit_id,
        fields={
            "customer_id": shop,
            "check_in_at": (now - timedelta(minutes=50)).isoformat(),
            "check_out_at": (now - timedelta(minutes=8)).isoformat(),
            **north(3_200),
            "accuracy_m": 12,
            "outcome": "interested",
            "notes": "evidence far",
        },
    )
    rep.queue_mutation("visit", "action", visit_id, name="submit", base_version=1)
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])
    flags = live.rows("SELECT flags FROM visit WHERE id = :id", id=visit_id)[0][0]
    assert flags and "far" in str(flags), flags  # the server judged it far from the customer

    lead = Phone(new_context()).open().sign_in(live.org.email("lead1"))
    lead.go("#/approvals")
    item = lead.at("approve-item", id=visit_id)
    expect(item.locator(hook("evidence-facts"))).to_contain_text("3.2 km from the customer")
    expect(item.locator(hook("evidence-facts"))).to_contain_text("On site 42 min")
    expect(item.locator(hook("flag-chip"))).to_contain_text(["far from customer"])
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(lead, "approvals-evidence-en")

    lead.go("#/me")
    lead.at("lang-switch").click()
    lead.go("#/approvals")
    item = lead.at("approve-item", id=visit_id)
    expect(item.locator(hook("evidence-facts"))).to_contain_text("距客户 3.2 公里")
    expect(item.locator(hook("evidence-facts"))).to_contain_text("在访 42 分钟")
    expect(item.locator('[data-test="flag-chip"][data-flag="far"]')).to_have_text("⚠ 远离客户")
    shot(lead, "approvals-evidence-zh")

    lead.page.set_viewport_size(LAPTOP)
    lead.go(f"#/desk?rep_id={live.org.user('rep1')}")
    row = lead.at("desk-item", id=visit_id)
    expect(row.locator(hook("desk-evidence"))).to_contain_text("距客户 3.2 公里")
    expect(row.locator('[data-test="flag-chip"][data-flag="far"]')).to_have_text("⚠ 远离客户")
    shot(lead, "desk-evidence-zh-laptop")
    assert lead.errors == []


def test_a_rep_adds_a_prospect_with_its_province_and_its_page_shows_where_it_is(
    live: Live, new_context: Any
) -> None:
    phone = Phone(new_context()).open().sign_in(live.org.email("rep3"))  # reads English
    phone.go("#/customers/new")
    form = phone.page.locator("form.form")
    expect(form).to_contain_text("Province")
    phone.at("customer-name").fill("宁波五金行")
    phone.at("customer-province").fill("浙江")
    phone.at("customer-save").click()
    phone.sync_now()
    phone.wait_pending(0)
    assert [tuple(r) for r in live.rows("SELECT province, city FROM customer WHERE name = '宁波五金行'")] == [
        ("浙江", None)
    ]
    customer_id = live.rows("SELECT id FROM customer WHERE name = '宁波五金行'")[0][0]
    # The lead gives it its city; the rep's page then says both.
    changed = live.api("lead2").patch(f"/api/v1/customers/{customer_id}", json={"city": "宁波"})
    assert changed.status_code == 200, changed.text
    phone.sync_now()
    phone.go(f"#/customer/{customer_id}")
    expect(phone.at("customer-place")).to_have_text("Located in 浙江 · 宁波")

    chinese = Phone(new_context()).open().sign_in(live.org.email("rep2"))
    chinese.go("#/customers/new")
    expect(chinese.page.locator("form.form")).to_contain_text("省份")
    assert phone.errors == [] and chinese.errors == []
