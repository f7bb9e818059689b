// views/leaderboard.js: the leaderboard (#/leaderboard?scope=&metric=&period=&unit=). Everyone sees the people
// of their unit ranked by attainment of their own target (GET /leaderboard: a rep their team, themselves
// highlighted; the server leaves reps on an improvement plan out of the ranks other reps see), each person's
// badges beside the name. Leads and managers also rank teams and regions by each unit's own target
// (GET /leaderboard/units). A metric and a period (month, quarter, year) switch; offline, the last copy of
// the same board, marked with its time.
import { h, empty } from '../ui.js';
import { t, figure, percent1, periodName, dateTime } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { dayIn, periodsOf } from '../time.js';

const METRICS = ['revenue', 'visits', 'conversion', 'satisfaction', 'new_customers'];
const PERIODS = ['month', 'quarter', 'year'];
const LEADS = new Set(['lead', 'manager', 'admin']);

/** The boards someone may open, by the kind of their own unit: [scope, query of GET /leaderboard/units]. */
function scopesFor(user, unit) {
  const scopes = [['people', null]];
  if (!LEADS.has(user.role) || !unit) return scopes;
  if (unit.kind === 'team' && unit.parent_id) scopes.push(['team', { unit_id: unit.parent_id }]);
  if (unit.kind === 'region') scopes.push(['team', {}]);
  if (unit.kind === 'company') scopes.push(['team', { kind: 'team' }], ['region', { kind: 'region' }]);
  return scopes;
}

/** A badge mark in the reader's language (the server's label is in the language stored for the account). */
function badgeText(b) {
  const key = `lb.badge.${b.kind}`;
  const name = t(key) === key ? b.label : t(key);
  return b.count > 1 ? t('lb.badge.count', name, b.count) : name;
}

const meter = (attainment) => h('span', { class: 'meter lb-meter', 'aria-hidden': 'true' },
  h('i', { style: `width:${Math.min(100, Math.max(0, Number(attainment || 0) * 100))}%` }));

function personRow(row) {
  return h('div', { class: `row lb-row${row.is_me ? ' lb-me' : ''}`, 'data-test': 'leaderboard-row', 'data-id': row.user_id,
    'data-me': row.is_me ? 'yes' : 'no', 'data-rank': row.rank ?? '', 'aria-current': row.is_me ? 'true' : null },
  h('b', { class: 'lb-rank', title: row.rank ? t('lb.rank', row.rank) : t('lb.unranked') }, row.rank ?? '—'),
  h('div', { class: 'row-main' },
    h('strong', { 'data-test': 'leaderboard-name' }, row.name || '—', row.is_me ? h('span', { class: 'chip chip-approved lb-you' }, t('lb.me')) : null),
    row.badges?.length ? h('span', { class: 'lb-badges', 'data-test': 'leaderboard-badges' },
      row.badges.map((b) => h('span', { class: 'chip chip-pending', 'data-test': 'leaderboard-badge', 'data-kind': b.kind }, badgeText(b)))) : null,
    row.rank === null && row.is_me ? h('small', {}, t('lb.unranked')) : null,
    meter(row.attainment)),
  h('div', { class: 'row-side' }, h('b', { class: 'lb-figure', 'data-test': 'leaderboard-attainment' },
    row.attainment === null ? t('lb.notmeasured') : percent1(row.attainment))));
}

function unitRow(row, href) {
  const facts = row.target === null ? t('lb.nogoal')
    : t('lb.of', figure(row.metric, row.actual), figure(row.metric, row.target));
  return h('a', { class: `row lb-row${row.is_mine ? ' lb-me' : ''}`, href, 'data-test': 'leaderboard-row', 'data-id': row.unit_id,
    'data-me': row.is_mine ? 'yes' : 'no', 'data-rank': row.rank ?? '' },
  h('b', { class: 'lb-rank', title: row.rank ? t('lb.rank', row.rank) : t('lb.unranked') }, row.rank ?? '—'),
  h('div', { class: 'row-main' },
    h('strong', { 'data-test': 'leaderboard-name' }, row.name || '—', row.is_mine ? h('span', { class: 'chip chip-approved lb-you' }, t('lb.mine')) : null),
    h('small', { 'data-test': 'leaderboard-facts' }, `${t(`unit.kind.${row.kind}`)} · ${facts}`),
    meter(row.attainment)),
  h('div', { class: 'row-side' }, h('b', { class: 'lb-figure', 'data-test': 'leaderboard-attainment' },
    row.target === null ? '—' : row.attainment === null ? t('lb.notmeasured') : percent1(row.attainment))));
}

