"""Charts as standalone SVG, for exports and printing: a title, the unit, the chart, and the table behind it
printed under it, every word in the reader's language and every figure formatted (words.py).

Kept modest on purpose (the app draws its own interactive charts): the trend as lines (actual, and the
target dashed), the comparison as bars sorted largest first with each subject's target marked, the funnel
as a funnel of the period's new deals with the conversion between stages (lost is where deals leave it, said
under it, not drawn as a stage), customers on plain longitude/latitude axes (equirectangular, lon scaled by
cos(mean lat) so distances look right at China's latitudes; no map tiles). Colours carry meaning only where
a word or a mark says the same (a bar past its target is green and also reaches past its mark), so a chart
still reads printed in black and white. A viewBox and no fixed width: it scales to a phone.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

from backend.reports import words
from backend.reports.service import Chart, Report, Table

WIDTH, PLOT_HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 48, 70
ROW_HEIGHT = 18
BAR_ROW = 20
MAX_TABLE_ROWS = 40
MAX_BARS = 40  # more bars are unreadable: the best and the worst half each, and how many are left out
NAME_WIDTH = 150
INK, GRID, MUTED = "#1f2937", "#e2e8f0", "#475569"
ACTUAL, TARGET, REACHED, NO_GOAL = "#0f766e", "#64748b", "#15803d", "#94a3b8"
FUNNEL_COLOURS = ("#134e4a", "#0f766e", "#0d9488", "#14b8a6", "#15803d")


def _text(value: Any) -> str:
    return escape("" if value is None else str(value))


def _number(value: Any) -> float | None:
    return words.as_number(value)


def _tick(value: float, fmt: str, locale: str) -> str:
    if fmt == "percent":
        return f"{value * 100:.0f}%"
    prefix = "¥" if fmt == "money" else ""

    def short(number: float) -> str:
        return f"{number:.1f}".removesuffix(".0")

    if locale.startswith("zh"):
        if abs(value) >= 100_000_000:
            return f"{prefix}{short(value / 100_000_000)}亿"
        if abs(value) >= 10_000:
            return f"{prefix}{short(value / 10_000)}万"
    else:
        if abs(value) >= 1_000_000:
            return f"{prefix}{short(value / 1_000_000)}M"
        if abs(value) >= 10_000:
            return f"{prefix}{short(value / 1_000)}k"
    return prefix + f"{value:,.4g}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fit(text: str, width: float) -> str:
    """The text cut to what fits in `width` at 11 px (a CJK character is about twice as wide)."""
    room = width - 8
    for end, char in enumerate(text):
        room -= 11 if ord(char) >= 0x2E80 else 6
        if room < 0:
            return text[: max(end - 1, 1)] + "…"
    return text


def _unit_caption(chart: Chart, x: float, y: float, anchor: str = "end") -> list[str]:
    if not chart.unit:
        return []
    return [
        f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-style="italic" fill="{MUTED}">{_text(chart.unit)}</text>'
    ]


def _axes(chart: Chart, top_value: float, locale: str) -> list[str]:
    parts = []
    bottom = TOP + PLOT_HEIGHT
    for i in range(5):
        value = top_value * i / 4
        y = bottom - PLOT_HEIGHT * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_text(_tick(value, chart.format, locale))}</text>'
        )
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="{INK}"/>')
    parts.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="{INK}"/>')
    return parts + _unit_caption(chart, LEFT - 6, TOP - 10)


def _bars(chart: Chart, table: Table, locale: str) -> tuple[list[str], float]:
    """Upright bars in the table's order (a few labelled categories)."""
    rows = table.rows[:MAX_TABLE_ROWS]
    key = chart.value_keys[0]
    values = [_number(r.get(key)) or 0.0 for r in rows]
    top_value = _nice_max(max(values, default=0.0))
    parts = _axes(chart, top_value, locale)
    slot = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    bottom = TOP + PLOT_HEIGHT
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        height = PLOT_HEIGHT * value / top_value
        x = LEFT + i * slot + slot * 0.15
        shown = words.figure(row.get(key), chart.format)
        parts.append(
            f'<rect x="{x:.1f}" y="{bottom - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="{ACTUAL}"><title>{_text(row.get(chart.label_key))}: {_text(shown)}</title></rect>'
        )
        label_x = x + slot * 0.35
        parts.append(
            f'<text x="{label_x:.1f}" y="{bottom + 14}" text-anchor="end" '
            f'transform="rotate(-35 {label_x:.1f} {bottom + 14})">{_text(row.get(chart.label_key))}</text>'
        )
    return parts, bottom + BOTTOM


