// team/reports.js: the reports a lead or manager reads (#/reports?report=funnel&period=2026-11, and for a
// unit below one's own &unit_id= or &subject_id=, for the comparison &by=team|rep and &metric=): a period
// picker (month, quarter or year, and the periods either side), the report's chart drawn by ./charts.js
// (trend as lines, comparison as sorted bars with targets, the funnel with conversions, regions as a grid
// by city, and by province → city), every table with the server's column labels and each figure formatted by its column's format,
// and the CSV, XLSX and SVG exports. Rows that are a unit or a person go one level down (the server's
// `drill`): company → region → team → rep → that rep's approved visits on the desk. The last answer of each
// report is kept (coaching.readKept), so offline the screen shows it marked with its time. Cells keep the
// server's value in `data-value`.
import { h, empty } from '../ui.js';
import { t, getLocale } from '../i18n.js';
import * as coaching from '../coaching.js';
import { keptNotice } from '../views/common.js';
import { thisMonth } from './reviews.js';
import * as charts from './charts.js';

const REPORTS = ['comparison', 'funnel', 'trend', 'regions', 'evidence'];
const PERIOD = /^\d{4}(-(Q[1-4]|W\d{2}|\d{2}))?$/;
const KINDS = ['month', 'quarter', 'year'];
const METRICS = ['revenue', 'visits', 'conversion', 'satisfaction', 'new_customers'];
const ID = /^[0-9a-f-]{36}$/;
// Up to 2,000 customer positions: a table of coordinates is for the export.
const NOT_LISTED = new Set(['points']);
const TREND_HEIGHT = 300;
const FUNNEL_HEIGHT = 300;

const kindOf = (period) => (/^\d{4}$/.test(period) ? 'year' : /Q/.test(period) ? 'quarter' : /W/.test(period) ? 'week' : 'month');

/** A period's name in the reader's words: 2026年12月 / December 2026, 2026年第4季度 / Q4 2026, 2026年 / 2026. */
function periodName(period) {
  const [year, part] = period.split('-');
  if (!part) return t('reports.year', year);
  if (part.startsWith('Q')) return t('reports.quarter', year, part.slice(1));
  if (part.startsWith('W')) return period;
  return new Intl.DateTimeFormat(getLocale(), { year: 'numeric', month: 'long', timeZone: 'UTC' })
    .format(new Date(Date.UTC(Number(year), Number(part) - 1, 1)));
}

/** The periods of a kind a picker offers: the last two years' months, eight quarters or five years, newest
 *  first, ending with the running one (and `chosen`, wherever it is). */
function periodChoices(kind, now, chosen) {
  const [year, month] = now.split('-').map(Number);
  const out = [];
  if (kind === 'month') {
    for (let i = 0; i < 24; i += 1) {
      const m = year * 12 + (month - 1) - i;
      out.push(`${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`);
    }
  } else if (kind === 'quarter') {
    const q = year * 4 + Math.floor((month - 1) / 3);
    for (let i = 0; i < 8; i += 1) out.push(`${Math.floor((q - i) / 4)}-Q${((q - i) % 4) + 1}`);
  } else {
    for (let i = 0; i < 5; i += 1) out.push(String(year - i));
  }
  if (chosen && kindOf(chosen) === kind && !out.includes(chosen)) out.unshift(chosen);
  return out;
}

/** The same kind of period holding `period`'s first month: 2026-11 → 2026-Q4 → 2026. */
function asKind(period, kind) {
  const [y, part = '01'] = period.split('-');
  const month = part.startsWith('Q') ? (Number(part.slice(1)) - 1) * 3 + 1 : part.startsWith('W') ? 1 : Number(part);
  if (kind === 'year') return y;
  if (kind === 'quarter') return `${y}-Q${Math.floor((month - 1) / 3) + 1}`;
  return `${y}-${String(month).padStart(2, '0')}`;
}

/** The screen's own address for these choices (empty values left out). */
function address(values) {
  const pairs = Object.entries(values).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return `#/reports?${new URLSearchParams(pairs)}`;
}

/** Where a row's `drill` leads on screen: a report one level down, or the rep's visits on the desk. */
function drillHref(drill, report) {
  if (!drill) return null;
  if (drill.path === '/api/v1/visits') return `#/desk?${new URLSearchParams(drill.query)}`;
  const next = drill.path.replace('/api/v1/reports/', '');
  return REPORTS.includes(next) ? address({ report: next, ...drill.query, metric: report.metric }) : null;
}

