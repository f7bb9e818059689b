// views/customer.js: one customer's page (#/customer/{id}), all from the replica and the queue, so offline
// too: the province and city it is in, who to ask for and a call link, the address opening a maps app, the
// open follow-up, the visits newest first, and the deals, each movable to its next stage (or lost, with the
// reason) through the outbox.
import { h, empty, toast } from '../ui.js';
import { t, money, day } from '../i18n.js';
import * as model from '../model.js';
import { mapLink } from '../geo.js';
import { dayIn } from '../time.js';
import { chip, visitItem } from './common.js';

export const live = true;

const OPEN = ['lead', 'qualified', 'proposal', 'negotiation'];

export async function render(params, ctx) {
  const queue = await model.queue();
  const [customers, visits, deals] = await Promise.all([model.customers(queue), model.visits(queue), model.opportunities(queue)]);
  const c = customers.find((x) => x.id === params.id);
  if (!c) return h('section', { class: 'screen' }, empty(t('cust.notfound')));
  const mine = visits.filter((v) => v.customer_id === c.id).sort((a, b) => (b.check_in_at || '').localeCompare(a.check_in_at || ''));
  const today = dayIn(ctx.timeZone);
  // The open follow-up is the one the latest visit set: a later visit answers the earlier ones.
  const followUp = mine[0]?.next_follow_up_on;
  const place = [c.province, c.city].filter(Boolean).join(' · ');
  const where = c.lat != null && c.lon != null ? mapLink(c.lat, c.lon, c.name)
    : c.address ? `https://uri.amap.com/search?keyword=${encodeURIComponent(c.address)}` : null;

  return h('section', { class: 'screen', 'data-test': 'customer-page', 'data-id': c.id },
    h('div', { class: 'bar' }, h('h1', {}, c.name), h('span', {}, chip(c.status, c.pending))),
    h('div', { class: 'card' },
      place ? h('p', { 'data-test': 'customer-place' }, h('span', { class: 'hint' }, `${t('cust.place')} `), place) : null,
      c.contact ? h('p', {}, c.contact) : null,
      c.phone ? h('a', { class: 'btn btn-wide', href: `tel:${c.phone.replace(/[^\d+]/g, '')}`, 'data-test': 'customer-call' },
        t('cust.call', c.phone)) : null,
      where ? h('a', { class: 'btn btn-wide', href: where, target: '_blank', rel: 'noopener', 'data-test': 'customer-map' },
        c.address ? `${t('cust.map')} · ${c.address}` : t('cust.map')) : null,
      h('a', { class: 'btn btn-primary btn-wide', href: `#/visit/new?c=${encodeURIComponent(c.id)}`, 'data-test': 'customer-visit' },
        `+ ${t('cust.visit')}`)),
    followUp ? h('p', { class: `card${followUp < today ? ' reason' : ''}`, 'data-test': 'customer-followup' },
      t('cust.followup', day(followUp))) : null,
    h('h2', {}, t('cust.deals')),
    deals.filter((o) => o.customer_id === c.id).map((o) => deal(o, ctx)),
    deals.some((o) => o.customer_id === c.id) ? null : empty(t('cust.nodeals')),
    h('h2', {}, t('cust.history')),
    mine.length ? h('div', {}, mine.map((v) => visitItem(v, c.name))) : empty(t('cust.novisits')));
}

/** A deal: its stage, and while open, a tap to the next stage or to lost with a reason (required). */
function deal(o, ctx) {
  const open = OPEN.includes(o.stage);
  const next = open ? model.STAGES[model.STAGES.indexOf(o.stage) + 1] : null;
  const error = h('p', { class: 'error', role: 'alert' });
  const reason = h('input', { type: 'text', maxlength: 200, 'data-test': 'deal-reason', placeholder: t('deal.reason') });
  const losing = h('div', { class: 'field', hidden: true }, reason,
    h('button', { type: 'button', class: 'btn btn-bad', 'data-test': 'deal-lost-confirm', onclick: async () => {
      if (!reason.value.trim()) { error.textContent = t('deal.reason.required'); reason.focus(); return; }
      await model.advanceOpportunity(o, 'lost', reason.value.trim());
      toast(t('deal.saved'));
      ctx.refresh();
    } }, t('deal.confirmlost')), error);
  return h('div', { class: 'card', 'data-test': 'deal-item', 'data-id': o.id, 'data-stage': o.stage || '' },
    h('div', { class: 'goal-head' }, h('strong', {}, o.title || '—'), h('b', {}, o.amount != null ? money(o.amount) : '')),
    h('p', { class: 'hint' }, h('span', { class: `chip chip-${o.stage === 'won' ? 'approved' : o.stage === 'lost' ? 'rejected' : 'submitted'}` },
      t(`stage.${o.stage}`)), o.pending ? [' ', chip(null, true)] : null, o.close_reason ? ` ${o.close_reason}` : ''),
    open ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn btn-primary', 'data-test': 'deal-advance', 'data-next': next, onclick: async () => {
        await model.advanceOpportunity(o, next);
        toast(t('deal.saved'));
        ctx.refresh();
      } }, t('deal.advance', t(`stage.${next}`))),
      h('button', { type: 'button', class: 'btn btn-quiet', 'data-test': 'deal-lose', onclick: () => {
        losing.hidden = false; reason.focus();
      } }, t('deal.lose'))) : null,
    losing);
}
