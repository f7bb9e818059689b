"""A manager reads the reports on a laptop: the funnel and the comparison show the API's figures, with the
server's chart and the CSV export; a rep is kept out of the screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.live import SCREENS, Live, today_in
from tests.e2e.phone import Phone, hook
from tests.e2e.test_pwa_screens import shot

pytestmark = pytest.mark.browser


def _deal(live: Live, customer: str, amount: str, stages: list[str], reason: str) -> None:
    """An opportunity of rep1's moved through `stages` over HTTP, the last (won or lost) an hour ago."""
    rep = live.api("rep1")
    created = rep.post("/api/v1/opportunities", json={"customer_id": customer, "amount": amount})
    assert created.status_code == 201, created.text
    at = (today_in() - timedelta(hours=1)).isoformat()
    for stage in stages:
        body = {"stage": stage, "at": at} | ({"reason": reason} if stage in ("won", "lost") else {})
        moved = rep.post(f"/api/v1/opportunities/{created.json()['id']}/advance", json=body)
        assert moved.status_code == 200, moved.text


def _screen_matches(manager: Phone, table: str, rows: list[dict[str, Any]], key: str, columns: list[str]) -> None:
    for row in rows:
        shown = manager.at("report-table", table=table).locator(hook("report-row", key=str(row[key])))
        expect(shown).to_be_visible()
        for column in columns:
            value, on_screen = row[column], shown.locator(f'td[data-key="{column}"]').get_attribute("data-value")
            # JSON numbers come back as JavaScript writes them (0.0 is "0"); strings exactly as sent.
            if isinstance(value, int | float):
                assert float(on_screen) == value, (row[key], column, on_screen, value)
            else:
                assert on_screen == ("" if value is None else value), (row[key], column, on_screen, value)


def test_a_manager_reads_the_funnel_and_comparison_the_api_reports(live: Live, new_context: Any) -> None:
    month = today_in().strftime("%Y-%m")
    customer = live.add_customer("rep1", "Suzhou Pumps Ltd.")
    _deal(live, customer, "64000", ["qualified", "proposal", "won"], "Best delivery time")
    _deal(live, customer, "18000", ["qualified", "lost"], "Budget cut")
    api = live.api("eastmgr")
    params = {"period": month, "subject_type": "unit"}

    manager = Phone(new_context())
    manager.page.set_viewport_size({"width": 1280, "height": 800})  # a laptop
    manager.open().sign_in(live.org.email("eastmgr"))
    manager.go("#/me")
    manager.at("nav-reports").click()
    expect(manager.at("reports")).to_have_attribute("data-report", "comparison")
    manager.at("report-tab", report="funnel").click()
    expect(manager.at("reports")).to_have_attribute("data-report", "funnel")
    funnel = api.get("/api/v1/reports/funnel", params=params).json()
    assert {r["reason"] for r in funnel["won_reasons"]} >= {"Best delivery time"}
    stage_columns = ["count", "amount", "cohort_reached", "conversion_from_previous", "median_days_in_stage"]
    _screen_matches(manager, "funnel", funnel["tables"]["funnel"]["rows"], "stage", stage_columns)
    reasons = manager.at("report-table", table="reasons").locator(hook("report-row"))
    on_screen = [[cell.get_attribute("data-value") for cell in row.locator("td").all()] for row in reasons.all()]
    assert on_screen == [
        [r["outcome"], r["reason"] or "", str(r["count"]), r["amount"]]
        for r in funnel["tables"]["reasons"]["rows"]
    ]
    expect(manager.at("report-chart")).to_be_visible()
    assert manager.at("report-chart").evaluate("img => img.naturalWidth") > 0
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(manager, "reports-funnel")

    with manager.page.expect_download() as download:
        manager.at("report-export-csv").click()
    with open(download.value.path(), "rb") as saved:
        assert saved.read().startswith(b"\xef\xbb\xbf")
    expect(manager.at("report-export-xlsx")).to_be_visible()

    manager.at("report-tab", report="comparison").click()
    expect(manager.at("reports")).to_have_attribute("data-report", "comparison")
    comparison = api.get("/api/v1/reports/comparison", params=params).json()
    rows = comparison["tables"]["comparison"]["rows"]
    assert any(r["revenue_actual"] != "0.00" for r in rows)
    figures = ["revenue_actual", "revenue_attainment", "visits_actual", "conversion_actual"]
    _screen_matches(manager, "comparison", rows, "name", figures)

    # At 360 px the screen still reads: the table scrolls inside its card, the page does not.
    manager.page.set_viewport_size({"width": 360, "height": 740})
    assert manager.page.evaluate("document.documentElement.scrollWidth") <= 360
    assert manager.errors == []

    rep = Phone(new_context()).open().sign_in(live.org.email("rep1"))
    rep.go("#/reports")
    expect(rep.at("home")).to_be_visible()
    expect(rep.at("reports")).to_have_count(0)
