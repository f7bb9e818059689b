// team/charts.js: the report screens' charts, drawn on a canvas by the trimmed Apache ECharts (./echarts.js,
// built by pwa/tools/echarts/): the trend as lines (actual against target), the comparison as sorted bars
// with each target marked, the funnel of the period's new deals with the conversion between stages, and the
// regions as a grid of revenue by region and city and a grid by province → city. Every figure is formatted by its column's `format` from
// the server (money, percent, integer, decimal), every word is the server's or i18n's. Tooltips are plain
// HTML with classes (no style attributes: the page's CSP refuses them); the container has a fixed height
// given before the chart is drawn, so nothing moves when it appears. `data-series` and `data-points` say what
// was drawn, `data-drawn` when (performance.now(), at ECharts' first `finished`).
import { init } from './echarts.js';
import { money, percent1, count, getLocale } from '../i18n.js';
import { on } from '../events.js';

export const PALETTE = ['#0f766e', '#c2410c', '#1d4ed8', '#a21caf', '#4d7c0f', '#b45309'];
const INK = '#1f2937';
const MUTED = '#475569';
const LINE = '#e2e8f0';
const FONT = 'system-ui, -apple-system, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
// Bars of the comparison on one page of the chart: more people are paged, the table lists them all.
export const BARS_PER_PAGE = 20;
const BAR_ROW_PX = 24;

const live = new Set();
// A new screen: the charts of the one left are disposed (their canvases, listeners and observers go).
on('screen', () => { for (const chart of live) chart.dispose(); live.clear(); });

const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (value) => (value === null || value === undefined || value === '' ? null : Number(value));

/** A figure as its column's `format` says: money ¥ (万/亿 in Chinese), percent with one decimal, integers
 *  whole, decimals with up to two places. */
export function formatted(value, format) {
  const n = num(value);
  if (n === null || !Number.isFinite(n)) return '—';
  if (format === 'money') return money(n);
  if (format === 'percent') return percent1(n);
  if (format === 'integer') return count(n);
  return n.toLocaleString(getLocale(), { maximumFractionDigits: 2 });
}

/** An axis tick: short (¥60万, ¥1.2M, 40%, 1.2K). */
function tick(value, format) {
  if (format === 'percent') return `${Math.round(value * 100)}%`;
  if (format === 'money' && getLocale() === 'zh-CN') return money(value);
  const short = new Intl.NumberFormat(getLocale(), { notation: 'compact', maximumFractionDigits: 1 }).format(value);
  return format === 'money' ? `¥${short}` : short;
}

const dot = (index) => `<span class="chart-dot c${index % PALETTE.length}"></span>`;
const line = (index, name, value) => `<div class="chart-tip-row">${dot(index)}<span>${escape(name)}</span><b>${escape(value)}</b></div>`;

function base() {
  return {
    color: PALETTE,
    animation: false,
    textStyle: { fontFamily: FONT, color: INK, fontSize: 12 },
    tooltip: { confine: true, className: 'chart-tip', borderColor: LINE, textStyle: { color: INK, fontSize: 13 } },
  };
}

const legend = { top: 0, left: 0, itemWidth: 16, itemHeight: 10, textStyle: { fontSize: 12, color: INK } };
const valueAxis = (format) => ({
  type: 'value',
  axisLabel: { color: MUTED, fontSize: 11, formatter: (v) => tick(v, format), hideOverlap: true },
  splitLine: { lineStyle: { color: LINE } },
});

/** A column of a table by its key: `{label, unit, format}`. */
export const column = (table, key) => table.columns.find((c) => c.key === key) || { key, label: key, format: 'number' };

/** The trend of one metric: its actual and its target per period, as two lines (`width`: the chart's, px). */
export function trendOption(report, metric, width = 640) {
  const table = report.tables.trend;
  const actual = column(table, `${metric}_actual`);
  const target = column(table, `${metric}_target`);
  const labels = table.rows.map((r) => r.period_label);
  const series = [
    { name: actual.label, type: 'line', data: table.rows.map((r) => num(r[actual.key])), symbolSize: 7,
      lineStyle: { width: 3 }, connectNulls: false },
    { name: target.label, type: 'line', data: table.rows.map((r) => num(r[target.key])), symbolSize: 5,
      lineStyle: { width: 2, type: 'dashed' } },
  ];
  return {
    ...base(),
    legend,
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    // On a phone every period is named, slanted, rather than every other one dropped.
    xAxis: { type: 'category', data: labels,
      axisLabel: { color: MUTED, fontSize: 11, ...(width < 480 ? { interval: 0, rotate: 35 } : { hideOverlap: true }) },
      axisLine: { lineStyle: { color: MUTED } } },
    yAxis: valueAxis(actual.format),
    tooltip: { ...base().tooltip, trigger: 'axis',
      formatter: (items) => `<div class="chart-tip-title">${escape(labels[items[0].dataIndex])}</div>${
        items.map((i) => line(i.seriesIndex, i.seriesName, formatted(i.value, actual.format))).join('')}` },
    series,
  };
}

