"""Charts as standalone SVG: a title, the unit on the axis, and the table behind the chart printed under it.

Black ink and greys with a dashed target line, so a chart survives a black-and-white printer; a viewBox and
no fixed width, so it scales to a phone. No map tiles: customers are plotted on plain longitude/latitude
axes (equirectangular, lon scaled by cos(mean lat) so distances look right at China's latitudes).
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

from backend.reports.service import Chart, Report, Table

WIDTH, PLOT_HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 48, 70
ROW_HEIGHT = 18
MAX_TABLE_ROWS = 40
PERCENT_UNITS = ("%",)


def _text(value: Any) -> str:
    return escape("" if value is None else str(value))


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _tick(value: float, unit: str) -> str:
    if unit in PERCENT_UNITS:
        return f"{value * 100:.0f}%"
    if abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:.4g}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _axes(chart: Chart, top_value: float) -> list[str]:
    parts = []
    bottom = TOP + PLOT_HEIGHT
    for i in range(5):
        value = top_value * i / 4
        y = bottom - PLOT_HEIGHT * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_text(_tick(value, chart.unit))}</text>'
        )
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#000"/>')
    parts.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#000"/>')
    parts.append(
        f'<text x="{LEFT - 6}" y="{TOP - 10}" text-anchor="end" font-style="italic">{_text(chart.unit)}</text>'
    )
    return parts


def _bars(chart: Chart, table: Table) -> list[str]:
    rows = table.rows[:MAX_TABLE_ROWS]
    key = chart.value_keys[0]
    values = [_number(r.get(key)) or 0.0 for r in rows]
    top_value = _nice_max(max(values, default=0.0))
    parts = _axes(chart, top_value)
    slot = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    bottom = TOP + PLOT_HEIGHT
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        height = PLOT_HEIGHT * value / top_value
        x = LEFT + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{bottom - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="#555"><title>{_text(row.get(chart.label_key))}: {_text(row.get(key))}</title></rect>'
        )
        label_x = x + slot * 0.35
        parts.append(
            f'<text x="{label_x:.1f}" y="{bottom + 14}" text-anchor="end" '
            f'transform="rotate(-35 {label_x:.1f} {bottom + 14})">{_text(row.get(chart.label_key))}</text>'
        )
    return parts


def _line(chart: Chart, table: Table) -> list[str]:
    rows = table.rows
    key = chart.value_keys[0]
    values = [_number(r.get(key)) for r in rows]
    targets = [_number(r.get(chart.reference_key)) for r in rows] if chart.reference_key else []
    top_value = _nice_max(max([v for v in values + targets if v is not None], default=0.0))
    parts = _axes(chart, top_value)
    step = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    bottom = TOP + PLOT_HEIGHT

    def point(i: int, value: float) -> str:
        return f"{LEFT + step * (i + 0.5):.1f},{bottom - PLOT_HEIGHT * value / top_value:.1f}"

    for series, style in (
        (values, 'stroke="#000" stroke-width="2"'),
        (targets, 'stroke="#777" stroke-dasharray="6 4"'),
    ):
        points = [point(i, v) for i, v in enumerate(series) if v is not None]
        if points:
            parts.append(f'<polyline points="{" ".join(points)}" fill="none" {style}/>')
    for i, value in enumerate(values):
        if value is not None:
            x, y = point(i, value).split(",")
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3.5" fill="#000"><title>{_text(rows[i].get(key))}</title></circle>'
            )
        parts.append(
            f'<text x="{LEFT + step * (i + 0.5):.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{_text(rows[i].get(chart.label_key))}</text>"
        )
    legend_y = bottom + 36
    parts.append(
        f'<line x1="{LEFT}" y1="{legend_y}" x2="{LEFT + 24}" y2="{legend_y}" stroke="#000" stroke-width="2"/>'
    )
    parts.append(f'<text x="{LEFT + 30}" y="{legend_y + 4}">actual</text>')
    parts.append(
        f'<line x1="{LEFT + 100}" y1="{legend_y}" x2="{LEFT + 124}" y2="{legend_y}" stroke="#777" stroke-dasharray="6 4"/>'
    )
    parts.append(f'<text x="{LEFT + 130}" y="{legend_y + 4}">target</text>')
    return parts


def _scatter(chart: Chart, table: Table) -> list[str]:
    points = [(_number(r.get("lon")), _number(r.get("lat")), r) for r in table.rows]
    placed = [(x, y, r) for x, y, r in points if x is not None and y is not None]
    bottom = TOP + PLOT_HEIGHT
    parts = [
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{PLOT_HEIGHT}" fill="none" stroke="#000"/>',
        f'<text x="{WIDTH - RIGHT}" y="{bottom + 30}" text-anchor="end" font-style="italic">longitude °E</text>',
        f'<text x="{LEFT - 6}" y="{TOP - 10}" text-anchor="end" font-style="italic">latitude °N</text>',
    ]
    if not placed:
        return parts
    lons, lats = [p[0] for p in placed], [p[1] for p in placed]
    scale_x = math.cos(math.radians(sum(lats) / len(lats)))
    span = max((max(lons) - min(lons)) * scale_x, max(lats) - min(lats), 0.01) * 1.1
    width, height = WIDTH - LEFT - RIGHT, PLOT_HEIGHT
    per_degree = min(width, height) / span
    mid_x, mid_y = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return LEFT + width / 2 + (lon - mid_x) * scale_x * per_degree, TOP + height / 2 - (
            lat - mid_y
        ) * per_degree

    for lon, lat in ((min(lons), min(lats)), (max(lons), max(lats))):
        x, y = project(lon, lat)
        parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">{lon:.2f}</text>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{lat:.2f}</text>')
    for lon, lat, row in placed:
        x, y = project(lon, lat)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#000" fill-opacity="0.6">'
            f"<title>{_text(row.get('name'))} {_text(row.get('city'))}</title></circle>"
        )
    return parts


def _fit(text: str, width: float) -> str:
    """The text cut to what fits in `width` at the table's 11 px (a CJK character is about twice as wide)."""
    room = width - 8
    for end, char in enumerate(text):
        room -= 11 if ord(char) > 0x2E80 else 6
        if room < 0:
            return text[: max(end - 1, 1)] + "…"
    return text


