// team/home.js: what a lead or a manager sees at #/ instead of a rep's day. A lead: their team's morning
// (GET /home/team): what waits for approval, who is behind the time elapsed and what they need per working
// day, each rep's visits today, whose phone has not synced for two days. A manager: each unit below theirs
// (GET /home/units) with its attainment per metric and the trend of the last periods, and the units at risk;
// a unit opens its own home (#/?unit=…&kind=…: a team's as its lead sees it). A period switch (month,
// quarter, year); offline, the last copy of the same screen, marked with its time.
import { h, empty } from '../ui.js';
import { t, figure, percent1, periodName, dateTime, day, count, number } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { dayIn, periodsOf } from '../time.js';
import { rejectedItem } from '../views/common.js';

const PERIODS = ['month', 'quarter', 'year'];
const SVG = 'http://www.w3.org/2000/svg';

/** The share of the period's expected amount due by today (expected_by_today / target): the time elapsed. */
function elapsed(row) {
  const target = Number(row.target);
  if (row.expected_by_today === null || row.expected_by_today === undefined || !(target > 0)) return null;
  return Number(row.expected_by_today) / target;
}

/** Attainment, time elapsed and the gap between them, in the words that keep the two apart. */
function standing(row) {
  const time = elapsed(row);
  const gap = time !== null && row.attainment !== null ? (time - row.attainment) * 100 : null;
  return [
    t('th.attained', percent1(row.attainment)),
    time !== null ? t('th.elapsed', percent1(time)) : null,
    gap !== null && gap > 0 ? t('th.gap', number(gap, 1)) : null,
  ].filter(Boolean).join(' · ');
}

/** One goal behind pace (a rep's on the team home, a unit's on the manager's): who, on what, what it needs. */
function behindRow(row, href) {
  const needed = row.needed_per_working_day;
  return h('a', { class: 'row home-behind', href, 'data-test': 'behind-row', 'data-id': row.subject_id, 'data-metric': row.metric },
    h('div', { class: 'row-main' },
      h('strong', {}, `${row.name} · ${t(`metric.${row.metric}`)}`),
      h('small', { 'data-test': 'behind-standing' }, standing(row)),
      h('small', {}, t('th.of', figure(row.metric, row.actual), figure(row.metric, row.target)))),
    h('div', { class: 'row-side' },
      h('b', { class: 'home-needed', 'data-test': 'behind-needed' },
        needed === null ? t('th.nodays') : t('th.needed', figure(row.metric, needed, { up: true }))),
      needed === null ? null : h('small', { class: 'hint' }, t('th.daysleft', count(row.working_days_left)))));
}