/** The comparison's rows of one metric, largest actual first (those without a figure last). */
export function sortedRows(report, metric) {
  const key = `${metric}_actual`;
  return [...report.tables.comparison.rows].sort((a, b) => (num(b[key]) ?? -Infinity) - (num(a[key]) ?? -Infinity));
}

/** Sorted bars of one metric for one page of rows, with each target marked as a dark tick. */
export function comparisonOption(report, metric, rows) {
  const table = report.tables.comparison;
  const actual = column(table, `${metric}_actual`);
  const target = column(table, `${metric}_target`);
  const attainment = column(table, `${metric}_attainment`);
  const names = rows.map((r) => r.name);
  return {
    ...base(),
    legend: { ...legend, data: [actual.label, target.label] },
    grid: { left: 8, right: 20, top: 30, bottom: 4, containLabel: true },
    yAxis: { type: 'category', data: names, inverse: true, triggerEvent: true,
      axisLabel: { color: INK, fontSize: 12, width: 96, overflow: 'truncate' }, axisTick: { show: false },
      axisLine: { lineStyle: { color: MUTED } } },
    xAxis: { ...valueAxis(actual.format), position: 'top', splitNumber: 3 },
    tooltip: { ...base().tooltip, trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (items) => {
        const row = rows[items[0].dataIndex];
        return `<div class="chart-tip-title">${escape(row.name)}</div>${line(0, actual.label, formatted(row[actual.key], actual.format))}${
          line(1, target.label, formatted(row[target.key], target.format))}${line(2, attainment.label, formatted(row[attainment.key], 'percent'))}`;
      } },
    series: [
      { name: actual.label, type: 'bar', data: rows.map((r) => num(r[actual.key])), barMaxWidth: 16,
        itemStyle: { color: PALETTE[0], borderRadius: [0, 3, 3, 0] } },
      { name: target.label, type: 'scatter', data: rows.map((r) => num(r[target.key])), symbol: 'rect',
        symbolSize: [3, 18], itemStyle: { color: PALETTE[1] }, z: 3 },
    ],
  };
}

/** Pixels the comparison's chart takes for `count` bars: fixed once the answer is known. */
export const comparisonHeight = (count) => Math.max(3, Math.min(count, BARS_PER_PAGE)) * BAR_ROW_PX + 48;

/** The funnel of the period's new deals (lead → … → won; lost is no stage), each stage with the deals that
 *  reached it, and beside it the conversion from the stage before. */
export function funnelOption(report) {
  const table = report.tables.funnel;
  const stages = table.rows.filter((r) => r.in_funnel);
  const reached = column(table, 'cohort_reached');
  const conversion = column(table, 'conversion_from_previous');
  const deals = column(table, 'count');
  const amount = column(table, 'amount');
  const byStage = new Map(stages.map((r) => [r.stage, r]));
  const top = Math.max(1, ...stages.map((r) => r.cohort_reached));
  const data = stages.map((r, i) => ({ name: r.stage_name, value: r.cohort_reached, stage: r.stage,
    itemStyle: { color: PALETTE[i % PALETTE.length] } }));
  // The narrowest stage still holds its name and figure on a phone; the conversions stand to the right.
  const shared = { type: 'funnel', sort: 'none', left: 8, top: 8, bottom: 8, width: '62%', min: 0, max: top,
    minSize: '40%', gap: 3 };
  return {
    ...base(),
    tooltip: { ...base().tooltip, trigger: 'item',
      formatter: (item) => {
        const row = byStage.get(item.data.stage);
        return `<div class="chart-tip-title">${escape(row.stage_name)}</div>${line(item.dataIndex, reached.label, formatted(row.cohort_reached, 'integer'))}${
          row.conversion_from_previous === null ? '' : line(item.dataIndex, conversion.label, percent1(row.conversion_from_previous))}${
          line(item.dataIndex, deals.label, formatted(row.count, 'integer'))}${line(item.dataIndex, amount.label, formatted(row.amount, 'money'))}`;
      } },
    series: [
      { ...shared, name: reached.label, data,
        label: { position: 'inside', color: '#fff', fontSize: 12, fontWeight: 'bold',
          formatter: (p) => `${p.name} ${formatted(p.value, 'integer')}` } },
      // The conversion into each stage, at its top edge on the right: between it and the stage before.
      { ...shared, name: conversion.label, silent: true, tooltip: { show: false },
        data: stages.map((r) => ({ name: r.stage_name, value: r.cohort_reached, itemStyle: { color: 'transparent' } })),
        label: { position: 'rightTop', color: INK, fontSize: 12,
          formatter: (p) => {
            const row = stages[p.dataIndex];
            return row.conversion_from_previous === null ? '' : `↓ ${percent1(row.conversion_from_previous)}`;
          } },
        labelLine: { show: false } },
    ],
  };
}