def _sorted_bars(chart: Chart, table: Table, locale: str) -> tuple[list[str], float]:
    """One bar per row, largest first, named on the left, its figure at its end; where the chart names a
    reference (a target), a mark on each bar and the attainment beside the figure. Past MAX_BARS rows: the
    best and the worst half each, and a line saying how many are left out between them."""
    key, reference = chart.value_keys[0], chart.reference_key
    measured = [(r, _number(r.get(key))) for r in table.rows]
    rows = sorted(((r, v) for r, v in measured if v is not None), key=lambda rv: -rv[1])
    unmeasured = len(measured) - len(rows)
    left_out = max(len(rows) - MAX_BARS, 0)
    if left_out:
        rows = rows[: MAX_BARS // 2] + rows[-MAX_BARS // 2 :]
    targets = [_number(r.get(reference)) if reference else None for r, _ in rows]
    top_value = _nice_max(max([v for _, v in rows] + [t for t in targets if t is not None], default=0.0))
    x0, width = NAME_WIDTH + 10, WIDTH - NAME_WIDTH - 10 - 150
    parts: list[str] = []
    y = TOP + 4
    ticks_y = y
    for i in range(5):
        x = x0 + width * i / 4
        parts.append(
            f'<text x="{x:.1f}" y="{ticks_y}" text-anchor="middle" fill="{MUTED}">'
            f"{_text(_tick(top_value * i / 4, chart.format, locale))}</text>"
        )
    if chart.format not in ("money", "percent"):  # ¥ and % say it on the ticks already
        parts += _unit_caption(chart, x0 + width + 6, ticks_y, "start")
    y += 8
    grid_top = y
    for i, ((row, value), target) in enumerate(zip(rows, targets, strict=True)):
        if left_out and i == MAX_BARS // 2:
            more = words.say(
                locale, f"… 中间还有 {left_out} 项，见表格", f"… {left_out} more in between: see the table"
            )
            parts.append(f'<text x="{x0}" y="{y + 14}" fill="{MUTED}" font-style="italic">{_text(more)}</text>')
            y += BAR_ROW
        reached = target is not None and target > 0 and value >= target
        colour = REACHED if reached else (NO_GOAL if reference and target is None else ACTUAL)
        length = width * value / top_value
        name = row.get(chart.label_key)
        shown = words.figure(value, chart.format)
        if target is not None and target > 0:
            shown += f" · {words.figure(value / target, 'percent')}"
        parts.append(
            f'<text x="{x0 - 6}" y="{y + 14}" text-anchor="end">{_text(_fit(str(name or ""), NAME_WIDTH))}</text>'
        )
        parts.append(
            f'<rect x="{x0}" y="{y + 3}" width="{length:.1f}" height="14" fill="{colour}">'
            f"<title>{_text(name)}: {_text(shown)}</title></rect>"
        )
        if target is not None:
            tx = x0 + width * target / top_value
            parts.append(
                f'<line x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" y2="{y + BAR_ROW}" stroke="{INK}" stroke-width="2"/>'
            )
        parts.append(f'<text x="{x0 + length + 4:.1f}" y="{y + 14}">{_text(shown)}</text>')
        y += BAR_ROW
    parts.insert(0, f'<line x1="{x0}" y1="{grid_top}" x2="{x0}" y2="{y}" stroke="{INK}"/>')
    for i in range(1, 5):
        x = x0 + width * i / 4
        parts.insert(0, f'<line x1="{x:.1f}" y1="{grid_top}" x2="{x:.1f}" y2="{y}" stroke="{GRID}"/>')
    if not rows:
        parts.append(
            f'<text x="{x0}" y="{y + 14}" fill="{MUTED}">{_text(words.say(locale, "没有数据", "No data"))}</text>'
        )
        y += BAR_ROW
    y += 10
    if reference:
        parts += [
            f'<line x1="{x0}" y1="{y + 2}" x2="{x0}" y2="{y + 16}" stroke="{INK}" stroke-width="2"/>',
            f'<text x="{x0 + 6}" y="{y + 13}">{_text(words.say(locale, "目标", "Target"))}</text>',
            f'<rect x="{x0 + 70}" y="{y + 3}" width="14" height="12" fill="{REACHED}"/>',
            f'<text x="{x0 + 90}" y="{y + 13}">{_text(words.say(locale, "已达目标", "Target reached"))}</text>',
            f'<rect x="{x0 + 200}" y="{y + 3}" width="14" height="12" fill="{ACTUAL}"/>',
            f'<text x="{x0 + 220}" y="{y + 13}">{_text(words.say(locale, "未达目标", "Below target"))}</text>',
            f'<rect x="{x0 + 330}" y="{y + 3}" width="14" height="12" fill="{NO_GOAL}"/>',
            f'<text x="{x0 + 350}" y="{y + 13}">{_text(words.say(locale, "没有目标", "No target"))}</text>',
        ]
        y += BAR_ROW
    if unmeasured:
        note = words.say(
            locale, f"另有 {unmeasured} 项没有数据，未画出", f"{unmeasured} more without a figure, not drawn"
        )
        parts.append(f'<text x="{x0}" y="{y + 13}" fill="{MUTED}">{_text(note)}</text>')
        y += BAR_ROW
    return parts, y + 10


def _funnel(chart: Chart, table: Table, locale: str) -> tuple[list[str], float]:
    """The funnel's stages top to bottom, each as wide as the deals that reached it, the conversion from
    one stage to the next between them; the rows that are not stages (lost) said under it."""
    key = chart.value_keys[0]
    stages = [r for r in table.rows if r.get("in_funnel", True)]
    outside = [r for r in table.rows if not r.get("in_funnel", True)]
    values = [_number(r.get(key)) or 0.0 for r in stages]
    top_value = max(values, default=0.0) or 1.0
    name_x, centre, full = 130, (150 + WIDTH - 160) / 2, WIDTH - 160 - 150
    height, gap = 34, 22
    parts: list[str] = []
    y = float(TOP)
    widths = [max(full * v / top_value, 6.0) for v in values]
    for i, (row, value) in enumerate(zip(stages, values, strict=True)):
        upper = widths[i]
        lower = widths[i + 1] if i + 1 < len(widths) else upper * 0.85
        points = (
            f"{centre - upper / 2:.1f},{y:.1f} {centre + upper / 2:.1f},{y:.1f} "
            f"{centre + lower / 2:.1f},{y + height:.1f} {centre - lower / 2:.1f},{y + height:.1f}"
        )
        name = row.get(chart.label_key)
        unit = chart.unit or ""
        if value == 1 and not locale.startswith("zh"):
            unit = unit.removesuffix("s")  # 1 deal, 2 deals
        shown = words.figure(value, chart.format) + (f" {unit}" if unit else "")
        colour = FUNNEL_COLOURS[min(i, len(FUNNEL_COLOURS) - 1)]
        parts.append(
            f'<polygon points="{points}" fill="{colour}"><title>{_text(name)}: {_text(shown)}</title></polygon>'
        )
        parts.append(
            f'<text x="{name_x}" y="{y + height / 2 + 4:.1f}" text-anchor="end" font-weight="bold">{_text(name)}</text>'
        )
        parts.append(
            f'<text x="{centre + max(upper, lower) / 2 + 8:.1f}" y="{y + height / 2 + 4:.1f}">{_text(shown)}</text>'
        )
        y += height
        if i + 1 < len(stages):
            conversion = stages[i + 1].get("conversion_from_previous")
            said = words.figure(conversion, "percent") if conversion is not None else "—"
            text = words.say(locale, f"↓ 转化率 {said}", f"↓ conversion {said}")
            parts.append(
                f'<text x="{centre}" y="{y + gap / 2 + 4:.1f}" text-anchor="middle" fill="{MUTED}">{_text(text)}</text>'
            )
            y += gap
    if not any(values):
        empty = words.say(locale, "本期没有新建的商机", "No deals were created in the period")
        parts.append(
            f'<text x="{centre}" y="{y + 18:.1f}" text-anchor="middle" fill="{MUTED}">{_text(empty)}</text>'
        )
        y += 24
    for row in outside:
        count = words.figure(row.get("count"), "integer")
        text = words.say(
            locale,
            f"{row.get(chart.label_key)}：本期 {count} 单（离开漏斗的商机，不是漏斗的一个阶段）",
            f"{row.get(chart.label_key)}: {count} in the period (deals that left the funnel, not a stage of it)",
        )
        parts.append(f'<text x="{name_x - 100}" y="{y + 22:.1f}" fill="{MUTED}">{_text(text)}</text>')
        y += 24
    return parts, y + 20


def _line(chart: Chart, table: Table, locale: str) -> tuple[list[str], float]:
    rows = table.rows
    key = chart.value_keys[0]
    values = [_number(r.get(key)) for r in rows]
    targets = [_number(r.get(chart.reference_key)) for r in rows] if chart.reference_key else []
    top_value = _nice_max(max([v for v in values + targets if v is not None], default=0.0))
    parts = _axes(chart, top_value, locale)
    step = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    bottom = TOP + PLOT_HEIGHT

    def point(i: int, value: float) -> str:
        return f"{LEFT + step * (i + 0.5):.1f},{bottom - PLOT_HEIGHT * value / top_value:.1f}"

    for series, style in (
        (values, f'stroke="{ACTUAL}" stroke-width="2.5"'),
        (targets, f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="6 4"'),
    ):
        points = [point(i, v) for i, v in enumerate(series) if v is not None]
        if points:
            parts.append(f'<polyline points="{" ".join(points)}" fill="none" {style}/>')
    for i, value in enumerate(values):
        if value is not None:
            x, y = point(i, value).split(",")
            shown = words.figure(rows[i].get(key), chart.format)
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3.5" fill="{ACTUAL}"><title>{_text(shown)}</title></circle>'
            )
        label_x = LEFT + step * (i + 0.5)
        # Many periods: labels slanted so they do not run into each other.
        slant = f' text-anchor="end" transform="rotate(-35 {label_x:.1f} {bottom + 16})"' if step < 90 else ""
        anchor = "" if slant else ' text-anchor="middle"'
        parts.append(
            f'<text x="{label_x:.1f}" y="{bottom + 16}"{anchor}{slant}>{_text(rows[i].get(chart.label_key))}</text>'
        )
    legend_y = bottom + (70 if step < 90 else 36)
    parts.append(
        f'<line x1="{LEFT}" y1="{legend_y}" x2="{LEFT + 24}" y2="{legend_y}" stroke="{ACTUAL}" stroke-width="2.5"/>'
    )
    parts.append(f'<text x="{LEFT + 30}" y="{legend_y + 4}">{_text(words.say(locale, "实际", "Actual"))}</text>')
    parts.append(
        f'<line x1="{LEFT + 100}" y1="{legend_y}" x2="{LEFT + 124}" y2="{legend_y}" stroke="{TARGET}" '
        'stroke-dasharray="6 4"/>'
    )
    parts.append(f'<text x="{LEFT + 130}" y="{legend_y + 4}">{_text(words.say(locale, "目标", "Target"))}</text>')
    return parts, legend_y + 20


def _scatter(chart: Chart, table: Table, locale: str) -> tuple[list[str], float]:
    points = [(_number(r.get("lon")), _number(r.get("lat")), r) for r in table.rows]
    placed = [(x, y, r) for x, y, r in points if x is not None and y is not None]
    bottom = TOP + PLOT_HEIGHT
    lon_caption = words.say(locale, "经度 °E", "longitude °E")
    lat_caption = words.say(locale, "纬度 °N", "latitude °N")
    parts = [
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{PLOT_HEIGHT}" fill="none" stroke="{INK}"/>',
        f'<text x="{WIDTH - RIGHT}" y="{bottom + 30}" text-anchor="end" font-style="italic">{lon_caption}</text>',
        f'<text x="{LEFT - 6}" y="{TOP - 10}" text-anchor="end" font-style="italic">{lat_caption}</text>',
    ]
    if not placed:
        return parts, bottom + BOTTOM
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
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACTUAL}" fill-opacity="0.7">'
            f"<title>{_text(row.get('name'))} {_text(row.get('city'))}</title></circle>"
        )
    return parts, bottom + BOTTOM


