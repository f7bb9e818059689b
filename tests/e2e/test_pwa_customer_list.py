"""A long customer list on the phone: a screenful is drawn first, the rest as the rep scrolls or taps "show
more", and search and "nearby" still go over every customer, not only the rows drawn.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live
from tests.e2e.phone import Phone
from tests.e2e.test_pwa_screens import shot
from tests.sync.helpers import Phone as SyncClient

pytestmark = pytest.mark.browser

HERE = {"latitude": 30.27415, "longitude": 120.15515}  # West Lake, Hangzhou (WGS-84)
FIRST = 50  # rows drawn before any scrolling
CUSTOMERS = 120


def drawn(phone: Phone) -> list[str]:
    return list(phone.at("customer-item").evaluate_all("rows => rows.map(r => r.dataset.id)"))


def test_a_long_list_draws_a_screenful_then_more_and_search_and_nearby_reach_every_customer(
    live: Live, new_context: Any
) -> None:
    # 120 prospects the rep added (one sync), in name order 杭州五金000 … 杭州五金119; only 118 has a position,
    # 850 m north of where the phone is.
    rep = SyncClient(live.api("rep2"))
    ids = [str(uuid.uuid4()) for _ in range(CUSTOMERS)]
    for i, customer_id in enumerate(ids):
        where = {"lat": HERE["latitude"] + 850 / 111_195, "lon": HERE["longitude"]} if i == 118 else {}
        rep.queue_mutation("customer", "create", customer_id, fields={"name": f"杭州五金{i:03d}", **where})
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])

    phone = Phone(new_context(geolocation=HERE, permissions=["geolocation"])).open()
    phone.sign_in(live.org.email("rep2"))  # reads Chinese
    phone.go("#/customers")
    rows = phone.at("customer-item")
    more = phone.at("customer-more")
    expect(rows).to_have_count(FIRST)
    assert drawn(phone) == ids[:FIRST]
    expect(more).to_have_text("显示更多（还有 70 个）")
    SCREENS.mkdir(parents=True, exist_ok=True)

    # Scrolling to the end of the list draws the next page, in order.
    more.scroll_into_view_if_needed()
    expect(rows).to_have_count(2 * FIRST)
    expect(more).to_have_text("显示更多（还有 20 个）")
    # Tapping "show more" draws the rest; nothing is left to show.
    more.click()
    expect(rows).to_have_count(CUSTOMERS)
    assert drawn(phone) == ids
    expect(more).to_be_hidden()

    # Opened again, the list starts at one screenful.
    phone.go("#/")
    expect(phone.at("home")).to_be_visible()
    phone.go("#/customers")
    expect(rows).to_have_count(FIRST)

    # Search finds a customer far below the first screenful, by pinyin initials and by part of its name.
    search = phone.at("customer-search")
    search.fill("HZWJ118")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-id", ids[118])
    expect(more).to_be_hidden()
    search.fill("五金11")
    expect(rows).to_have_count(10)
    assert drawn(phone) == ids[110:120]
    shot(phone, "customers-long-search-zh")
    search.fill("")
    expect(rows).to_have_count(FIRST)
    expect(more).to_be_visible()

    # "Nearby" orders every customer: the only one with a position comes first, though last by name.
    phone.at("customer-nearby").click()
    expect(phone.at("customer-nearby")).to_have_attribute("aria-pressed", "true")
    expect(rows.first).to_have_attribute("data-id", ids[118])
    expect(rows.first).to_contain_text("850 米")
    expect(rows).to_have_count(FIRST)
    shot(phone, "customers-long-nearby-zh")

    # A sync bringing a new customer and a renamed one redraws the list in name order, though the order of the
    # others is kept from the last draw: 杭州五金0005 comes second, 119 renamed 杭州五金000A third.
    phone.at("customer-nearby").click()
    expect(phone.at("customer-nearby")).to_have_attribute("aria-pressed", "false")
    expect(rows.first).to_have_attribute("data-id", ids[0])
    added = str(uuid.uuid4())
    rep.queue_mutation("customer", "create", added, fields={"name": "杭州五金0005"})
    rep.queue_mutation("customer", "update", ids[119], base_version=1, fields={"name": "杭州五金000A"})
    assert all(r["status"] == "applied" for body in rep.sync() for r in body["results"])
    phone.sync_now()
    expect(rows.nth(1)).to_have_attribute("data-id", added)
    assert drawn(phone)[:4] == [ids[0], added, ids[119], ids[1]]
    expect(rows).to_have_count(FIRST)
    expect(more).to_have_text("显示更多（还有 71 个）")
    assert phone.errors == []
