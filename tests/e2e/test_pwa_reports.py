"""A manager reads the reports on a laptop: the funnel and the comparison show the API's figures, with their
charts and the CSV export; a rep is kept out of the screen. Each chart is drawn at 360 px and 1280 px, a
tooltip shows the API's figure, a row goes one level down (region → team → rep → the rep's visits), and a
report read before reads offline from its last copy."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
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


# The service worker holds the team's modules, the chart library among them (sw.js: CACHE_TEAM).
TEAM_CACHED = """async () => {
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    if ((await cache.keys()).some((request) => request.url.includes('/static/js/team/echarts.js'))) return true;
  }
  return false;
}"""


def _drawn(phone: Phone, kind: str) -> Any:
    """The report's chart, once drawn: a canvas with its series and points."""
    chart = phone.at("report-chart", chart=kind)
    expect(chart).to_have_attribute("data-drawn", re.compile(r"^\d"))
    assert int(chart.get_attribute("data-series")) >= 1
    assert int(chart.get_attribute("data-points")) >= 1
    box = chart.locator("canvas").first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100, box
    return chart


def _tooltip(chart: Any, series: int, index: int) -> str:
    """The chart's tooltip for one data point, as a person hovering it would read it."""
    chart.evaluate(
        "(el, [s, i]) => el.chart.dispatchAction({ type: 'showTip', seriesIndex: s, dataIndex: i })",
        [series, index],
    )
    tip = chart.locator(".chart-tip")
    expect(tip).to_be_visible()
    return str(tip.inner_text())


def _yuan(value: str, lang: str) -> str:
    """Money as the reader reads it: ¥8,500 and ¥64,000 in English; ¥8,500, ¥6.4万, ¥1.25亿 in Chinese (at
    most two decimals)."""
    n = Decimal(value)
    for size, word in ((Decimal(100_000_000), "亿"), (Decimal(10_000), "万")):
        if lang == "zh-CN" and abs(n) >= size:
            return f"¥{(n / size).quantize(Decimal('0.01')).normalize():f}{word}"
    return f"¥{n.quantize(Decimal('0.01')).normalize():,f}"


def _percent_1(fraction: float) -> str:
    return f"{Decimal(str(fraction)) * 100:.1f}%"


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
    _drawn(manager, "funnel")
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