def _cell(value: Any, fmt: str, width: float, locale: str) -> str:
    """A table cell that fits its column: in full, or a large amount shortened (¥1167.1万, ¥11.7M)."""
    shown = words.figure(value, fmt)
    if fmt == "money" and _fit(shown, width) != shown and (number := _number(value)) is not None:
        shown = _tick(number, fmt, locale)
    return _fit(shown, width)


def _table(table: Table, top: float, locale: str) -> tuple[list[str], float]:
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
            shown = _cell(row.get(column.shown_key), column.format, width, locale)
            parts.append(f'<text x="{10 + i * width:.1f}" y="{y:.1f}">{_text(shown)}</text>')
    if len(table.rows) > len(rows) or len(table.columns) > len(columns):
        y += ROW_HEIGHT
        whole = f"{len(table.rows)} × {len(table.columns)}"
        parts.append(f'<text x="10" y="{y:.1f}" font-style="italic">… {whole}: CSV / XLSX</text>')
    return parts, y


DRAWERS = {"line": _line, "scatter": _scatter, "funnel": _funnel, "bars": _sorted_bars, "bar": _bars}


def render(report: Report) -> str:
    """The report's chart, with the table it is drawn from printed below it."""
    chart = report.chart
    table = report.table(chart.table)
    body, chart_end = DRAWERS.get(chart.kind, _bars)(chart, table, report.locale)
    shown = report.table(None) if chart.kind == "scatter" else table
    table_parts, end = _table(shown, chart_end + 20, report.locale)
    height = end + 20
    unit = f"; {words.say(report.locale, '单位', 'unit')}: {chart.unit}" if chart.unit else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'font-family="sans-serif" font-size="11" fill="{INK}" aria-labelledby="t d">'
        f'<title id="t">{_text(chart.title)}</title>'
        f'<desc id="d">{_text(report.title)}{_text(unit)}</desc>'
        f'<rect width="{WIDTH}" height="{height:.0f}" fill="#fff"/>'
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{_text(chart.title)}</text>'
        + "".join(body)
        + "".join(table_parts)
        + "</svg>"
    )