export async function render(params, ctx) {
  const user = ctx.user;
  const q = params.query;
  const units = await model.replica('unit');
  const own = units.find((u) => u.id === user.unit_id);
  const scopes = scopesFor(user, own);
  const asked = q.get('unit');
  const scope = scopes.some(([s]) => s === q.get('scope')) ? q.get('scope') : 'people';
  const metric = METRICS.includes(q.get('metric')) ? q.get('metric') : 'revenue';
  const span = PERIODS.includes(q.get('period')) ? q.get('period') : 'month';
  const period = periodsOf(dayIn(ctx.timeZone))[span];
  const link = (change) => {
    const next = { scope, metric, period: span, ...(asked && scope === 'people' ? { unit: asked } : {}), ...change };
    return `#/leaderboard?${new URLSearchParams(Object.entries(next).filter(([, v]) => v))}`;
  };

  let path;
  let subject;
  if (scope === 'people') {
    path = `/api/v1/leaderboard${coaching.queryString({ unit_id: asked, metric, period })}`;
    subject = units.find((u) => u.id === (asked || user.unit_id))?.name;
  } else {
    const [, extra] = scopes.find(([s]) => s === scope);
    path = `/api/v1/leaderboard/units${coaching.queryString({ ...extra, metric, period })}`;
    subject = units.find((u) => u.id === (extra.unit_id || user.unit_id))?.name;
  }
  const answer = await coaching.readKept(path, { onePage: true });
  const rows = answer.ok || answer.cachedAt ? answer.data : null;

  const tabs = (label, options, on, name) => h('nav', { class: 'tabs', 'aria-label': label, 'data-test': `leaderboard-${name}` },
    options.map(([value, text]) => h('a', { class: `tab${value === on ? ' on' : ''}`, href: link({ [name]: value }),
      'data-value': value, 'aria-current': value === on ? 'true' : null }, text)));
  const scopeLabel = { people: 'lb.people', team: 'lb.teams', region: 'lb.regions' };
  const notice = answer.ok ? null
    : answer.cachedAt ? h('p', { class: 'banner', 'data-test': 'leaderboard-cached', role: 'status' }, t('lb.cached', dateTime(answer.cachedAt)))
    : h('p', { class: answer.offline ? 'banner' : 'error', 'data-test': 'leaderboard-problem', role: 'status' },
      answer.offline ? t('lb.offline') : answer.message || t('lb.failed'));
  const hint = [subject, periodName(period)].filter(Boolean).join(' · ');
  return h('section', { class: 'screen lb', 'data-test': 'leaderboard', 'data-scope': scope, 'data-metric': metric,
    'data-period': period, 'data-cached': answer.ok ? 'no' : 'yes' },
  h('h1', {}, t('lb.title')),
  scopes.length > 1 ? tabs(t('lb.scope'), scopes.map(([s]) => [s, t(scopeLabel[s])]), scope, 'scope') : null,
  tabs(t('lb.metric'), METRICS.map((m) => [m, t(`metric.${m}`)]), metric, 'metric'),
  tabs(t('lb.period'), PERIODS.map((p) => [p, t(`lb.${p}`)]), span, 'period'),
  notice,
  rows ? h('p', { class: 'hint', 'data-test': 'leaderboard-hint' }, t(scope === 'people' ? 'lb.hint.people' : 'lb.hint.units', hint)) : null,
  rows && rows.length ? h('div', { class: 'block', 'data-test': 'leaderboard-rows' }, rows.map((row) => (scope === 'people' ? personRow(row)
    : unitRow(row, link({ scope: 'people', unit: row.unit_id }))))) : null,
  rows && !rows.length ? empty(t(scope === 'people' ? 'lb.empty' : 'lb.empty.units')) : null);
}