function cell(column, row, drill) {
  const value = row[column.key];
  const text = column.display_key ? row[column.display_key]
    : column.format === 'text' ? (value ?? '—') : charts.formatted(value, column.format);
  const shown = drill ? h('a', { href: drill, 'data-test': 'report-drill' }, text) : text;
  return h('td', { 'data-key': column.key, 'data-value': value ?? '', class: column.format === 'text' ? null : 'num' }, shown);
}

function table(name, data, state) {
  const first = data.columns[0]?.key;
  return h('div', { class: 'card table-wrap' }, h('strong', {}, data.title),
    data.rows.length ? h('table', { 'data-test': 'report-table', 'data-table': name },
      h('thead', {}, h('tr', {}, data.columns.map((c) => h('th', { scope: 'col' }, c.unit ? t('reports.unit', c.label, c.unit) : c.label)))),
      h('tbody', {}, data.rows.map((row) => {
        const drill = drillHref(row.drill, state);
        return h('tr', { 'data-test': 'report-row', 'data-key': row[first] ?? '' },
          data.columns.map((c, i) => cell(c, row, i === 0 ? drill : null)));
      }))) : empty(t('reports.empty')));
}

/** Fetches an export with the session's token and hands it to the browser as a download. */
async function save(path, filename, message) {
  const answer = await coaching.requestFile(path);
  if (!answer.ok) { message.textContent = answer.offline ? t('coach.offline') : t('coach.failed'); return; }
  const link = h('a', { href: URL.createObjectURL(answer.blob), download: filename });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function labelled(label, control) {
  return h('label', { class: 'picker' }, h('span', { class: 'hint' }, label), control);
}

/** Month, quarter or year, which one of them, and a step to the period either side. */
function periodPicker(state, info, now, ctx) {
  const kind = KINDS.includes(kindOf(state.period)) ? kindOf(state.period) : 'month';
  const go = (period) => ctx.navigate(address({ ...state, period }));
  const kindSelect = h('select', { 'data-test': 'report-period-kind', onchange: (e) => go(asKind(state.period, e.target.value)) },
    KINDS.map((k) => h('option', { value: k, selected: k === kind }, t(`reports.kind.${k}`))));
  const periodSelect = h('select', { 'data-test': 'report-period', onchange: (e) => go(e.target.value) },
    periodChoices(kind, now, state.period).map((p) => h('option', { value: p, selected: p === state.period }, periodName(p))));
  const step = (target, label, sign) => h('button', { class: 'btn ghost', 'data-test': `report-${sign}`, disabled: !target,
    'aria-label': label || '', title: label || '', onclick: () => go(target) }, sign === 'previous' ? '‹' : '›');
  return h('div', { class: 'card report-picker' },
    labelled(t('reports.period.kind'), kindSelect), labelled(t('reports.period'), periodSelect),
    // No step past the period running now (the server's `current`, in the report's time zone).
    h('div', { class: 'report-steps' }, step(info?.previous, info?.previous_label, 'previous'),
      step(info?.current && info.key === info.current ? null : info?.next, info?.next_label, 'next')));
}

function metricPicker(state, ctx, columns) {
  const label = (m) => columns.find((c) => c.key === `${m}_actual`)?.label || m;
  return labelled(t('reports.metric'), h('select', { 'data-test': 'report-metric',
    onchange: (e) => ctx.navigate(address({ ...state, metric: e.target.value })) },
  METRICS.map((m) => h('option', { value: m, selected: m === state.metric }, label(m)))));
}

/** The chart's box, its height fixed before anything is drawn in it. */
function chartBox(kind, height, body) {
  return h('div', { class: 'chart', 'data-test': 'report-chart', 'data-chart': kind, role: 'img',
    'aria-label': body.title, style: `height:${height}px` });
}

function chartPart(report, body, state, ctx) {
  if (report === 'trend') {
    const box = chartBox('trend', TREND_HEIGHT, body);
    return { nodes: [h('div', { class: 'row report-controls' }, metricPicker(state, ctx, body.tables.trend.columns)), box],
      draw: (onDrawn) => charts.draw(box, charts.trendOption(body, state.metric, box.clientWidth), { onDrawn }) };
  }
  if (report === 'comparison') {
    const rows = charts.sortedRows(body, state.metric);
    const pages = Math.max(1, Math.ceil(rows.length / charts.BARS_PER_PAGE));
    let page = 0;
    const box = chartBox('comparison', charts.comparisonHeight(rows.length), body);
    const status = h('span', { class: 'hint row-main', 'data-test': 'report-page' });
    let chart = null;
    const pageRows = () => rows.slice(page * charts.BARS_PER_PAGE, (page + 1) * charts.BARS_PER_PAGE);
    const show = () => {
      const shown = pageRows();
      status.textContent = t('reports.page', page * charts.BARS_PER_PAGE + 1, page * charts.BARS_PER_PAGE + shown.length, rows.length);
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
      if (chart) chart.setOption(charts.comparisonOption(body, state.metric, shown), { replaceMerge: ['series', 'yAxis'] });
    };
    const prev = h('button', { class: 'btn ghost', 'data-test': 'report-page-previous', onclick: () => { page -= 1; show(); } }, t('reports.page.previous'));
    const next = h('button', { class: 'btn ghost', 'data-test': 'report-page-next', onclick: () => { page += 1; show(); } }, t('reports.page.next'));
    const pick = (event) => {
      const index = event.componentType === 'yAxis' ? pageRows().findIndex((r) => r.name === event.value) : event.dataIndex;
      const href = drillHref(pageRows()[index]?.drill, state);
      if (href) ctx.navigate(href);
    };
    const by = labelled(t('reports.by'), h('select', { 'data-test': 'report-by',
      onchange: (e) => ctx.navigate(address({ ...state, by: e.target.value })) },
    ['rep', 'team'].map((b) => h('option', { value: b, selected: b === body.by }, t(`reports.by.${b}`)))));
    show();
    return { nodes: [h('div', { class: 'row report-controls' }, metricPicker(state, ctx, body.tables.comparison.columns), by), box,
      pages > 1 ? h('div', { class: 'row' }, status, prev, next) : null],
    draw: (onDrawn) => { chart = charts.draw(box, charts.comparisonOption(body, state.metric, pageRows()), { onPick: pick, onDrawn }); } };
  }
  if (report === 'funnel') {
    const box = chartBox('funnel', FUNNEL_HEIGHT, body);
    const lost = body.tables.funnel.rows.find((r) => !r.in_funnel);
    return { nodes: [box,
      h('p', { class: 'hint', 'data-test': 'report-funnel-note' },
        body.conversion_text ? t('reports.funnel.won', body.conversion_text) : null,
        lost ? ` ${t('reports.funnel.lost', lost.stage_name, lost.count)}` : null)],
    draw: (onDrawn) => charts.draw(box, charts.funnelOption(body), { onDrawn }) };
  }
  if (report === 'regions') {
    const grid = charts.regionsGrid(body);
    const nodes = [];
    const draws = [];
    if (grid.cells.length) {
      const box = chartBox('regions', charts.regionsHeight(grid.cities.length), body);
      const pick = (event) => {
        const id = event.componentType === 'xAxis' ? grid.regions.find(([, name]) => name === event.value)?.[0]
          : event.data?.row?.region_id;
        const href = drillHref(body.tables.regions.rows.find((r) => r.unit_id === id)?.drill, state);
        if (href) ctx.navigate(href);
      };
      nodes.push(box);
      draws.push((done) => charts.draw(box, charts.regionsOption(body, grid), { onPick: pick, onDrawn: done }));
    } else {
      nodes.push(empty(t('reports.empty')));
    }
    // The grid by province → city, under the regions'; its table twin is listed with the others.
    const places = body.tables.provinces ? charts.provincesGrid(body) : { rows: [] };
    if (places.rows.length) {
      const title = body.tables.province_cities.title;
      const box = chartBox('provinces', charts.provincesHeight(places.rows.length), { title });
      nodes.push(h('p', { class: 'hint' }, title), box);
      draws.push((done) => charts.draw(box, charts.provincesOption(body, places), { onDrawn: done }));
    }
    return { nodes, draw: (onDrawn) => {
      let left = draws.length;
      if (!left) { onDrawn(); return; }
      for (const start of draws) start(() => { left -= 1; if (!left) onDrawn(); });
    } };
  }
  return { nodes: [], draw: (onDrawn) => onDrawn() };
}

/** The API path of the report for these choices. */
function apiPath(state) {
  const query = { period: state.period };
  if (state.report === 'comparison' || state.report === 'regions') {
    if (state.unit_id) query.unit_id = state.unit_id;
    if (state.report === 'comparison' && state.by) query.by = state.by;
  } else {
    query.subject_type = 'unit';
    if (state.subject_id) query.subject_id = state.subject_id;
  }
  if (state.report === 'trend' && state.metric) query.metric = state.metric;
  return `/api/v1/reports/${state.report}?${new URLSearchParams(query)}`;
}

export async function render(params, ctx) {
  const q = params.query;
  const report = REPORTS.includes(q.get('report')) ? q.get('report') : 'comparison';
  const now = thisMonth(ctx.timeZone);
  const asked = q.get('period') || '';
  const id = (name) => (ID.test(q.get(name) || '') ? q.get(name) : '');
  const state = {
    report,
    period: PERIOD.test(asked) ? asked : now,
    metric: METRICS.includes(q.get('metric')) ? q.get('metric') : 'revenue',
    by: ['rep', 'team'].includes(q.get('by')) ? q.get('by') : '',
    unit_id: id('unit_id'),
    subject_id: id('subject_id'),
  };
  const path = apiPath(state);
  const answer = await coaching.readKept(path, { onePage: true });
  const answeredAt = performance.now();
  const message = h('p', { class: 'hint', 'data-test': 'report-message', role: 'status' });
  const tabs = h('div', { class: 'tabs' }, REPORTS.map((name) => h('a', { class: `tab${name === report ? ' on' : ''}`,
    href: address({ report: name, period: state.period }), 'data-test': 'report-tab', 'data-report': name },
  t(`reports.${name}`))));
  const body = answer.data;
  const head = [h('h1', {}, t('reports.title')), tabs, periodPicker(state, body?.period_info, now, ctx)];
  if (!body) {
    return h('section', { class: 'screen wide', 'data-test': 'reports', 'data-report': report }, head,
      h('p', { class: answer.offline ? 'banner' : 'error', 'data-test': 'reports-problem' },
        answer.offline ? t('reports.offline') : answer.message || t('coach.failed')));
  }
  const part = chartPart(report, body, state, ctx);
  const tables = h('div', { class: 'report-tables', 'data-test': 'report-tables' });
  const exportButton = (format) => h('button', { class: 'btn', 'data-test': `report-export-${format}`,
    onclick: () => save(`${path}&format=${format}`, `${report}-${body.period || state.period}.${format}`, message) }, format.toUpperCase());
  const up = state.unit_id || state.subject_id
    ? h('a', { class: 'btn ghost', 'data-test': 'report-top', href: address({ report, period: state.period, metric: state.metric }) }, t('reports.top'))
    : null;
  const screen = h('section', { class: 'screen wide', 'data-test': 'reports', 'data-report': report,
    'data-period': body.period || state.period, 'data-answered': String(answeredAt) },
  head, keptNotice(answer),
  h('div', { class: 'card' }, h('div', { class: 'row' }, h('strong', { class: 'row-main' }, body.title), up),
    part.nodes,
    h('div', { class: 'row' }, h('span', { class: 'row-main hint' }, t('reports.export')),
      exportButton('csv'), exportButton('xlsx'), report === 'evidence' ? null : exportButton('svg')),
    message),
  tables);
  // The tables (a comparison of 500 reps is 10,000 cells) come after the chart has been drawn, or after a
  // second whatever happens, so the chart is not kept waiting for them.
  let filled = false;
  const fill = () => {
    if (filled) return;
    filled = true;
    tables.replaceChildren(...Object.entries(body.tables).filter(([name]) => !NOT_LISTED.has(name))
      .map(([name, data]) => table(name, data, state)),
    ...(body.notes?.length ? [h('ul', { class: 'hint notes' }, body.notes.map((note) => h('li', {}, note)))] : []));
    tables.dataset.filled = String(performance.now());
  };
  setTimeout(fill, 1000);
  // Drawn once the screen is in the page and has its width.
  requestAnimationFrame(() => { if (screen.isConnected) part.draw(() => setTimeout(fill, 0)); });
  return screen;
}
