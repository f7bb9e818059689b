"""Reports as a manager reads them: the same figures as the progress API, scoped like it, exported and drawn."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from backend.goals.models import METRICS
from tests.kpi.helpers import actor, customer, deal

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
REPORTS = ("trend", "comparison", "regions", "funnel", "evidence")


def _progress(api: Any, subject_type: str, subject_id: str, period: str = "2026-11") -> dict[str, Any]:
    response = api.get(
        "/api/v1/progress", params={"subject_type": subject_type, "subject_id": subject_id, "period": period}
    )
    assert response.status_code == 200, response.text
    return {row["metric"]: row for row in response.json()}


def test_comparison_and_trend_show_the_progress_apis_figures(work, sign_in):
    lead = sign_in("lead1@example.com")
    response = lead.get("/api/v1/reports/comparison", params={"unit_id": work.unit("team1"), "period": "2026-11"})
    assert response.status_code == 200, response.text
    rows = {r["subject_id"]: r for r in response.json()["tables"]["comparison"]["rows"]}
    rep1 = _progress(lead, "user", work.user("rep1"))
    for metric in METRICS:
        for figure in ("actual", "target", "attainment", "pace"):
            assert rows[work.user("rep1")][f"{metric}_{figure}"] == rep1[metric][figure], (metric, figure)
    assert rows[work.user("rep1")]["revenue_actual"] == "12000.50"
    # No goal: the actual still comes from the engine; target and attainment stay empty.
    assert rows[work.user("rep2")]["visits_actual"] == "1"
    assert rows[work.user("rep2")]["visits_target"] is None
    # Dashboard totals: the team's trend for November equals the team's progress, and the sum of its reps.
    trend = lead.get(
        "/api/v1/reports/trend",
        params={"subject_type": "unit", "subject_id": work.unit("team1"), "period": "2026-11", "periods": 3},
    ).json()
    assert trend["periods"] == ["2026-09", "2026-10", "2026-11"]
    november = trend["tables"]["trend"]["rows"][-1]
    team1 = _progress(lead, "unit", work.unit("team1"))
    for metric in METRICS:
        assert november[f"{metric}_actual"] == team1[metric]["actual"]
        assert november[f"{metric}_attainment"] == team1[metric]["attainment"]
    assert int(november["visits_actual"]) == sum(int(r["visits_actual"]) for r in rows.values())
    october = trend["tables"]["trend"]["rows"][1]
    assert (october["visits_actual"], october["revenue_actual"]) == ("1", "8000.00")


def test_comparison_sorts_by_any_figure(work, sign_in):
    boss = sign_in("boss@example.com")
    params = {"unit_id": work.unit("company"), "period": "2026-11", "sort": "visits_actual", "order": "desc"}
    rows = boss.get("/api/v1/reports/comparison", params=params).json()["tables"]["comparison"]["rows"]
    visits = [int(r["visits_actual"]) for r in rows]
    assert visits == sorted(visits, reverse=True) and visits[0] == 3
    teams = boss.get("/api/v1/reports/comparison", params={**params, "unit_id": work.unit("east"), "by": "team"})
    assert {r["name"] for r in teams.json()["tables"]["comparison"]["rows"]} == {"team1", "team2"}
    bad = boss.get("/api/v1/reports/comparison", params={"sort": "height", "period": "2026-13"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"sort", "period"}


@pytest.mark.parametrize("report", REPORTS)
def test_a_lead_asking_for_another_teams_report_gets_404_like_a_missing_id(work, sign_in, report):
    lead = sign_in("lead1@example.com")
    for unit_id in (work.unit("team2"), str(uuid.uuid4())):
        params = {"unit_id": unit_id, "subject_type": "unit", "subject_id": unit_id}
        response = lead.get(f"/api/v1/reports/{report}", params=params)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    own = lead.get(f"/api/v1/reports/{report}", params={"unit_id": work.unit("team1"), "subject_type": "unit"})
    assert own.status_code == 200, own.text


def test_another_teams_rep_is_404_for_a_lead(work, sign_in):
    lead = sign_in("lead1@example.com")
    for report in ("trend", "funnel", "evidence"):
        response = lead.get(
            f"/api/v1/reports/{report}", params={"subject_type": "user", "subject_id": work.user("rep3")}
        )
        assert response.status_code == 404


def _funnel(api: Any, unit_id: str) -> dict[str, Any]:
    response = api.get(
        "/api/v1/reports/funnel", params={"subject_type": "unit", "subject_id": unit_id, "period": "2026-11"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_funnel_counts_won_and_lost_from_the_engine_with_their_reasons(work, sign_in, engine):
    with Session(engine, expire_on_commit=False) as session:
        rep1, rep2 = actor(session, work.user("rep1")), actor(session, work.user("rep2"))
        c2 = customer(session, rep2, NOW, "杭州机电")
        deal(session, rep2, c2, "3000", "won", "2026-11-09T03:00:00+00:00", NOW, "价格")
        deal(session, rep2, c2, "700", "lost", "2026-11-10T03:00:00+00:00", NOW, "竞品")
        c1 = customer(session, rep1, NOW, "上海五金")
        deal(session, rep1, c1, "400", "lost", "2026-11-11T03:00:00+00:00", NOW)  # closed before reasons existed
        session.commit()
    lead = sign_in("lead1@example.com")
    body = _funnel(lead, work.unit("team1"))
    stages = {r["stage"]: r for r in body["tables"]["funnel"]["rows"]}
    team1 = _progress(lead, "unit", work.unit("team1"))
    assert (stages["won"]["count"], stages["won"]["amount"]) == (2, "15000.50")
    assert stages["won"]["amount"] == team1["revenue"]["actual"]
    assert (stages["lost"]["count"], stages["lost"]["amount"]) == (3, "6100.00")
    assert body["conversion"] == "0.4000" == team1["conversion"]["actual"]
    won, lost = {"outcome": "won", "outcome_name": "Won"}, {"outcome": "lost", "outcome_name": "Lost"}
    assert body["won_reasons"] == [
        won | {"reason": "价格", "reason_text": "价格", "count": 2, "amount": "15000.50"}
    ]
    # A reason stays as typed; a deal closed without one says so in the reader's words.
    assert body["lost_reasons"] == [
        lost | {"reason": "竞品", "reason_text": "竞品", "count": 2, "amount": "5700.00"},
        lost | {"reason": None, "reason_text": "No reason given", "count": 1, "amount": "400.00"},
    ]
    # The reasons add up to the engine's won and lost counts and amounts.
    assert sum(r["count"] for r in body["won_reasons"]) == stages["won"]["count"]
    assert sum(r["count"] for r in body["lost_reasons"]) == stages["lost"]["count"]
    assert body["tables"]["reasons"]["rows"] == body["won_reasons"] + body["lost_reasons"]


def test_funnel_conversion_and_days_in_stage_come_from_the_stage_history(org, sign_in, engine):
    """Deals created on 2 November move on at stated times; NOW is 20 November, 10:00 in Shanghai."""
    created = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as session:
        rep1 = actor(session, org.user("rep1"))
        c1 = customer(session, rep1, created)
        # Won after 2 days at lead, 3 at qualified, 4 at proposal, 1 at negotiation.
        steps = (
            ("qualified", "2026-11-04T02:00:00+00:00"),
            ("proposal", "2026-11-07T02:00:00+00:00"),
            ("negotiation", "2026-11-11T02:00:00+00:00"),
        )
        deal(session, rep1, c1, "1000", "won", "2026-11-12T02:00:00+00:00", created, "关系", steps)
        # Lost from proposal: it reached qualified and proposal, and its last open stage is kept.
        deal(session, rep1, c1, "2000", "lost", "2026-11-09T02:00:00+00:00", created, "预算", steps[:2])
        # Lost straight from lead, and one still open at qualified since the 6th.
        deal(session, rep1, c1, "3000", "lost", "2026-11-03T02:00:00+00:00", created, "无回应")
        from backend.opportunities.service import advance, create_opportunity

        open_deal = create_opportunity(session, rep1, str(uuid.uuid4()), {"customer_id": c1}, created)
        advance(session, rep1, open_deal, "qualified", datetime(2026, 11, 6, 2, 0, tzinfo=UTC), created)
        session.commit()
    body = _funnel(sign_in("lead1@example.com"), org.unit("team1"))
    rows = {r["stage"]: r for r in body["tables"]["funnel"]["rows"]}
    assert [rows[s]["cohort_reached"] for s in ("lead", "qualified", "proposal", "negotiation", "won")] == [
        4,
        3,
        2,
        1,
        1,
    ]
    assert [rows[s]["conversion_from_previous"] for s in ("qualified", "proposal", "negotiation", "won")] == [
        0.75,
        0.6667,
        0.5,
        1.0,
    ]
    assert (rows["lead"]["cohort_lost_here"], rows["proposal"]["cohort_lost_here"]) == (1, 1)
    assert rows["lost"]["cohort_reached"] == 2
    # Stays that ended in November: lead 2, 2, 1 (lost) and 4 days; qualified 3, 3; proposal 4, 2 days.
    assert (rows["lead"]["median_days_in_stage"], rows["qualified"]["mean_days_in_stage"]) == (2.0, 3.0)
    assert (rows["proposal"]["mean_days_in_stage"], rows["negotiation"]["median_days_in_stage"]) == (3.0, 1.0)
    # The open deal: at qualified since the 6th, 14 days by NOW.
    assert (rows["qualified"]["count"], rows["qualified"]["median_days_open"]) == (1, 14.0)


def test_evidence_counts_approved_visits_as_the_kpi_does(work, sign_in, engine):
    from datetime import timedelta

    from backend.visits.models import Visit

    with Session(engine) as session:
        # By day of the check-in (November 3, 4 and 10, October 15): rows come back in no promised order.
        distances = {3: 120.0, 4: 800.0, 10: 40.0, 15: 900.0}
        for found in session.query(Visit).filter(Visit.rep_id == work.user("rep1")).all():
            found.check_out_at = found.check_in_at + timedelta(minutes=30)
            found.distance_m, found.accuracy_m = distances[found.check_in_at.day], 15.0
        session.commit()
    lead = sign_in("lead1@example.com")
    body = lead.get("/api/v1/reports/evidence", params={"subject_type": "unit", "period": "2026-11"}).json()
    rows = {r["rep_id"]: r for r in body["tables"]["evidence"]["rows"]}
    assert rows[work.user("rep1")]["visits_approved"] == "3"
    assert rows[work.user("rep1")]["visits_logged"] == 3
    assert body["max_distance_m"] == 500.0
    rep1 = rows[work.user("rep1")]
    assert (rep1["median_minutes_on_site"], rep1["median_accuracy_m"]) == (30.0, 15.0)
    # November's three visits: 120, 800 and 40 m from the customer; one beyond 500 m.
    assert (rep1["out_of_range"], rep1["out_of_range_share"], rep1["max_distance_m"]) == (1, 0.3333, 800.0)


def test_csv_starts_with_a_bom_and_round_trips_chinese(work, sign_in):
    boss = sign_in("rep2@example.com")  # zh-CN user: Chinese headers
    lead = sign_in("lead1@example.com")
    for report in REPORTS:
        response = lead.get(f"/api/v1/reports/{report}", params={"format": "csv", "subject_type": "unit"})
        assert response.status_code == 200, (report, response.text)
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert response.headers["content-type"].startswith("text/csv")
    response = lead.get("/api/v1/reports/regions", params={"format": "csv", "table": "cities"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "City"
    assert (
        boss.get("/api/v1/reports/trend", params={"format": "csv"}).content.decode("utf-8-sig").startswith("期间")
    )
    evidence = lead.get("/api/v1/reports/comparison", params={"format": "csv"}).content.decode("utf-8-sig")
    names = [r[0] for r in csv.reader(io.StringIO(evidence))][1:]
    assert sorted(names) == ["Lead1", "Rep1", "Rep2"]


def test_csv_round_trips_chinese_names(engine, org, sign_in):
    with Session(engine, expire_on_commit=False) as session:
        rep2 = actor(session, org.user("rep2"))
        customer(session, rep2, NOW, "北京·朝阳五金")
        session.commit()
    lead = sign_in("lead1@example.com")
    text = lead.get("/api/v1/reports/regions", params={"format": "csv", "table": "points"})
    assert text.status_code == 200
    # No coordinates, no point: the table is the header alone, still with a BOM.
    assert text.content.startswith(b"\xef\xbb\xbf")
    from backend.reports.export import to_csv
    from backend.reports.service import Column, Table

    table = Table("t", "客户", [Column("name", "客户名称", "元")], [{"name": "北京·朝阳五金"}])
    back = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert back == [["客户名称 (元)"], ["北京·朝阳五金"]]


@pytest.mark.parametrize("report", REPORTS)
def test_svg_is_well_formed_with_a_title(work, sign_in, report):
    lead = sign_in("lead1@example.com")
    response = lead.get(f"/api/v1/reports/{report}", params={"format": "svg", "subject_type": "unit"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(response.content)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and "viewBox" in root.attrib
    title = root.find(f"{ns}title")
    assert title is not None and title.text


def test_regions_plot_customers_without_map_tiles(work, sign_in, engine):
    from backend.customers.models import Customer

    with Session(engine) as session:
        for i, found in enumerate(session.query(Customer).all()):
            found.lat, found.lon, found.city = 31.2 + i / 10, 121.4 + i / 10, "上海"
        session.commit()
    boss = sign_in("boss@example.com")
    body = boss.get("/api/v1/reports/regions", params={"period": "2026-11"}).json()
    assert {r["name"] for r in body["tables"]["regions"]["rows"]} == {"east", "south"}
    assert body["tables"]["cities"]["rows"] == [
        {"city": "上海", "city_name": "上海", "customers": 3, "new_customers": 1, "revenue": "12000.50"}
    ]  # rep2 won in October
    assert body["points_shown"] == 3
    east = next(r for r in body["tables"]["regions"]["rows"] if r["name"] == "east")
    assert east["visits_actual"] == "5"
    svg = boss.get("/api/v1/reports/regions", params={"format": "svg"}).text
    root = ElementTree.fromstring(svg)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}circle")) == 3
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_xlsx_is_a_workbook_with_a_sheet_per_table(work, sign_in):
    lead = sign_in("lead1@example.com")
    response = lead.get("/api/v1/reports/regions", params={"format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Regions",
        "Cities",
        "Revenue by city",
        "Provinces",
        "Provinces and cities",
        "Customer locations",
    ]
    bad = lead.get("/api/v1/reports/trend", params={"format": "pdf"})
    assert bad.status_code == 422


def test_the_xlsx_holds_numbers_with_formats_a_frozen_header_and_fitted_widths(work, sign_in):
    """Read back as a spreadsheet reads it: the title, the header frozen under it, each figure a number with
    its format (money with ¥, a fraction as a percentage, a count whole), words for codes, widths that fit."""
    chinese = sign_in("rep2@example.com")  # reads Chinese; a rep reports on themselves
    response = chinese.get(
        "/api/v1/reports/funnel",
        params={"format": "xlsx", "subject_type": "user", "subject_id": work.user("rep2"), "period": "2026-10"},
    )
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["销售漏斗", "赢单与输单原因"]
    funnel = book["销售漏斗"]
    assert funnel["A1"].value == "Rep2 2026年10月 销售漏斗"
    assert [c.value for c in funnel[2]][:3] == ["阶段", "数量 (单)", "金额 (元)"]
    assert funnel.freeze_panes == "A3"
    rows = {row[0].value: row for row in funnel.iter_rows(min_row=3, max_row=8)}
    assert list(rows) == ["线索", "需求确认", "方案报价", "商务谈判", "赢单", "输单"]
    won = rows["赢单"]
    # rep2's deal of 8,000 won in October: a number, shown with ¥ and thousands.
    assert (won[1].value, won[1].data_type, won[1].number_format) == (1, "n", "#,##0")
    assert (won[2].value, won[2].data_type, won[2].number_format) == (8000, "n", '"¥"#,##0.00')
    # The report's notes, in Chinese, under the table.
    notes = [row[0].value for row in funnel.iter_rows(min_row=10) if row[0].value]
    assert len(notes) == 4 and all("商机" in note or "原因" in note or "停留" in note for note in notes)
    reasons = book["赢单与输单原因"]
    assert [c.value for c in reasons[3]] == ["赢单", "未填写原因", 1, 8000]
    # Widths fit the longest cell, a Chinese character counting double: "在办停留天数中位数 (天)" is 21 wide.
    assert funnel.column_dimensions["F"].width >= 21
    assert funnel.column_dimensions["B"].width < funnel.column_dimensions["F"].width

    english = sign_in("lead1@example.com").get("/api/v1/reports/comparison", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(english.content))["Comparison"]
    header = [c.value for c in sheet[2]]
    row = {header[i]: cell for i, cell in enumerate(sheet[3])}
    attainment = row["Revenue attainment"]
    assert (attainment.data_type, attainment.number_format) == ("n", "0.0%")
    assert isinstance(attainment.value, float) and 0 < attainment.value < 1
    assert row["Revenue (CNY)"].number_format == '"¥"#,##0.00'


def test_an_unknown_format_or_table_names_the_choices(work, sign_in):
    lead = sign_in("lead1@example.com")
    bad_format = lead.get("/api/v1/reports/regions", params={"format": "pdf"})
    assert bad_format.status_code == 422
    assert bad_format.json()["errors"] == [
        {"field": "format", "code": "invalid_choice", "message": "must be one of: json, csv, xlsx, svg"}
    ]
    bad_table = lead.get("/api/v1/reports/regions", params={"format": "csv", "table": "moons"})
    assert bad_table.json()["errors"] == [
        {
            "field": "table",
            "code": "invalid_choice",
            "message": "must be one of: regions, cities, city_revenue, provinces, province_cities, points",
        }
    ]


def test_revenue_by_city_adds_up_to_each_regions_revenue_and_the_progress_api(work, sign_in, engine):
    from backend.customers.models import Customer

    with Session(engine, expire_on_commit=False) as session:
        rep2, rep3, rep4 = (actor(session, work.user(k)) for k in ("rep2", "rep3", "rep4"))
        hz, gz = customer(session, rep2, NOW, "杭州机电"), customer(session, rep3, NOW, "广州五金")
        sz = customer(session, rep4, NOW, "深圳电子")
        deal(session, rep2, hz, "3000", "won", "2026-11-09T03:00:00+00:00", NOW, "价格")
        deal(session, rep3, gz, "4500.25", "won", "2026-11-10T03:00:00+00:00", NOW, "关系")
        deal(session, rep4, sz, "999.99", "won", "2026-11-11T03:00:00+00:00", NOW)
        # Closed on 1 December in Shanghai, still 30 November in UTC: not November's revenue.
        deal(session, rep4, sz, "50", "won", "2026-11-30T17:00:00+00:00", NOW)
        for found in session.query(Customer).all():
            found.city = {"杭州机电": "杭州", "广州五金": "广州", "深圳电子": "深圳"}.get(found.name, "上海")
        session.commit()
    boss = sign_in("boss@example.com")
    body = boss.get("/api/v1/reports/regions", params={"period": "2026-11"}).json()
    regions = {r["name"]: r for r in body["tables"]["regions"]["rows"]}
    assert _revenue_by_region(body) == {n: Decimal(r["revenue_actual"]) for n, r in regions.items()}
    cities = {r["city"]: r["revenue"] for r in body["tables"]["cities"]["rows"]}
    assert cities == {"上海": "12000.50", "杭州": "3000.00", "广州": "4500.25", "深圳": "999.99"}
    east = {(r["city"], r["won_deals"]) for r in body["tables"]["city_revenue"]["rows"] if r["region"] == "east"}
    assert east == {("上海", 1), ("杭州", 1), ("广州", 1)}
    assert sum(Decimal(v) for v in cities.values()) == Decimal(_company_revenue(boss, work.unit("company")))
    # One level down, where team1 has a revenue goal: its cities add up to the progress API's actual.
    teams = boss.get("/api/v1/reports/regions", params={"unit_id": work.unit("east"), "period": "2026-11"}).json()
    team1 = _progress(boss, "unit", work.unit("team1"))["revenue"]["actual"]
    assert _revenue_by_region(teams)["team1"] == Decimal(team1) == Decimal("15000.50")


def test_the_grid_by_province_and_city_adds_up_and_names_what_was_not_given(work, sign_in, engine):
    from backend.customers.models import Customer

    places = {
        "杭州机电": ("浙江", "杭州"),
        "杭州电器": ("浙江", "杭州"),
        "宁波五金": ("浙江", "宁波"),
        "南京电子": (None, "南京"),
    }
    with Session(engine, expire_on_commit=False) as session:
        rep2, rep3 = (actor(session, work.user(k)) for k in ("rep2", "rep3"))
        hz, nb = customer(session, rep2, NOW, "杭州电器"), customer(session, rep3, NOW, "宁波五金")
        nj = customer(session, rep3, NOW, "南京电子")
        deal(session, rep2, hz, "3000", "won", "2026-11-09T03:00:00+00:00", NOW)
        deal(session, rep3, nb, "500.50", "won", "2026-11-10T03:00:00+00:00", NOW)
        deal(session, rep3, nb, "700", "lost", "2026-11-10T04:00:00+00:00", NOW, "价格")
        deal(session, rep3, nj, "100", "won", "2026-11-12T03:00:00+00:00", NOW)
        for found in session.query(Customer).all():
            found.province, found.city = places.get(found.name, ("上海", None))
        session.commit()
    boss = sign_in("boss@example.com")
    body = boss.get("/api/v1/reports/regions", params={"period": "2026-11"}).json()
    provinces = [
        (r["province"], r["province_name"], r["customers"], r["won_deals"], r["revenue"])
        for r in body["tables"]["provinces"]["rows"]
    ]
    # By revenue; no province given last, in words. rep1's 12,000.50 in November is a Shanghai customer's.
    assert provinces == [
        ("上海", "上海", 2, 1, "12000.50"),
        ("浙江", "浙江", 3, 2, "3500.50"),
        ("", "No province given", 1, 1, "100.00"),
    ]
    cities = [
        (r["province_name"], r["city_name"], r["customers"], r["won_deals"], r["revenue"])
        for r in body["tables"]["province_cities"]["rows"]
    ]
    assert cities == [
        ("上海", "No city given", 2, 1, "12000.50"),
        ("浙江", "杭州", 2, 1, "3000.00"),
        ("浙江", "宁波", 1, 1, "500.50"),
        ("No province given", "南京", 1, 1, "100.00"),
    ]
    # The grid's revenue is the company's revenue actual, as the regions' cities are.
    total = sum(Decimal(r["revenue"]) for r in body["tables"]["provinces"]["rows"])
    assert total == Decimal(_company_revenue(boss, work.unit("company")))
    book = load_workbook(io.BytesIO(boss.get("/api/v1/reports/regions", params={"format": "xlsx"}).content))
    sheet = book["Provinces and cities"]
    header = ["Province", "City", "Customers (customers)", "Won deals (deals)", "Revenue (CNY)"]
    assert [c.value for c in sheet[2]] == header
    assert [c.value for c in sheet[6]] == ["No province given", "南京", 1, 1, 100]


def _revenue_by_region(body: dict[str, Any]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in body["tables"]["city_revenue"]["rows"]:
        totals[row["region"]] = totals.get(row["region"], Decimal(0)) + Decimal(row["revenue"])
    return totals


def _company_revenue(api: Any, unit_id: str) -> str:
    """The company has no revenue goal here: its actual is the trend report's, computed by the engine."""
    trend = api.get(
        "/api/v1/reports/trend",
        params={"subject_type": "unit", "subject_id": unit_id, "period": "2026-11", "periods": 1},
    ).json()
    return trend["tables"]["trend"]["rows"][0]["revenue_actual"]


@pytest.mark.parametrize(("columns", "rows", "note"), [(10, 3, "… 3 × 10: CSV / XLSX"), (3, 3, None)])
def test_a_chart_table_cut_to_the_page_says_what_the_exports_hold(columns, rows, note):
    """The SVG prints at most eight columns and forty rows; a cut table says how large the whole one is."""
    from backend.reports.charts import render
    from backend.reports.service import Chart, Column, Report, Table

    table = Table(
        "t",
        "表",
        [Column(f"c{i}", f"列{i}") for i in range(columns)],
        [{f"c{i}": r * i for i in range(columns)} for r in range(rows)],
    )
    svg = render(Report("t", "报表", {}, [table], Chart("bar", "图", "个", "t", "c0", ["c1"])))
    texts = [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert [t for t in texts if t and t.startswith("…")] == ([note] if note else [])