def test_each_report_is_a_chart_at_both_widths_goes_down_a_level_and_reads_offline(
    live: Live, new_context: Any
) -> None:
    month = today_in().strftime("%Y-%m")
    customer = live.add_customer("rep1", "Wuxi Valves Ltd.", city="无锡")
    _deal(live, customer, "64000", ["qualified", "proposal", "won"], "Best delivery time")
    _deal(live, customer, "18000", ["qualified", "lost"], "Budget cut")
    api = live.api("eastmgr")
    manager = Phone(new_context())
    manager.page.set_viewport_size({"width": 360, "height": 740})
    manager.open().sign_in(live.org.email("eastmgr"))
    SCREENS.mkdir(parents=True, exist_ok=True)

    for width in (360, 1280):
        manager.page.set_viewport_size({"width": width, "height": 740 if width == 360 else 800})
        for report, kind in (
            ("trend", "trend"),
            ("comparison", "comparison"),
            ("funnel", "funnel"),
            ("regions", "regions"),
        ):
            manager.go(f"#/reports?report={report}&period={month}")
            expect(manager.at("reports")).to_have_attribute("data-report", report)
            chart = _drawn(manager, kind)
            assert chart.locator("canvas").first.bounding_box()["width"] <= width
            assert manager.page.evaluate("document.documentElement.scrollWidth") <= width
            shot(manager, f"reports-chart-{report}-{width}")
        # The period is picked, not typed: month, quarter or year, with a label.
        expect(manager.page.locator("label", has=manager.at("report-period"))).to_be_visible()
        assert manager.at("report-period").evaluate("el => el.tagName") == "SELECT"
    # This month is the last one can step to; the step back goes to the period the API names before it.
    info = api.get("/api/v1/reports/trend", params={"period": month, "subject_type": "unit"}).json()["period_info"]
    expect(manager.at("report-next")).to_be_disabled()
    manager.at("report-previous").click()
    expect(manager.at("reports")).to_have_attribute("data-period", info["previous"])
    _drawn(manager, "regions")

    # The comparison's bars are sorted, largest first, and the top bar's tooltip says the API's figures.
    manager.go(f"#/reports?report=comparison&period={month}")
    chart = _drawn(manager, "comparison")
    rows = api.get("/api/v1/reports/comparison", params={"period": month}).json()["tables"]["comparison"]["rows"]
    top = max(rows, key=lambda r: Decimal(r["revenue_actual"] or "-1"))
    assert Decimal(top["revenue_actual"]) >= Decimal("64000")
    tip = _tooltip(chart, 0, 0)
    lang = manager.page.evaluate("document.documentElement.lang")
    assert top["name"] in tip and _yuan(top["revenue_actual"], lang) in tip, tip

    # The funnel: lead → … → won with the conversion from the stage before; lost is no stage of it.
    manager.go(f"#/reports?report=funnel&period={month}")
    chart = _drawn(manager, "funnel")
    funnel = api.get("/api/v1/reports/funnel", params={"period": month, "subject_type": "unit"}).json()
    stages = [r for r in funnel["tables"]["funnel"]["rows"] if r["in_funnel"]]
    assert [r["stage"] for r in stages] == ["lead", "qualified", "proposal", "negotiation", "won"]
    assert chart.get_attribute("data-points") == str(2 * len(stages))
    tip = _tooltip(chart, 0, 1)
    assert stages[1]["stage_name"] in tip and _percent_1(funnel["steps"][0]["conversion"]) in tip, tip
    lost = next(r for r in funnel["tables"]["funnel"]["rows"] if not r["in_funnel"])
    expect(manager.at("report-funnel-note")).to_contain_text(lost["stage_name"])

    # Down a level: the region's teams (regions), a team's reps (comparison), a rep's approved visits (desk).
    manager.go(f"#/reports?report=regions&period={month}")
    regions = api.get("/api/v1/reports/regions", params={"period": month}).json()
    team = next(r for r in regions["tables"]["regions"]["rows"] if r["name"] == "team1")
    manager.at("report-table", table="regions").locator(hook("report-row", key="team1")).locator(
        hook("report-drill")
    ).click()
    expect(manager.at("reports")).to_have_attribute("data-report", "comparison")
    assert f"unit_id={team['unit_id']}" in manager.page.url
    _drawn(manager, "comparison")
    reps = api.get(team["drill"]["path"], params=team["drill"]["query"]).json()["tables"]["comparison"]["rows"]
    rep1 = next(r for r in reps if r["subject_id"] == live.org.user("rep1"))
    shown = manager.at("report-table", table="comparison").locator(hook("report-row", key=rep1["name"]))
    expect(shown.locator('td[data-key="revenue_actual"]')).to_have_attribute("data-value", rep1["revenue_actual"])
    drill = re.compile(rf"^#/desk\?.*rep_id={rep1['subject_id']}")
    expect(shown.locator(hook("report-drill"))).to_have_attribute("href", drill)
    # The rep's bar (the team's largest) is tapped on the chart itself.
    assert max(reps, key=lambda r: Decimal(r["revenue_actual"] or "-1")) is rep1
    chart = manager.at("report-chart", chart="comparison")
    point = chart.evaluate(
        "(el, v) => el.chart.convertToPixel({ gridIndex: 0 }, [v / 2, 0])", float(rep1["revenue_actual"])
    )
    box = chart.bounding_box()
    manager.page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    expect(manager.at("desk")).to_be_visible()
    assert manager.at("desk-rep").input_value() == live.org.user("rep1")
    assert manager.at("desk-status").input_value() == "approved"

    # Offline, a report read before shows its last copy, marked with its time; one never read says so.
    manager.wait_offline_ready()
    manager.page.wait_for_function(TEAM_CACHED)
    manager.offline()
    manager.go(f"#/reports?report=funnel&period={month}")
    expect(manager.at("desk-cached")).to_be_visible()
    _drawn(manager, "funnel")
    manager.go(f"#/reports?report=evidence&period={month}")
    expect(manager.at("reports-problem")).to_be_visible()
    # And after the app starts again offline: the screens and the chart library come from the worker's cache.
    manager.reload()
    manager.go(f"#/reports?report=trend&period={month}")
    expect(manager.at("desk-cached")).to_be_visible()
    _drawn(manager, "trend")
    manager.online()
    assert manager.errors == []