def _table(table: Table, top: float) -> tuple[list[str], float]:
    columns = table.columns[:8]  # what fits across a page; the CSV and XLSX carry every column
    rows = table.rows[:MAX_TABLE_ROWS]
    width = (WIDTH - 20) / max(len(columns), 1)
    parts = []
    y = top
    for i, column in enumerate(columns):
        label = _fit(column.label, width)
        parts.append(f'<text x="{10 + i * width:.1f}" y="{y:.1f}" font-weight="bold">{_text(label)}</text>')
        if column.unit:
            parts.append(
                f'<text x="{10 + i * width:.1f}" y="{y + ROW_HEIGHT:.1f}">({_text(_fit(column.unit, width))})</text>'
            )
    if any(column.unit for column in columns):
        y += ROW_HEIGHT
    for row in rows:
        y += ROW_HEIGHT
        for i, column in enumerate(columns):
            parts.append(f'<text x="{10 + i * width:.1f}" y="{y:.1f}">{_text(row.get(column.key))}</text>')
    if len(table.rows) > len(rows) or len(table.columns) > len(columns):
        y += ROW_HEIGHT
        whole = f"{len(table.rows)} × {len(table.columns)}"
        parts.append(f'<text x="10" y="{y:.1f}" font-style="italic">… {whole}: CSV / XLSX</text>')
    return parts, y


def render(report: Report) -> str:
    """The report's chart, with the table it is drawn from printed below it."""
    chart = report.chart
    table = report.table(chart.table)
    if chart.kind == "line":
        body = _line(chart, table)
    elif chart.kind == "scatter":
        body = _scatter(chart, table)
    else:
        body = _bars(chart, table)
    shown = report.table(None) if chart.kind == "scatter" else table
    table_parts, end = _table(shown, TOP + PLOT_HEIGHT + BOTTOM + 20)
    height = end + 20
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'font-family="sans-serif" font-size="11" aria-labelledby="t d">'
        f'<title id="t">{_text(chart.title)}</title>'
        f'<desc id="d">{_text(report.title)}; unit: {_text(chart.unit)}</desc>'
        f'<rect width="{WIDTH}" height="{height:.0f}" fill="#fff"/>'
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{_text(chart.title)}</text>'
        + "".join(body)
        + "".join(table_parts)
        + "</svg>"
    )