/** The regions' revenue by city as a grid: a column per region, a row per city, coloured by revenue. Where
 *  nothing was won in the period (no revenue by city), the grid is of the customers by city instead. */
export function regionsGrid(report) {
  const won = report.tables.city_revenue;
  if (!won.rows.length) {
    const table = report.tables.cities;
    const customers = column(table, 'customers');
    const rows = table.rows.filter((r) => r.customers > 0);
    return { regions: [[null, customers.label]], cities: rows.map((r) => r.city_name), format: 'integer',
      cells: rows.map((r, i) => ({ value: [0, i, r.customers], row: r })),
      tip: (r) => `<div class="chart-tip-title">${escape(r.city_name)}</div>${line(0, customers.label, formatted(r.customers, 'integer'))}${
        line(0, column(table, 'revenue').label, formatted(r.revenue, 'money'))}` };
  }
  const regions = [...new Map(won.rows.map((r) => [r.region_id, r.region])).entries()];
  const totals = new Map();
  for (const r of won.rows) totals.set(r.city_name, (totals.get(r.city_name) || 0) + Number(r.revenue));
  const cities = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
  return { regions, cities, format: 'money',
    cells: won.rows.map((r) => ({
      value: [regions.findIndex(([id]) => id === r.region_id), cities.indexOf(r.city_name), Number(r.revenue)], row: r })),
    tip: (r) => `<div class="chart-tip-title">${escape(r.region)} · ${escape(r.city_name)}</div>${
      line(0, column(won, 'revenue').label, formatted(r.revenue, 'money'))}${line(0, column(won, 'won_deals').label, formatted(r.won_deals, 'integer'))}` };
}

export const regionsHeight = (cities) => Math.max(3, cities) * 28 + 96;

export function regionsOption(report, grid = regionsGrid(report)) {
  const { regions, cities, cells, format, tip } = grid;
  const most = Math.max(1, ...cells.map((c) => c.value[2]));
  return {
    ...base(),
    grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
    xAxis: { type: 'category', data: regions.map(([, name]) => name), position: 'top', splitArea: { show: true },
      axisLabel: { color: INK, fontSize: 12, interval: 0 }, triggerEvent: true },
    yAxis: { type: 'category', data: cities, inverse: true, splitArea: { show: true },
      axisLabel: { color: INK, fontSize: 12 } },
    visualMap: { type: 'continuous', min: 0, max: most, calculable: false, orient: 'horizontal', left: 'center',
      bottom: 4, itemWidth: 12, itemHeight: 160, text: [tick(most, format), tick(0, format)],
      textStyle: { color: MUTED, fontSize: 11 }, inRange: { color: ['#e6f4f1', '#5eb3a6', '#0f766e', '#134e4a'] } },
    tooltip: { ...base().tooltip, trigger: 'item', formatter: (item) => tip(item.data.row) },
    series: [{ name: regions.map(([, name]) => name).join(' · '), type: 'heatmap', data: cells,
      label: { show: true, fontSize: 11, formatter: (p) => tick(p.value[2], format) },
      emphasis: { itemStyle: { borderColor: INK, borderWidth: 1 } } }],
  };
}

const PLACE_MEASURES = [['customers', 'integer'], ['revenue', 'money']];
const PROVINCE_COLOURS = ['#e6f4f1', '#5eb3a6', '#0f766e', '#134e4a'];
const CITY_COLOURS = ['#f1f5f9', '#cbd5e1', '#94a3b8', '#64748b'];