# The province grid's cells as drawn: per series (provinces' customers, provinces' revenue, cities' customers,
# cities' revenue), each cell's row label and figure.
GRID_CELLS = """(el) => {
  const option = el.chart.getOption();
  const labels = option.yAxis[0].data;
  return option.series.map((s) => s.data.map((d) => [labels[d.value[1]], d.value[2]]));
}"""


def test_the_province_grid_shows_the_apis_customers_and_revenue_by_province_and_city(
    live: Live, new_context: Any
) -> None:
    month = today_in().strftime("%Y-%m")
    hangzhou = live.add_customer("rep1", "Hangzhou Pumps Ltd.", province="浙江", city="杭州")
    live.add_customer("rep1", "Ningbo Valves Ltd.", province="浙江", city="宁波")
    nowhere = live.add_customer("rep1", "Unplaced Tools Ltd.")
    _deal(live, hangzhou, "64000", ["qualified", "won"], "Best delivery time")
    _deal(live, nowhere, "1500.50", ["won"], "Price")
    api = live.api("eastmgr")
    body = api.get("/api/v1/reports/regions", params={"period": month}).json()
    provinces, cities = body["tables"]["provinces"]["rows"], body["tables"]["province_cities"]["rows"]
    zhejiang = next(r for r in provinces if r["province"] == "浙江")
    assert (zhejiang["customers"], zhejiang["revenue"]) == (2, "64000.00")
    assert provinces[-1]["province"] == "" and Decimal(provinces[-1]["revenue"]) >= Decimal("1500.50")

    manager = Phone(new_context())
    manager.page.set_viewport_size({"width": 1280, "height": 800})
    manager.open().sign_in(live.org.email("eastmgr"))
    manager.go(f"#/reports?report=regions&period={month}")
    chart = _drawn(manager, "provinces")
    drawn = chart.evaluate(GRID_CELLS)
    assert drawn == [
        [[r["province_name"], r["customers"]] for r in provinces],
        [[r["province_name"], float(r["revenue"])] for r in provinces],
        [[r["city_name"], r["customers"]] for r in cities],
        [[r["city_name"], float(r["revenue"])] for r in cities],
    ]
    # "No province given" in words, on the chart and in its table twin; the tooltip says the API's figures.
    lang = manager.page.evaluate("document.documentElement.lang")
    none_given = provinces[-1]["province_name"]
    assert none_given == ("未填省份" if lang == "zh-CN" else "No province given")
    tip = _tooltip(chart, 1, provinces.index(zhejiang))
    assert "浙江" in tip and _yuan(zhejiang["revenue"], lang) in tip, tip
    twin = manager.at("report-table", table="province_cities").locator(hook("report-row"))
    expect(twin).to_have_count(len(cities))
    shown = twin.evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => [td.textContent, td.dataset.value]))"
    )
    assert [[cell[1] for cell in row] for row in shown] == [
        [r["province"], r["city"], str(r["customers"]), str(r["won_deals"]), r["revenue"]] for r in cities
    ]
    assert [row[0][0] for row in shown] == [r["province_name"] for r in cities]
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot(manager, "reports-regions-provinces-1280")
    assert manager.errors == []
