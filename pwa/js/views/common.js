// views/common.js: pieces several screens show: a visit row, a status chip, a refused-record card.
import { h } from '../ui.js';
import { t, dateTime } from '../i18n.js';
import * as model from '../model.js';

export function chip(status, pending) {
  return [
    status ? h('span', { class: `chip chip-${status}` }, t(`status.${status}`)) : null,
    pending ? h('span', { class: 'chip chip-pending' }, t('status.pending')) : null,
  ];
}

export function visitItem(v, customerName) {
  return h('a', { class: 'row', href: `#/visit/${v.id}`, 'data-test': 'visit-item', 'data-id': v.id, 'data-status': v.status },
    h('div', { class: 'row-main' },
      h('strong', {}, customerName || '—'),
      h('small', {}, `${dateTime(v.check_in_at)} · ${v.outcome ? t(`outcome.${v.outcome}`) : ''}`,
        v.satisfaction ? ` · ${'★'.repeat(v.satisfaction)}` : '')),
    h('div', { class: 'row-side' }, chip(v.status, v.pending)));
}

/** A refused mutation: what it was, the server's reasons, and what the rep can do about it. */
export function rejectedItem(receipt, navigate, refresh) {
  const m = receipt.mutation;
  const reasons = receipt.errors.map((e) => e.message || (e.code === 'too_large' ? t('rej.too_large') : e.code))
    .filter(Boolean).join('；');
  const fixable = m.op === 'create' && (m.entity === 'visit' || m.entity === 'customer');
  const fix = () => {
    // A create is resent through its form, as a new record: the refused id stays refused on the server.
    sessionStorage.setItem('fieldgoal-fix', JSON.stringify(receipt));
    navigate(m.entity === 'visit' ? '#/visit/new?fix=1' : '#/customers/new?fix=1');
  };
  const retry = async () => { await model.resend(receipt); refresh(); };
  const dismiss = async () => { await model.dismissRejected(receipt.key); refresh(); };
  return h('div', { class: 'card card-bad', 'data-test': 'rejected-item', 'data-mid': receipt.mid },
    h('strong', {}, `${t(`entity.${m.entity}`)} · ${m.op === 'action' ? m.name : m.op}`,
      m.fields?.name ? ` · ${m.fields.name}` : ''),
    h('p', { class: 'reason' }, reasons),
    h('div', { class: 'actions' },
      m.op === 'create' && !fixable ? null
        : h('button', { class: 'btn', 'data-test': 'rejected-fix', onclick: fixable ? fix : retry }, t(fixable ? 'rej.fix' : 'rej.retry')),
      h('button', { class: 'btn btn-quiet', 'data-test': 'rejected-dismiss', onclick: dismiss }, t('rej.dismiss'))));
}

// ---- pieces of the online desks (reviews, plans, approval desk, audit, dimensions, commission plans) ------

/** What a failed call says: offline, the server's problem message, or a generic failure. */
export const problem = (answer) => (answer.offline ? t('coach.offline') : answer.message || t('coach.failed'));

/** Every `field: message` of a refused write, so a form names what to fix. */
export function problems(answer) {
  const errors = answer.data?.errors || [];
  return errors.length ? errors.map((e) => `${e.field}: ${e.message || e.code}`).join('；') : problem(answer);
}

/** Above a desk's content: nothing when live; offline, the kept copy's time (writes wait for a connection),
 *  or that the screen needs one; otherwise the server's refusal. */
export function keptNotice(answer) {
  if (answer.ok) return null;
  if (answer.offline && answer.cachedAt) {
    return h('p', { class: 'banner', 'data-test': 'desk-cached', role: 'status' }, t('desk.cached', dateTime(answer.cachedAt)));
  }
  if (answer.offline) return h('p', { class: 'banner', 'data-test': 'desk-offline', role: 'status' }, t('desk.offline'));
  return h('p', { class: 'error', 'data-test': 'desk-error', role: 'alert' }, problem(answer));
}

/** The answer's data when live or kept from before, else `fallback`. */
export const shown = (answer, fallback) => (answer.ok || answer.cachedAt ? answer.data : fallback);

/** A screen's title with a way back. */
export const heading = (title, back = '#/me') => h('div', { class: 'bar' },
  h('h1', {}, title), h('a', { class: 'btn btn-quiet', href: back, 'data-test': 'desk-back' }, `← ${t('desk.back')}`));

/** `YYYY-MM-DD` of a Date in the user's zone (for date inputs' defaults). */
export function isoDay(date, timeZone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}
