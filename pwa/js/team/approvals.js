// team/approvals.js: a lead's queue: the team's submitted visits (approve, reject with a comment, approve
// several at once) and amendments to approved visits (accept or refuse). Each decision is a queued action on
// the version the lead is looking at, so a visit edited meanwhile comes back `stale_review`.
import { h, empty, toast } from '../ui.js';
import { t, dateTime, day, money } from '../i18n.js';
import * as model from '../model.js';
import { gallery } from '../views/photos.js';
import { evidence } from '../views/common.js';

export const live = true;

/** A visit's field as the visit screen labels it, and its value in words (what the rep typed stays as typed). */
const fieldLabel = (name) => (t(`field.${name}`) !== `field.${name}` ? t(`field.${name}`) : t('field.other'));
function fieldValue(name, value) {
  if (value === null || value === undefined || value === '') return '—';
  if (name === 'outcome') return t(`outcome.${value}`);
  if (name === 'satisfaction') return '★'.repeat(Number(value));
  if (name === 'amount') return money(value);
  if (name === 'next_follow_up_on') return day(value);
  if (/_at$/.test(name)) return dateTime(value);
  return typeof value === 'object' ? '—' : String(value);
}

export async function render(_params, ctx) {
  const queue = await model.queue();
  const [visits, customers, users, amendments] = await Promise.all([
    model.visits(queue), model.customers(queue), model.replica('user'), model.amendments(queue)]);
  const customerName = new Map(customers.map((c) => [c.id, c.name]));
  const userName = new Map(users.map((u) => [u.id, u.name]));
  const waiting = visits.filter((v) => v.status === 'submitted' && !v.local && v.rep_id !== ctx.user.id)
    .sort((a, b) => (a.check_in_at || '').localeCompare(b.check_in_at || ''));
  const pendingAmendments = amendments.filter((a) => a.status === 'pending');
  const selected = new Set();
  const bulk = h('button', { class: 'btn btn-primary', 'data-test': 'approve-selected', disabled: true, onclick: async () => {
    await model.approveVisits(waiting.filter((v) => selected.has(v.id)));
    toast(t('notice.saved'));
    ctx.refresh();
  } }, t('approve.selected', 0));
  const updateBulk = () => { bulk.disabled = !selected.size; bulk.textContent = t('approve.selected', selected.size); };
  const boxes = [];

  const item = (v) => {
    const box = h('input', { type: 'checkbox', 'data-test': 'approve-select', 'aria-label': t('approve.all'), onchange: () => {
      if (box.checked) selected.add(v.id); else selected.delete(v.id);
      updateBulk();
    } });
    boxes.push(box);
    // The reason is asked for when the lead presses reject: nothing is queued until it has text.
    const comment = h('input', { type: 'text', 'data-test': 'reject-comment', placeholder: t('approve.comment'), maxlength: 4000,
      required: true, hidden: true, 'aria-label': t('approve.comment') });
    const why = h('p', { class: 'hint', 'data-test': 'reject-message', role: 'status' });
    return h('div', { class: 'card', 'data-test': 'approve-item', 'data-id': v.id },
      h('div', { class: 'goal-head' }, h('label', { class: 'check' }, box,
        h('strong', {}, `${userName.get(v.rep_id) || ''} · ${customerName.get(v.customer_id) || '—'}`))),
      h('p', { class: 'hint' }, [dateTime(v.check_in_at), v.outcome ? t(`outcome.${v.outcome}`) : null,
        v.satisfaction ? '★'.repeat(v.satisfaction) : null].filter(Boolean).join(' · ')),
      evidence(v),
      v.notes ? h('p', {}, v.notes) : null,
      gallery(v),
      comment, why,
      h('div', { class: 'actions' },
        h('button', { class: 'btn btn-primary', 'data-test': 'approve', onclick: async () => {
          await model.approveVisits([v]); ctx.refresh();
        } }, t('approve.approve')),
        h('button', { class: 'btn btn-bad', 'data-test': 'reject', onclick: async () => {
          const reason = comment.value.trim();
          if (!reason) {
            const asked = !comment.hidden;
            comment.hidden = false;
            comment.setAttribute('aria-invalid', asked ? 'true' : 'false');
            why.textContent = asked ? t('desk.reason') : '';
            comment.focus();
            return;
          }
          await model.rejectVisit(v, reason); ctx.refresh();
        } }, t('approve.reject'))));
  };

  const amendmentItem = (a) => {
    const visit = visits.find((v) => v.id === a.visit_id);
    return h('div', { class: 'card', 'data-test': 'amendment-item', 'data-id': a.id },
      h('strong', {}, `${userName.get(a.proposed_by) || ''} · ${customerName.get(visit?.customer_id) || '—'}`),
      Object.entries(a.fields || {}).map(([name, value]) => h('p', { class: 'hint', 'data-test': 'amendment-change', 'data-field': name },
        t('approve.change', fieldLabel(name), fieldValue(name, visit?.[name]), fieldValue(name, value)))),
      h('div', { class: 'actions' },
        h('button', { class: 'btn btn-primary', 'data-test': 'amendment-accept', onclick: async () => {
          await model.decideAmendment(a, true); ctx.refresh();
        } }, t('approve.accept')),
        h('button', { class: 'btn btn-bad', 'data-test': 'amendment-refuse', onclick: async () => {
          await model.decideAmendment(a, false); ctx.refresh();
        } }, t('approve.refuse'))));
  };

  return h('section', { class: 'screen cards', 'data-test': 'approvals' },
    h('h1', {}, t('approve.title')),
    waiting.length ? h('div', { class: 'bar' },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-test': 'approve-select-all', onchange: (e) => {
        for (const [i, box] of boxes.entries()) {
          box.checked = e.target.checked;
          if (box.checked) selected.add(waiting[i].id); else selected.delete(waiting[i].id);
        }
        updateBulk();
      } }), h('span', {}, t('approve.all'))), bulk) : null,
    waiting.length ? waiting.map(item) : empty(t('approve.none')),
    pendingAmendments.length ? [h('h2', {}, t('approve.amendments')), pendingAmendments.map(amendmentItem)] : null);
}
