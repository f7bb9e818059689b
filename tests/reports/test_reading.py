"""Reports as people read them: words in the reader's language instead of codes, a period picker's month,
quarter and year, drill-down from the company to a rep's visits, the funnel's conversion between stages,
and people of the same name told apart."""

from __future__ import annotations

import calendar
import csv
import io
import re
import uuid
from datetime import date, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from backend.org.models import User
from backend.periods import period_containing
from tests.conftest import both_databases
from tests.factories import add_user

REPORTS = ("trend", "comparison", "regions", "funnel", "evidence")
SVG = "{http://www.w3.org/2000/svg}"
# A code as the server spells them: `close_reason`, `visits_logged`; and the JSON word for nothing.
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\bnull\b|\bNone\b")


def _in_chinese(sign_in: Any, email: str) -> Any:
    api = sign_in(email)
    changed = api.patch("/api/v1/me", json={"locale": "zh-CN"})
    assert changed.status_code == 200, changed.text
    return api


def _month(clock: Any) -> str:
    return clock.now.strftime("%Y-%m")


def _svg_texts(content: bytes) -> list[str]:
    root = ElementTree.fromstring(content)
    return [t.text or "" for tag in ("text", "title", "desc") for t in root.iter(f"{SVG}{tag}")]


def _everything_read(api: Any, report: str, params: dict[str, str]) -> list[str]:
    """Every text a person reads of a report: the JSON's titles, labels, units, notes and text cells (in
    words where a column has them), every table's CSV, the XLSX's cells and the SVG's texts."""
    body = api.get(f"/api/v1/reports/{report}", params=params).json()
    said = [body["title"], *body["notes"], body["period_info"]["label"]]
    for name, table in body["tables"].items():
        said += (
            [table["title"]] + [c["label"] for c in table["columns"]] + [c["unit"] or "" for c in table["columns"]]
        )
        texts = [c for c in table["columns"] if c["format"] == "text"]
        said += [str(row.get(c["display_key"] or c["key"]) or "") for row in table["rows"] for c in texts]
        csv_file = api.get(f"/api/v1/reports/{report}", params=params | {"format": "csv", "table": name})
        said.append(csv_file.content.decode("utf-8-sig"))
    book = load_workbook(
        io.BytesIO(api.get(f"/api/v1/reports/{report}", params=params | {"format": "xlsx"}).content)
    )
    said += book.sheetnames
    said += [
        str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None
    ]
    said += _svg_texts(api.get(f"/api/v1/reports/{report}", params=params | {"format": "svg"}).content)
    return said


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_no_code_reaches_a_reader_of_any_report_in_any_format(work, sign_in, clock, locale):
    lead = sign_in("lead1@example.com")
    assert lead.patch("/api/v1/me", json={"locale": locale}).status_code == 200
    params = {"subject_type": "unit", "period": _month(clock)}
    for report in REPORTS:
        said = _everything_read(lead, report, params)
        # Ids are no codes: a customer's id is a column of the points table.
        leftovers = [text for text in said if CODE.search(re.sub(r"[0-9a-f-]{36}", "", text))]
        assert leftovers == [], (report, leftovers)


@both_databases
def test_a_chinese_reader_sees_words_where_the_server_has_codes(work, sign_in, clock):
    lead = _in_chinese(sign_in, "lead1@example.com")
    params = {"subject_type": "unit", "period": _month(clock)}
    for report in REPORTS:
        notes = lead.get(f"/api/v1/reports/{report}", params=params).json()["notes"]
        assert notes and all(re.search(r"[\u4e00-\u9fff]", note) for note in notes), report

    funnel = lead.get("/api/v1/reports/funnel", params=params).json()
    rows = funnel["tables"]["funnel"]["rows"]
    assert [(r["stage"], r["stage_name"], r["in_funnel"]) for r in rows] == [
        ("lead", "线索", True),
        ("qualified", "需求确认", True),
        ("proposal", "方案报价", True),
        ("negotiation", "商务谈判", True),
        ("won", "赢单", True),
        ("lost", "输单", False),
    ]
    reasons = funnel["tables"]["reasons"]
    header = [(c["label"], c["unit"]) for c in reasons["columns"]]
    assert header == [("结果", None), ("原因", None), ("数量", "单"), ("金额", "元")]
    assert [(r["outcome_name"], r["reason_text"]) for r in reasons["rows"]] == [("赢单", "价格"), ("输单", "竞品")]
    evidence = lead.get("/api/v1/reports/evidence", params=params).json()
    labels = {c["key"]: (c["label"], c["unit"]) for c in evidence["tables"]["evidence"]["columns"]}
    assert labels["visits_logged"] == ("提交拜访", "次")
    assert labels["out_of_range_share"] == ("超范围占比", None)


