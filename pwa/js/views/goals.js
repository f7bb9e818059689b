// views/goals.js: goal progress from the `progress` replica (the server's one KPI computation), plus the
// rep's own queued work shown apart as a provisional figure: it counts only once the server has it (and,
// for visits, once a lead approves).
import { h, empty } from '../ui.js';
import { t, money, number, percent, dateTime } from '../i18n.js';
import * as model from '../model.js';
import { dayIn, periodsOf } from '../time.js';

export const live = true;
const METRICS = ['revenue', 'visits', 'conversion', 'satisfaction', 'new_customers'];

function show(metric, value) {
  if (metric === 'revenue') return money(value);
  if (metric === 'conversion') return percent(value);
  if (metric === 'satisfaction') return number(value, 1);
  return number(value, 1);
}

function isoWeek(ymd) {
  const d = new Date(`${ymd}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - dow + 3);
  const firstThursday = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((d - firstThursday) / 864e5 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function inPeriod(ymd, period) {
  if (!ymd) return false;
  if (period.includes('-W')) return isoWeek(ymd) === period;
  const p = periodsOf(ymd);
  return [p.year, p.quarter, p.month].includes(period);
}

/** The rep's queued work per metric, for one period: visits logged and deals won, not yet on the server. */
function provisional(queue, period, tz) {
  const out = {};
  const dayOf = (iso) => (iso ? dayIn(tz, new Date(iso)) : null);
  const visits = queue.filter((m) => m.entity === 'visit' && m.op === 'create' && inPeriod(dayOf(m.fields.check_in_at), period));
  if (visits.length) out.visits = visits.length;
  const wonIds = new Set(queue.filter((m) => m.entity === 'opportunity' && m.name === 'advance' && m.args?.stage === 'won'
    && inPeriod(dayOf(m.args.at), period)).map((m) => m.id));
  let cents = 0;
  for (const m of queue) {
    if (m.entity === 'opportunity' && m.op === 'create' && wonIds.has(m.id)) cents += Math.round(Number(m.fields.amount || 0) * 100);
  }
  if (cents) out.revenue = (cents / 100).toFixed(2);
  return out;
}

function card(p, extra, hook) {
  const attainment = Number(p.attainment);
  const expectedFraction = Number(p.target) > 0 && p.expected_by_today != null ? Number(p.expected_by_today) / Number(p.target) : null;
  const behind = expectedFraction !== null && Number.isFinite(attainment) && attainment < expectedFraction;
  const pace = typeof p.pace === 'number' ? percent(p.pace) : p.pace ? String(p.pace) : null;
  return h('div', { class: `card goal${behind ? ' behind' : ''}`, 'data-test': hook, 'data-metric': p.metric, 'data-period': p.period },
    h('div', { class: 'goal-head' }, h('strong', {}, t(`metric.${p.metric}`)), h('b', { class: 'big' }, percent(p.attainment))),
    h('div', { class: 'meter' },
      h('i', { style: `width:${Math.min(100, Math.max(0, (attainment || 0) * 100))}%` }),
      expectedFraction !== null ? h('em', { style: `left:${Math.min(100, expectedFraction * 100)}%` }) : null),
    h('p', {}, `${show(p.metric, p.actual)} / ${show(p.metric, p.target)}`,
      p.expected_by_today != null ? ` · ${t('goals.expected', show(p.metric, p.expected_by_today))}` : ''),
    h('p', { class: 'hint' }, [
      pace ? `${t('goals.pace')} ${pace}${behind ? ` (${t('goals.behind')})` : ''}` : null,
      p.forecast != null ? t('goals.forecast', show(p.metric, p.forecast)) : null,
      p.needed_per_working_day != null ? t('goals.needed', show(p.metric, p.needed_per_working_day)) : null,
      p.working_days_left != null ? t('goals.daysleft', p.working_days_left) : null,
    ].filter(Boolean).join(' · ')),
    extra ? h('p', { class: 'provisional', 'data-test': 'goal-provisional' }, t('goals.provisional', show(p.metric, extra))) : null);
}

export async function render(params, ctx) {
  const [all, queue] = await Promise.all([model.replica('progress'), model.queue()]);
  const user = ctx.user;
  const own = all.filter((p) => p.subject_type === 'user' && p.subject_id === user.id);
  const team = all.filter((p) => p.subject_type === 'unit' && p.subject_id === user.unit_id);
  const primary = own.length ? own : team;
  const secondary = own.length ? team : [];
  // Leads and managers cascade goals down the org on the goal tree (js/team/goaltree.js).
  const tree = ['lead', 'manager', 'admin'].includes(user.role)
    ? h('a', { class: 'btn btn-wide', href: '#/goals/tree', 'data-test': 'goal-tree-open' }, t('goals.tree')) : null;
  if (!primary.length) return h('section', { class: 'screen' }, h('h1', {}, t('goals.title')), empty(t('goals.none')), tree);

  const today = dayIn(ctx.timeZone);
  const periods = [...new Set(primary.map((p) => p.period))].sort();
  const current = periodsOf(today);
  const period = params.query.get('period') || [current.month, current.quarter, current.year].find((x) => periods.includes(x))
    || periods[periods.length - 1];
  const order = (a, b) => METRICS.indexOf(a.metric) - METRICS.indexOf(b.metric);
  const extra = own.length ? provisional(queue, period, ctx.timeZone) : {};
  const asOf = primary.find((p) => p.as_of)?.as_of;
  return h('section', { class: 'screen' },
    h('h1', {}, t('goals.title')),
    h('div', { class: 'tabs' }, periods.map((x) => h('a', { class: `tab${x === period ? ' on' : ''}`, href: `#/goals?period=${x}` }, x))),
    primary.filter((p) => p.period === period).sort(order).map((p) => card(p, extra[p.metric], 'goal-progress')),
    secondary.some((p) => p.period === period) ? h('h2', {}, t('goals.team')) : null,
    secondary.filter((p) => p.period === period).sort(order).map((p) => card(p, null, 'unit-progress')),
    asOf ? h('p', { class: 'hint' }, t('goals.asof', dateTime(asOf))) : null,
    h('a', { class: 'btn btn-wide', href: `#/leaderboard?period=${period.includes('Q') ? 'quarter' : period.length === 4 ? 'year' : 'month'}`,
      'data-test': 'nav-leaderboard' }, t('nav.leaderboard')),
    tree);
}
