// views/goals.js: goal progress from the `progress` replica (the server's one KPI computation), plus the
// rep's own queued work shown apart as a provisional figure: it counts only once the server has it (and,
// for visits, once a lead approves).
import { h, empty } from '../ui.js';
import { t, figure, number, percent1, periodName, dateTime, getLocale } from '../i18n.js';
import * as model from '../model.js';
import * as db from '../db.js';
import { dayIn, periodsOf } from '../time.js';

export const live = true;
const METRICS = ['revenue', 'visits', 'conversion', 'satisfaction', 'new_customers'];

const show = (metric, value) => figure(metric, value);
const RATIOS = new Set(['conversion', 'satisfaction']);

/** A period's tab: 7月 / Jul within a year's list, a quarter as Q3, a year as itself; the full name in its title. */
function tabLabel(key) {
  const month = /^\d{4}-(\d{2})$/.exec(key);
  if (month) {
    return getLocale() === 'zh-CN' ? `${Number(month[1])}月`
      : new Intl.DateTimeFormat('en', { month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2000, Number(month[1]) - 1, 1)));
  }
  const quarter = /^\d{4}-Q([1-4])$/.exec(key);
  return quarter ? `Q${quarter[1]}` : periodName(key);
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

function card(p, extra, hook, pending) {
  const attainment = Number(p.attainment);
  const ratio = RATIOS.has(p.metric);
  // For a sum, the share of the period's working days gone by (what the expected figure is made of); a ratio
  // is expected at its target on every day.
  const elapsed = !ratio && p.working_days_total > 0 && p.working_days_left != null
    ? (p.working_days_total - p.working_days_left) / p.working_days_total : null;
  const attained = p.attainment != null && Number.isFinite(attainment);
  const behind = ratio ? attained && attainment < 1 : elapsed !== null && attained && attainment < elapsed;
  const gap = elapsed !== null && attained ? (elapsed - attainment) * 100 : null;
  const meterEnd = ratio ? 1 : elapsed;
  return h('div', { class: `card goal${behind ? ' behind' : ''}`, 'data-test': hook, 'data-metric': p.metric, 'data-period': p.period },
    h('div', { class: 'goal-head' }, h('strong', {}, t(`metric.${p.metric}`)),
      // A rate or a score is read as itself beside its target, never as a ratio of two rates.
      h('b', { class: 'big', 'data-test': 'goal-figure' }, ratio ? show(p.metric, p.actual) : percent1(p.attainment))),
    h('div', { class: 'meter' },
      h('i', { style: `width:${Math.min(100, Math.max(0, (attainment || 0) * 100))}%` }),
      meterEnd !== null ? h('em', { style: `left:${Math.min(100, meterEnd * 100)}%` }) : null),
    h('p', {}, ratio ? t('goals.rate', show(p.metric, p.target))
      : [`${show(p.metric, p.actual)} / ${show(p.metric, p.target)}`,
        p.expected_by_today != null ? ` · ${t('goals.expected', show(p.metric, p.expected_by_today))}` : ''].join('')),
    h('p', { class: 'hint', 'data-test': 'goal-standing' }, [
      ratio ? null : attained ? t('th.attained', percent1(p.attainment)) : null,
      elapsed !== null ? t('th.elapsed', percent1(elapsed)) : null,
      gap !== null && gap > 0.05 ? t('th.gap', number(gap, 1)) : null,
      // A ratio's forecast is the ratio so far: the figure above.
      !ratio && p.forecast != null ? t('goals.forecast', show(p.metric, p.forecast)) : null,
      Number(p.needed_per_working_day) > 0 ? t('goals.needed', figure(p.metric, p.needed_per_working_day, { up: true })) : null,
      p.working_days_left != null ? t('goals.daysleft', p.working_days_left) : null,
      // Each figure kept on one line (¥6.9万 never split from its 万).
    ].filter(Boolean).flatMap((item, i) => [i ? ' · ' : null, h('span', { style: 'white-space:nowrap' }, item)])),
    pending ? h('p', { class: 'hint', 'data-test': 'goal-pending' }, t('goals.pending', pending)) : null,
    extra ? h('p', { class: 'provisional', 'data-test': 'goal-provisional' }, t('goals.provisional', show(p.metric, extra))) : null);
}

export async function render(params, ctx) {
  const queue = await model.queue();
  const [all, visits] = await Promise.all([model.replica('progress'), model.visits(queue)]);
  const user = ctx.user;
  const own = all.filter((p) => p.subject_type === 'user' && p.subject_id === user.id);
  const team = all.filter((p) => p.subject_type === 'unit' && p.subject_id === user.unit_id);
  const primary = own.length ? own : team;
  const secondary = own.length ? team : [];
  // Leads and managers cascade goals down the org on the goal tree (js/team/goaltree.js).
  const tree = ['lead', 'manager', 'admin'].includes(user.role)
    ? h('a', { class: 'btn btn-wide', href: '#/goals/tree', 'data-test': 'goal-tree-open' }, t('goals.tree')) : null;
  // No goals: before the first sync they may just not be here yet; after one, they are not set. Either way the
  // team's leaderboard is still there to see.
  if (!primary.length) {
    const { last_synced_at: synced } = await db.getMeta('last_synced_at');
    return h('section', { class: 'screen' }, h('h1', {}, t('goals.title')),
      empty(t(synced ? 'goals.unset' : 'goals.none')),
      h('a', { class: 'btn btn-wide', href: '#/leaderboard', 'data-test': 'nav-leaderboard' }, t('nav.leaderboard')), tree);
  }

  const today = dayIn(ctx.timeZone);
  const periods = [...new Set(primary.map((p) => p.period))].sort();
  const current = periodsOf(today);
  const period = params.query.get('period') || [current.month, current.quarter, current.year].find((x) => periods.includes(x))
    || periods[periods.length - 1];
  const order = (a, b) => METRICS.indexOf(a.metric) - METRICS.indexOf(b.metric);
  const extra = own.length ? provisional(queue, period, ctx.timeZone) : {};
  // Home counts every visit logged; the goal only approved ones: the synced ones still waiting say why.
  const waiting = own.length ? visits.filter((v) => (!v.rep_id || v.rep_id === user.id) && v.status === 'submitted' && !v.local
    && v.check_in_at && inPeriod(dayIn(ctx.timeZone, new Date(v.check_in_at)), period)).length : 0;
  const asOf = primary.find((p) => p.as_of)?.as_of;
  return h('section', { class: 'screen' },
    h('h1', {}, t('goals.title')),
    h('div', { class: 'tabs' }, periods.map((x) => h('a', { class: `tab${x === period ? ' on' : ''}`, href: `#/goals?period=${x}`,
      title: periodName(x), 'aria-label': periodName(x), 'data-test': 'goal-period', 'data-period': x }, tabLabel(x)))),
    primary.filter((p) => p.period === period).sort(order)
      .map((p) => card(p, extra[p.metric], 'goal-progress', p.metric === 'visits' ? waiting : 0)),
    secondary.some((p) => p.period === period) ? h('h2', {}, t('goals.team')) : null,
    secondary.filter((p) => p.period === period).sort(order).map((p) => card(p, null, 'unit-progress')),
    asOf ? h('p', { class: 'hint' }, t('goals.asof', dateTime(asOf))) : null,
    h('a', { class: 'btn btn-wide', href: `#/leaderboard?period=${period.includes('Q') ? 'quarter' : period.length === 4 ? 'year' : 'month'}`,
      'data-test': 'nav-leaderboard' }, t('nav.leaderboard')),
    tree);
}