def test_exports_write_words_for_codes_and_fractions_as_percentages(work, sign_in, clock):
    lead = sign_in("lead1@example.com")
    params = {"subject_type": "unit", "period": _month(clock), "format": "csv"}
    reasons = list(
        csv.reader(
            io.StringIO(
                lead.get("/api/v1/reports/funnel", params=params | {"table": "reasons"}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert reasons == [
        ["Outcome", "Reason", "Count (deals)", "Amount (CNY)"],
        ["Won", "价格", "1", "12000.50"],
        ["Lost", "竞品", "1", "5000.00"],
    ]
    comparison = list(
        csv.reader(io.StringIO(lead.get("/api/v1/reports/comparison", params=params).content.decode("utf-8-sig")))
    )
    header = comparison[0]
    rep1 = next(row for row in comparison if row[0] == "Rep1")
    # 12,000.50 of a 50,000 target: the sheet reads "24.00%" as the number 0.24.
    assert rep1[header.index("Revenue attainment")] == "24.00%"
    assert rep1[header.index("Revenue (CNY)")] == "12000.50"


def _spelled(kind: str, day: date) -> tuple[str, str, str, str, str, str, str]:
    """The period of `kind` holding `day`, spelled by hand: key, English label, first and last day, the keys
    before and after it, and its Chinese label."""
    y, m = day.year, day.month
    if kind == "month":
        last = calendar.monthrange(y, m)[1]
        before = f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"
        after = f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"
        return (
            f"{y}-{m:02d}",
            f"{calendar.month_name[m]} {y}",
            f"{y}-{m:02d}-01",
            f"{y}-{m:02d}-{last}",
            before,
            after,
            f"{y}年{m}月",
        )
    if kind == "quarter":
        q = (m - 1) // 3 + 1
        end = q * 3
        before = f"{y - 1}-Q4" if q == 1 else f"{y}-Q{q - 1}"
        after = f"{y + 1}-Q1" if q == 4 else f"{y}-Q{q + 1}"
        return (
            f"{y}-Q{q}",
            f"Q{q} {y}",
            f"{y}-{end - 2:02d}-01",
            f"{y}-{end:02d}-{calendar.monthrange(y, end)[1]}",
            before,
            after,
            f"{y}年第{q}季度",
        )
    return (str(y), str(y), f"{y}-01-01", f"{y}-12-31", str(y - 1), str(y + 1), f"{y}年")


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_every_report_takes_a_month_quarter_or_year_and_states_it_for_a_picker(work, sign_in, clock, kind):
    # The clock's month, its quarter and its year, spelled in the test from the clock's day.
    today = clock.now.date()
    period, label, first_day, last_day, previous, following, chinese_label = _spelled(kind, today)
    assert period == period_containing(kind, today).key
    lead = sign_in("lead1@example.com")
    for report in REPORTS:
        answer = lead.get(f"/api/v1/reports/{report}", params={"subject_type": "unit", "period": period})
        assert answer.status_code == 200, (report, answer.text)
        info = answer.json()["period_info"]
        assert info == {
            "key": period,
            "kind": kind,
            "label": label,
            "first_day": first_day,
            "last_day": last_day,
            "previous": previous,
            "previous_label": info["previous_label"],
            "next": following,
            "next_label": info["next_label"],
            "current": period,
            "current_label": label,
        }, report
    chinese = _in_chinese(sign_in, "lead1@example.com")
    info = chinese.get("/api/v1/reports/funnel", params={"period": period}).json()["period_info"]
    assert info["label"] == chinese_label


def test_a_quarter_is_the_sum_of_its_months(work, sign_in, clock):
    lead = sign_in("lead1@example.com")
    quarter = period_containing("quarter", clock.now.date())
    team = {"subject_type": "unit", "subject_id": work.unit("team1")}
    months = lead.get("/api/v1/reports/trend", params=team | {"period": _month(clock), "periods": 3}).json()
    by_quarter = lead.get("/api/v1/reports/trend", params=team | {"period": quarter.key, "periods": 2}).json()
    assert by_quarter["periods"] == [quarter.previous().key, quarter.key]
    in_quarter = [r for r in months["tables"]["trend"]["rows"] if quarter.contains_day(_first_day(r["period"]))]
    row = by_quarter["tables"]["trend"]["rows"][-1]
    assert row["period_label"] == "Q4 2026"
    assert int(row["visits_actual"]) == sum(int(r["visits_actual"]) for r in in_quarter) == 5
    total = sum(float(r["revenue_actual"]) for r in in_quarter)
    assert float(row["revenue_actual"]) == total == 20000.50


def _first_day(key: str) -> Any:
    from backend.periods import parse_period

    return parse_period(key).start


@pytest.mark.parametrize("period", ["2026-Q5", "Q4", "2026-13", "November", "2026-q4"])
def test_a_period_that_is_not_one_is_refused_naming_the_field_in_the_readers_language(work, sign_in, period):
    chinese = _in_chinese(sign_in, "lead1@example.com")
    for report in REPORTS:
        refused = chinese.get(f"/api/v1/reports/{report}", params={"period": period})
        assert refused.status_code == 422, report
        assert refused.json()["errors"] == [
            {
                "field": "period",
                "code": "wrong_type",
                "message": "必须是期间，如 2026、2026-Q4、2026-11 或 2026-W48",
            }
        ]


@both_databases
def test_drill_down_from_the_company_to_a_reps_visits(work, sign_in, clock):
    """Each row names where the next level is: company → regions → teams → reps → the rep's visits."""
    boss = sign_in("boss@example.com")

    def rows(drill: dict[str, Any]) -> list[dict[str, Any]]:
        answer = boss.get(drill["path"], params=drill["query"])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body if isinstance(body, list) else body["tables"]["comparison"]["rows"]

    start = {"path": "/api/v1/reports/comparison", "query": {"period": _month(clock), "by": "team"}}
    regions = {r["name"]: r for r in rows(start)}
    assert set(regions) == {"east", "south"}
    assert regions["east"]["drill"]["level"] == "team"
    teams = {r["name"]: r for r in rows(regions["east"]["drill"])}
    assert set(teams) == {"team1", "team2"}
    assert teams["team1"]["drill"]["level"] == "rep"
    reps = {r["name"]: r for r in rows(teams["team1"]["drill"])}
    assert {"Rep1", "Rep2"} <= set(reps)
    rep1 = reps["Rep1"]
    assert rep1["subject_id"] == work.user("rep1") and rep1["drill"]["level"] == "visits"
    visits = rows(rep1["drill"])
    # The visits behind the rep's figure: November's three approved visits, not October's.
    assert len(visits) == int(rep1["visits_actual"]) == 3
    assert {v["rep_id"] for v in visits} == {work.user("rep1")}
    assert {v["status"] for v in visits} == {"approved"}

    # The regions report drills the same way, and the evidence report to each rep's visits.
    by_region = boss.get("/api/v1/reports/regions", params={"period": _month(clock)}).json()
    east = next(r for r in by_region["tables"]["regions"]["rows"] if r["name"] == "east")
    assert east["drill"] == {
        "level": "team",
        "path": "/api/v1/reports/regions",
        "query": {"unit_id": work.unit("east"), "period": _month(clock)},
    }
    evidence = boss.get(
        "/api/v1/reports/evidence", params={"subject_type": "unit", "period": _month(clock)}
    ).json()
    rep1_evidence = next(r for r in evidence["tables"]["evidence"]["rows"] if r["rep_id"] == work.user("rep1"))
    assert rep1_evidence["drill"] == rep1["drill"]


def test_the_funnel_states_the_conversion_between_stages_and_lost_is_no_stage_of_it(org, sign_in, engine, clock):
    from backend.opportunities.service import advance, create_opportunity
    from tests.kpi.helpers import actor, customer

    created = clock.now - timedelta(days=10)
    with Session(engine, expire_on_commit=False) as session:
        rep1 = actor(session, org.user("rep1"))
        shop = customer(session, rep1, created)
        # Four deals created in the month: all at lead, three qualified, two at proposal, one won; one lost.
        for furthest in ("lead", "qualified", "proposal", "won"):
            deal = create_opportunity(session, rep1, str(uuid.uuid4()), {"customer_id": shop}, created)
            path = {"lead": [], "qualified": ["qualified"], "proposal": ["qualified", "proposal"]}
            steps = path.get(furthest, ["qualified", "proposal", "negotiation", "won"])
            for day, stage in enumerate(steps, start=1):
                reason = {"reason": "关系"} if stage == "won" else {}
                advance(session, rep1, deal, stage, created + timedelta(days=day), clock.now, **reason)
        lost = create_opportunity(session, rep1, str(uuid.uuid4()), {"customer_id": shop}, created)
        advance(session, rep1, lost, "lost", created + timedelta(days=1), clock.now, reason="预算")
        session.commit()
    lead = sign_in("lead1@example.com")
    body = lead.get("/api/v1/reports/funnel", params={"subject_type": "unit", "period": _month(clock)}).json()
    # Reached: lead 5 (the lost deal too), qualified 3, proposal 2, negotiation 1, won 1.
    assert [(s["from_stage"], s["to_stage"], s["conversion"], s["conversion_text"]) for s in body["steps"]] == [
        ("lead", "qualified", 0.6, "60.0%"),
        ("qualified", "proposal", 0.6667, "66.7%"),
        ("proposal", "negotiation", 0.5, "50.0%"),
        ("negotiation", "won", 1.0, "100.0%"),
    ]
    assert [s["to_name"] for s in body["steps"]] == ["Qualified", "Proposal", "Negotiation", "Won"]
    assert (body["conversion"], body["conversion_text"]) == ("0.5000", "50.0%")
    rows = {r["stage"]: r for r in body["tables"]["funnel"]["rows"]}
    assert [s for s, r in rows.items() if not r["in_funnel"]] == ["lost"]

    svg = lead.get(
        "/api/v1/reports/funnel", params={"subject_type": "unit", "period": _month(clock), "format": "svg"}
    )
    root = ElementTree.fromstring(svg.content)
    shapes = [p.find(f"{SVG}title").text for p in root.iter(f"{SVG}polygon")]
    assert shapes == [
        "Lead: 5 deals",
        "Qualified: 3 deals",
        "Proposal: 2 deals",
        "Negotiation: 1 deal",
        "Won: 1 deal",
    ]
    texts = _svg_texts(svg.content)
    assert [t for t in texts if t.startswith("↓")] == [
        "↓ conversion 60.0%",
        "↓ conversion 66.7%",
        "↓ conversion 50.0%",
        "↓ conversion 100.0%",
    ]
    assert any(t.startswith("Lost: 1 in the period") for t in texts)


def test_the_comparison_is_drawn_as_bars_sorted_largest_first_with_the_target_marked(work, sign_in, clock):
    lead = sign_in("lead1@example.com")
    svg = lead.get("/api/v1/reports/comparison", params={"period": _month(clock), "format": "svg"})
    root = ElementTree.fromstring(svg.content)
    bars = [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    # rep1 won 12,000.50 against a 50,000 target; rep2 and the lead nothing this month.
    assert bars[0] == "Rep1: ¥12,000.50 · 24.0%"
    assert sorted(bars[1:]) == ["Lead1: ¥0.00", "Rep2: ¥0.00"]
    marks = [line for line in root.iter(f"{SVG}line") if line.get("stroke-width") == "2"]
    assert len(marks) == 2  # rep1's target, and the legend's


def test_people_of_the_same_name_are_told_apart(org, engine, sign_in, clock):
    with Session(engine, expire_on_commit=False) as session:
        add_user(session, org, "wang.a", "rep", "team1")
        add_user(session, org, "wang.b", "rep", "team1")
        add_user(session, org, "wang.c", "rep", "team2")
        for key in ("wang.a", "wang.b", "wang.c"):
            user = session.get(User, org.user(key))
            assert user is not None
            user.name = "王强"
        session.commit()
    boss = _in_chinese(sign_in, "boss@example.com")
    params = {"unit_id": org.unit("east"), "period": _month(clock)}
    names = {
        r["subject_id"]: r["name"]
        for r in boss.get("/api/v1/reports/comparison", params=params).json()["tables"]["comparison"]["rows"]
    }
    # Two share team1: their emails tell them apart; the one in team2 is told by the team.
    assert names[org.user("wang.a")] == "王强（wang.a）"
    assert names[org.user("wang.b")] == "王强（wang.b）"
    assert names[org.user("wang.c")] == "王强（team2）"
    assert names[org.user("rep1")] == "Rep1"  # a name nobody else has stays as it is
    evidence = boss.get(
        "/api/v1/reports/evidence", params={"subject_type": "unit", "subject_id": org.unit("east")}
    )
    shown = {r["rep_id"]: r["name"] for r in evidence.json()["tables"]["evidence"]["rows"]}
    assert shown[org.user("wang.c")] == "王强（team2）"


def test_a_trend_of_no_periods_or_too_many_is_refused_naming_the_field(work, sign_in):
    chinese = _in_chinese(sign_in, "lead1@example.com")
    for periods in ("0", "25"):
        refused = chinese.get("/api/v1/reports/trend", params={"periods": periods})
        assert refused.status_code == 422, periods
        assert refused.json()["errors"] == [
            {"field": "periods", "code": "out_of_range", "message": "必须在 1 到 24 之间"}
        ]
    refused = chinese.get("/api/v1/reports/trend", params={"periods": "six"})
    assert [e["field"] for e in refused.json()["errors"]] == ["periods"], refused.json()