/** The grid by province → city: a row per province (in bold) followed by a row per city of it, a column of
 *  customers and one of the period's won revenue. Provinces are coloured against provinces, cities against
 *  cities: one heatmap series for each level and column (provinces' customers, provinces' revenue, cities'
 *  customers, cities' revenue). */
export function provincesGrid(report) {
  const provinces = report.tables.provinces;
  const cities = report.tables.province_cities;
  const rows = [];
  for (const p of provinces.rows) {
    rows.push({ label: p.province_name, row: p, province: true });
    for (const c of cities.rows) if (c.province === p.province) rows.push({ label: c.city_name, row: c, province: false });
  }
  const measures = PLACE_MEASURES.map(([key, format]) => ({ key, format, label: column(provinces, key).label }));
  const series = [true, false].flatMap((province) => measures.map((m, x) => ({ province, ...m,
    cells: rows.flatMap((r, y) => (r.province === province ? [{ value: [x, y, Number(r.row[m.key])], row: r.row }] : [])) })));
  const tip = (r) => `<div class="chart-tip-title">${escape(r.province_name)}${r.city_name !== undefined ? ` · ${escape(r.city_name)}` : ''}</div>${
    line(0, column(provinces, 'customers').label, formatted(r.customers, 'integer'))}${
    line(1, column(provinces, 'won_deals').label, formatted(r.won_deals, 'integer'))}${
    line(2, column(provinces, 'revenue').label, formatted(r.revenue, 'money'))}`;
  return { rows, measures, series, tip };
}

export const provincesHeight = (rows) => Math.max(3, rows) * 28 + 48;

export function provincesOption(report, grid = provincesGrid(report)) {
  const { rows, measures, series, tip } = grid;
  return {
    ...base(),
    grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: measures.map((m) => m.label), position: 'top', splitArea: { show: true },
      axisLabel: { color: INK, fontSize: 12, interval: 0 } },
    // By index: a city's name may be another province's city's too.
    yAxis: { type: 'category', data: rows.map((r) => r.label), inverse: true, splitArea: { show: true },
      axisLabel: { interval: 0, fontSize: 12, formatter: (value, index) => (rows[index]?.province ? `{p|${value}}` : `{c|${value}}`),
        rich: { p: { color: INK, fontWeight: 'bold', fontSize: 12 }, c: { color: MUTED, fontSize: 12 } } } },
    visualMap: series.map((s, i) => ({ type: 'continuous', show: false, seriesIndex: i, dimension: 2, min: 0,
      max: Math.max(1, ...s.cells.map((c) => c.value[2])), inRange: { color: s.province ? PROVINCE_COLOURS : CITY_COLOURS } })),
    tooltip: { ...base().tooltip, trigger: 'item', formatter: (item) => tip(item.data.row) },
    series: series.map((s) => ({ name: s.label, type: 'heatmap', data: s.cells,
      label: { show: true, fontSize: 11, formatter: (p) => tick(p.value[2], s.format) },
      emphasis: { itemStyle: { borderColor: INK, borderWidth: 1 } } })),
  };
}

/** Draws `option` into `el` (whose height is already set) and keeps it sized to `el`'s width. `onPick`
 *  receives the data index (or the axis value) a person tapped; `onDrawn` is called once it is first drawn.
 *  Returns the ECharts instance. */
export function draw(el, option, { onPick, onDrawn } = {}) {
  const chart = init(el, null, { renderer: 'canvas', locale: getLocale() === 'zh-CN' ? 'ZH' : 'EN' });
  live.add(chart);
  el.chart = chart;
  let first = true;
  chart.on('finished', () => {
    if (!first) return;
    first = false;
    el.dataset.drawn = String(performance.now());
    onDrawn?.();
  });
  if (onPick) chart.on('click', (event) => onPick(event));
  chart.setOption(option);
  const series = chart.getOption().series || [];
  el.dataset.series = String(series.length);
  el.dataset.points = String(series.reduce((sum, s) => sum + (s.data?.length || 0), 0));
  const resize = new ResizeObserver(() => { if (!chart.isDisposed()) chart.resize(); });
  resize.observe(el);
  const dispose = chart.dispose.bind(chart);
  chart.dispose = () => { resize.disconnect(); live.delete(chart); dispose(); };
  return chart;
}
