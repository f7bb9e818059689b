// views/home.js: today. What the rep did and is due to do, what is still on the phone, what was refused.
import { h, empty } from '../ui.js';
import { t, day } from '../i18n.js';
import * as model from '../model.js';
import { dayIn } from '../time.js';
import { visitItem, rejectedItem } from './common.js';

export const live = true;

export async function render(_params, ctx) {
  const queue = await model.queue();
  const [visits, customers, refused] = await Promise.all([model.visits(queue), model.customers(queue), model.rejected()]);
  const names = new Map(customers.map((c) => [c.id, c.name]));
  const tz = ctx.timeZone;
  const today = dayIn(tz);
  const month = today.slice(0, 7);
  const mine = visits.filter((v) => !v.rep_id || v.rep_id === ctx.user.id);
  const dayOf = (v) => (v.check_in_at ? dayIn(tz, new Date(v.check_in_at)) : '');
  const todayCount = mine.filter((v) => dayOf(v) === today).length;
  const monthVisits = mine.filter((v) => dayOf(v).startsWith(month));
  const monthCount = monthVisits.length;
  // Goals count approved visits only: say so where this month's count runs ahead of them.
  const notApproved = monthVisits.filter((v) => v.status !== 'approved').length;

  mine.sort((a, b) => (b.check_in_at || '').localeCompare(a.check_in_at || ''));
  // Follow-ups: the latest visit per customer that names a next date, due within a week (or overdue).
  const latest = new Map();
  for (const v of mine) if (!latest.has(v.customer_id)) latest.set(v.customer_id, v);
  const soon = dayIn(tz, new Date(Date.now() + 7 * 864e5));
  const followUps = [...latest.values()].filter((v) => v.next_follow_up_on && v.next_follow_up_on <= soon)
    .sort((a, b) => a.next_follow_up_on.localeCompare(b.next_follow_up_on));

  return h('section', { 'data-test': 'home', class: 'screen' },
    refused.length ? h('div', { class: 'block' }, h('h2', {}, t('home.rejected')),
      refused.map((r) => rejectedItem(r, ctx.navigate, ctx.refresh))) : null,
    h('div', { class: 'stats' },
      h('div', { class: 'stat' }, h('b', { 'data-test': 'today-count' }, todayCount), h('span', {}, t('home.today'))),
      h('div', { class: 'stat' }, h('b', { 'data-test': 'month-count' }, monthCount), h('span', {}, t('home.month')))),
    notApproved ? h('p', { class: 'hint', 'data-test': 'month-not-approved' }, t('home.pending', notApproved)) : null,
    followUps.length ? h('div', { class: 'block' }, h('h2', {}, t('home.followups')),
      followUps.map((v) => h('a', { class: `row${v.next_follow_up_on < today ? ' overdue' : ''}`, 'data-test': 'followup-item',
        href: `#/visit/new?c=${encodeURIComponent(v.customer_id)}` },
      h('div', { class: 'row-main' }, h('strong', {}, names.get(v.customer_id) || '—'), h('small', {}, day(v.next_follow_up_on)))))) : null,
    h('div', { class: 'block' }, h('h2', {}, t('home.recent')),
      mine.length ? mine.slice(0, 30).map((v) => visitItem(v, names.get(v.customer_id))) : empty(t('home.none'))),
    h('a', { class: 'fab', href: '#/visit/new', 'data-test': 'visit-new' }, `+ ${t('visit.new')}`));
}