/** The attainment of the last periods as a small line (oldest first; a gap where there was no goal). */
function sparkline(trend) {
  const width = 96;
  const height = 28;
  const values = trend.map((p) => (p.attainment === null ? null : Number(p.attainment)));
  const top = Math.max(1, ...values.filter((v) => v !== null));
  const x = (i) => (trend.length > 1 ? (i * (width - 4)) / (trend.length - 1) + 2 : width / 2);
  const y = (v) => height - 2 - (Math.min(v, top) / top) * (height - 4);
  let d = '';
  values.forEach((v, i) => {
    if (v === null) return;
    d += `${i && values[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
  });
  const svg = document.createElementNS(SVG, 'svg');
  const label = `${t('uh.trend', trend.length)}: ${trend.map((p) => `${periodName(p.period)} ${percent1(p.attainment)}`).join(', ')}`;
  for (const [k, v] of Object.entries({ viewBox: `0 0 ${width} ${height}`, width, height, class: 'spark', role: 'img', 'aria-label': label })) {
    svg.setAttribute(k, String(v));
  }
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  const goal = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: 0, x2: width, y1: y(1), y2: y(1), class: 'spark-goal' })) goal.setAttribute(k, String(v));
  const line = document.createElementNS(SVG, 'path');
  line.setAttribute('d', d);
  line.setAttribute('class', 'spark-line');
  svg.append(title, goal, line);
  const last = values.length - 1;
  if (values[last] !== null) {
    const dot = document.createElementNS(SVG, 'circle');
    for (const [k, v] of Object.entries({ cx: x(last), cy: y(values[last]), r: 2.5, class: 'spark-dot' })) dot.setAttribute(k, String(v));
    svg.append(dot);
  }
  return svg;
}

function teamScreen(data, ctx, span, link) {
  const a = data.approvals;
  const waiting = a.visits + a.amendments;
  return [
    h('a', { class: `card home-approvals${waiting ? ' has' : ''}`, href: '#/approvals', 'data-test': 'home-approvals',
      'data-visits': a.visits, 'data-amendments': a.amendments },
    h('div', { class: 'goal-head' }, h('strong', {}, t('th.approvals')), waiting ? h('span', { class: 'btn btn-primary' }, t('th.approvals.open')) : null),
    waiting ? [
      a.visits ? h('p', { 'data-test': 'home-approvals-visits' }, t('th.approvals.visits', count(a.visits)),
        a.oldest_check_in_at ? h('small', { class: 'hint' }, ` · ${t('th.approvals.oldest', dateTime(a.oldest_check_in_at))}`) : null) : null,
      a.amendments ? h('p', { 'data-test': 'home-approvals-amendments' }, t('th.approvals.amendments', count(a.amendments))) : null,
    ] : h('p', { class: 'hint' }, t('th.approvals.none'))),
    h('h2', {}, t('th.behind')),
    data.behind.length ? h('div', { class: 'block', 'data-test': 'home-behind' },
      data.behind.map((row) => behindRow(row, `#/leaderboard?${new URLSearchParams({ metric: row.metric, period: span })}`)))
      : h('p', { class: 'card hint', 'data-test': 'home-behind-none' }, t('th.behind.none')),
    h('h2', {}, `${t('th.visits')} · ${day(data.today)}`),
    data.visits_today.length ? h('div', { class: 'block', 'data-test': 'home-visits' }, data.visits_today.map((v) =>
      h('div', { class: 'row', 'data-test': 'visits-today-row', 'data-id': v.user_id, 'data-visits': v.visits, 'data-approved': v.approved },
        h('div', { class: 'row-main' }, h('strong', {}, v.name)),
        h('div', { class: 'row-side' }, h('b', { class: v.visits ? 'home-count' : 'home-count none' }, t('th.visits.row', count(v.visits))),
          v.approved ? h('small', { class: 'hint' }, t('th.visits.approved', count(v.approved))) : null)))) : empty(t('th.visits.none')),
    h('h2', {}, t('th.quiet', data.not_synced_days)),
    data.not_synced.length ? h('div', { class: 'block', 'data-test': 'home-not-synced' }, data.not_synced.map((r) =>
      h('div', { class: 'row', 'data-test': 'not-synced-row', 'data-id': r.user_id },
        h('div', { class: 'row-main' }, h('strong', {}, r.name)),
        h('small', { class: 'row-side hint' }, r.last_seen_at ? t('th.quiet.last', dateTime(r.last_seen_at)) : t('th.quiet.never')))))
      : h('p', { class: 'card hint', 'data-test': 'home-not-synced-none' }, t('th.quiet.none', data.not_synced_days)),
    h('a', { class: 'btn btn-wide', href: link('#/leaderboard', { period: span }), 'data-test': 'home-leaderboard' }, t('th.leaderboard')),
  ];
}

function unitsScreen(data, span, link) {
  const home = (id, kind) => link('#/', { unit: id, kind, period: span });
  const kinds = new Map(data.units.map((u) => [u.unit_id, u.kind]));
  return [
    h('h2', {}, t('uh.atrisk')),
    data.at_risk.length ? h('div', { class: 'block', 'data-test': 'home-at-risk' },
      data.at_risk.map((row) => behindRow(row, home(row.subject_id, kinds.get(row.subject_id)))))
      : h('p', { class: 'card hint', 'data-test': 'home-at-risk-none' }, t('uh.atrisk.none')),
    h('h2', {}, t('uh.units')),
    data.units.length ? h('div', { class: 'home-units' }, data.units.map((u) => h('a', { class: 'card home-unit', href: home(u.unit_id, u.kind),
      'data-test': 'unit-row', 'data-id': u.unit_id },
    h('div', { class: 'goal-head' }, h('strong', {}, u.name), h('small', { class: 'hint' }, t(`unit.kind.${u.kind}`))),
    u.metrics.length ? u.metrics.map((m) => h('div', { class: `home-metric${m.at_risk ? ' risk' : ''}`, 'data-test': 'unit-metric', 'data-metric': m.metric },
      h('div', { class: 'home-metric-main' },
        h('span', {}, t(`metric.${m.metric}`), ' ', m.at_risk ? h('span', { class: 'chip chip-warn', 'data-test': 'unit-at-risk' }, t('uh.risk')) : null),
        h('span', { class: 'home-metric-figs' }, h('b', { 'data-test': 'unit-attainment' }, percent1(m.attainment)), ' ',
          h('small', { class: 'hint', 'data-test': 'unit-facts' }, t('th.of', figure(m.metric, m.actual), figure(m.metric, m.target))))),
      sparkline(m.trend)))
      : h('p', { class: 'hint' }, t('uh.nogoals'))))) : empty(t('uh.none')),
    h('a', { class: 'btn btn-wide', href: link('#/leaderboard', { period: span }), 'data-test': 'home-leaderboard' }, t('th.leaderboard')),
  ];
}

export async function render(params, ctx) {
  const q = params.query;
  const user = ctx.user;
  const unitId = user.role === 'lead' ? null : q.get('unit');
  const kind = unitId ? q.get('kind') || (await model.record('unit', unitId))?.kind : null;
  const team = user.role === 'lead' || kind === 'team';
  // A team works to months; the units above it to years (a region's goal is often set for the year only, as
  // in the demo company): each home opens on the period its goals are most likely set for.
  const span = PERIODS.includes(q.get('period')) ? q.get('period') : team ? 'month' : 'year';
  const period = periodsOf(dayIn(ctx.timeZone))[span];
  const path = `/api/v1/home/${team ? 'team' : 'units'}${coaching.queryString({ unit_id: unitId, period })}`;
  // What the lead's or manager's own phone sent and the server refused (a reject without its reason, a
  // decision on a visit since moved): shown here as on a rep's home, or it would be seen nowhere.
  const [answer, refused] = await Promise.all([coaching.readKept(path, { onePage: true }), model.rejected()]);
  const data = answer.ok || answer.cachedAt ? answer.data : null;
  const link = (hash, extra) => {
    const pairs = Object.entries(extra).filter(([, v]) => v);
    return pairs.length ? `${hash}?${new URLSearchParams(pairs)}` : hash;
  };
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('lb.period'), 'data-test': 'home-period' },
    PERIODS.map((p) => h('a', { class: `tab${p === span ? ' on' : ''}`, href: link('#/', { unit: unitId, kind, period: p }),
      'data-value': p, 'aria-current': p === span ? 'true' : null }, t(`lb.${p}`))));
  const notice = answer.ok ? null
    : answer.cachedAt ? h('p', { class: 'banner', 'data-test': 'home-cached', role: 'status' }, t('th.cached', dateTime(answer.cachedAt)))
    : h('p', { class: answer.offline ? 'banner' : 'error', 'data-test': 'home-problem', role: 'status' },
      answer.offline ? t('th.offline') : answer.message || t('th.failed'));
  return h('section', { class: 'screen team-home', 'data-test': 'home', 'data-home': team ? 'team' : 'units',
    'data-period': period, 'data-cached': answer.ok ? 'no' : 'yes' },
  h('h1', { 'data-test': 'home-title' }, data ? data.name : t('nav.home')),
  refused.length ? h('div', { class: 'block' }, h('h2', {}, t('home.rejected')),
    refused.map((r) => rejectedItem(r, ctx.navigate, ctx.refresh))) : null,
  tabs,
  notice,
  data ? h('p', { class: 'hint' }, `${periodName(data.period)} · ${t('th.asof', dateTime(data.as_of))}`) : null,
  data ? (team ? teamScreen(data, ctx, span, link) : unitsScreen(data, span, link)) : null);
}
