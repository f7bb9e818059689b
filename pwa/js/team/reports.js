// team/reports.js: the reports a lead or manager reads (#/reports?report=funnel&period=2026-11), for the
// caller's own unit: the chart the server draws (SVG), every table of the report with the server's column
// labels, and the CSV and XLSX exports. Online only, like reviews: offline it says so. Cells keep the
// server's value in `data-value`; their text is that value, read as a percentage where it is a fraction.
import { h, empty } from '../ui.js';
import { t, percent } from '../i18n.js';
import * as coaching from '../coaching.js';
import { thisMonth } from './reviews.js';

const REPORTS = ['comparison', 'funnel', 'trend', 'regions', 'evidence'];
const PERIOD = /^\d{4}(-(Q[1-4]|W\d{2}|\d{2}))?$/;
// Fractions the server sends as numbers (0.5 is 50 %): attainment, pace, shares, conversion between stages.
const FRACTION = /(attainment|_pace|share|conversion_from_previous)$/;
// Up to 2,000 customer positions: the chart shows them; a table of coordinates is for the export.
const NOT_LISTED = new Set(['points']);

const cell = (key, value) => h('td', { 'data-key': key, 'data-value': value ?? '' },
  value === null || value === undefined ? '—' : FRACTION.test(key) && typeof value === 'number' ? percent(value) : String(value));

function table(name, data) {
  const first = data.columns[0]?.key;
  return h('div', { class: 'card table-wrap' }, h('strong', {}, data.title),
    data.rows.length ? h('table', { 'data-test': 'report-table', 'data-table': name },
      h('thead', {}, h('tr', {}, data.columns.map((c) => h('th', { scope: 'col' }, c.unit ? `${c.label} (${c.unit})` : c.label)))),
      h('tbody', {}, data.rows.map((row) => h('tr', { 'data-test': 'report-row', 'data-key': row[first] ?? '' },
        data.columns.map((c) => cell(c.key, row[c.key])))))) : empty(t('reports.empty')));
}

/** Fetches an export with the session's token and hands it to the browser as a download. */
async function save(path, filename, message) {
  const answer = await coaching.requestFile(path);
  if (!answer.ok) { message.textContent = answer.offline ? t('coach.offline') : t('coach.failed'); return; }
  const link = h('a', { href: URL.createObjectURL(answer.blob), download: filename });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export async function render(params, ctx) {
  const report = REPORTS.includes(params.query.get('report')) ? params.query.get('report') : 'comparison';
  const asked = params.query.get('period') || '';
  const period = PERIOD.test(asked) ? asked : thisMonth(ctx.timeZone);
  const query = new URLSearchParams({ period, subject_type: 'unit' });
  const path = `/api/v1/reports/${report}?${query}`;
  const [answer, chart] = await Promise.all([coaching.request('GET', path), coaching.requestFile(`${path}&format=svg`)]);
  const message = h('p', { class: 'hint', 'data-test': 'report-message', role: 'status' });
  const periodInput = h('input', { type: 'text', 'data-test': 'report-period', value: period, maxlength: 8 });
  const go = (next) => ctx.navigate(`#/reports?${new URLSearchParams({ report: next, period: periodInput.value.trim() })}`);
  const tabs = h('div', { class: 'tabs' }, REPORTS.map((name) => h('a', { class: `tab${name === report ? ' on' : ''}`,
    href: `#/reports?${new URLSearchParams({ report: name, period })}`, 'data-test': 'report-tab', 'data-report': name },
  t(`reports.${name}`))));
  const head = [h('h1', {}, t('reports.title')), tabs,
    h('div', { class: 'card form row' }, periodInput,
      h('button', { class: 'btn', 'data-test': 'report-show', onclick: () => go(report) }, t('reports.show')))];
  if (!answer.ok) {
    return h('section', { class: 'screen wide', 'data-test': 'reports', 'data-report': report }, head,
      h('p', { class: answer.offline ? 'banner' : 'error', 'data-test': 'reports-problem' },
        answer.offline ? t('coach.offline') : answer.message || t('coach.failed')));
  }
  const body = answer.data;
  const image = chart.ok ? h('img', { class: 'chart', 'data-test': 'report-chart', alt: body.title,
    src: URL.createObjectURL(chart.blob), onload: (event) => URL.revokeObjectURL(event.target.src) }) : null;
  const exportButton = (format) => h('button', { class: 'btn', 'data-test': `report-export-${format}`,
    onclick: () => save(`${path}&format=${format}`, `${report}-${body.period || period}.${format}`, message) }, format.toUpperCase());
  return h('section', { class: 'screen wide', 'data-test': 'reports', 'data-report': report, 'data-period': body.period || period },
    head,
    h('div', { class: 'card' }, h('strong', {}, body.title), image,
      h('div', { class: 'row' }, h('span', { class: 'row-main hint' }, t('reports.export')), exportButton('csv'), exportButton('xlsx')),
      message),
    Object.entries(body.tables).filter(([name]) => !NOT_LISTED.has(name)).map(([name, data]) => table(name, data)),
    body.notes?.length ? h('ul', { class: 'hint notes' }, body.notes.map((note) => h('li', {}, note))) : null);
}
