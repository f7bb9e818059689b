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
