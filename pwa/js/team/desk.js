// team/desk.js: the approval desk, for a lead at a laptop (#/desk?rep_id=&from=&to=&status=&min_distance_m=
// &max_accuracy_m=): the team's visits filtered by rep, date and evidence (distance to the customer, GPS
// accuracy), several selected and approved or rejected at once (POST /visits/review), and the server's
// receipt shown on each visit (approved, rejected, changed meanwhile, refused with its reason). Online: the
// phone's approval queue (#/approvals) is the offline way; offline this shows the last list, read-only.
import { h, field, toast, empty } from '../ui.js';
import { t, dateTime, number, getLocale } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { flush } from '../sync.js';
import { gallery } from '../views/photos.js';
import { heading, keptNotice, problems, problemText, shown, evidence } from '../views/common.js';

const FILTERS = ['rep_id', 'from', 'to', 'status', 'min_distance_m', 'max_accuracy_m'];
const STATUSES = ['submitted', 'approved', 'rejected'];

/** What a refused decision's receipt names: the visit itself (`id`, `op`, its `status`) or the reason typed. */
const RECEIPT_LABELS = () => ({ id: t('desk.err.visit'), op: t('desk.err.visit'), status: t('desk.err.visit'),
  base_version: t('desk.err.visit'), comment: t('approve.comment') });

/** A decision's receipt as a sentence: approved, rejected, changed meanwhile, or why the server refused it (its
 *  message, which is in the reader's language, after what it names); a reason without one, or a receipt this
 *  app does not know, is a generic sentence, never the server's code. */
function receiptText(receipt, approve) {
  if (receipt.status === 'applied') return t(approve ? 'desk.receipt.approved' : 'desk.receipt.rejected');
  if (receipt.status === 'conflict') return t('desk.receipt.stale');
  const reasons = (receipt.errors || []).map((e) => (e.message ? problemText(e, RECEIPT_LABELS()) : t('desk.receipt.refused')));
  return [...new Set(reasons)].join(getLocale() === 'en' ? '; ' : '；') || t('desk.receipt.refused');
}

function filterBar(query, reps, ctx) {
  const control = {
    rep_id: h('select', { 'data-test': 'desk-rep' }, h('option', { value: '' }, t('desk.allreps')),
      reps.map((u) => h('option', { value: u.id, selected: u.id === query.get('rep_id') }, u.name || u.email))),
    from: h('input', { type: 'date', 'data-test': 'desk-from', value: query.get('from') || '' }),
    to: h('input', { type: 'date', 'data-test': 'desk-to', value: query.get('to') || '' }),
    status: h('select', { 'data-test': 'desk-status' },
      STATUSES.map((s) => h('option', { value: s, selected: s === (query.get('status') || 'submitted') }, t(`status.${s}`)))),
    min_distance_m: h('input', { type: 'number', min: 0, step: 1, inputmode: 'numeric', 'data-test': 'desk-min-distance',
      value: query.get('min_distance_m') || '', placeholder: t('desk.any') }),
    max_accuracy_m: h('input', { type: 'number', min: 0, step: 1, inputmode: 'numeric', 'data-test': 'desk-max-accuracy',
      value: query.get('max_accuracy_m') || '', placeholder: t('desk.any') }),
  };
  const apply = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) if (control[name].value) next.set(name, control[name].value);
    ctx.navigate(`#/desk${String(next) ? `?${next}` : ''}`);
  };
  return h('form', { class: 'card filters', 'data-test': 'desk-filters', onsubmit: apply },
    field(t('reviews.rep'), control.rep_id), field(t('desk.from'), control.from), field(t('desk.to'), control.to),
    field(t('desk.status'), control.status), field(t('desk.min_distance'), control.min_distance_m),
    field(t('desk.max_accuracy'), control.max_accuracy_m),
    h('div', { class: 'filters-go' }, h('button', { class: 'btn btn-primary', type: 'submit', 'data-test': 'desk-apply' }, t('desk.apply')),
      h('a', { class: 'btn btn-quiet', href: '#/desk', 'data-test': 'desk-clear' }, t('desk.clear'))));
}

export async function render(params, ctx) {
  const query = params.query;
  const wanted = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) || '']));
  const [answer, users, customers] = await Promise.all([coaching.deskVisits(wanted), model.replica('user'), model.replica('customer')]);
  const userName = new Map(users.map((u) => [u.id, u.name || u.email]));
  const customerName = new Map(customers.map((c) => [c.id, c.name]));
  const reps = users.filter((u) => u.id !== ctx.user.id && u.role !== 'admin').sort((a, b) => (a.name || '').localeCompare(b.name || ''));
  const visits = shown(answer, []);
  const decidable = answer.ok && (wanted.status || 'submitted') === 'submitted';
  const selected = new Set();
  const boxes = new Map();
  const receipts = new Map();
  const message = h('p', { class: 'hint', 'data-test': 'desk-message', role: 'status' });
  const comment = h('input', { type: 'text', 'data-test': 'desk-comment', maxlength: 2000, placeholder: t('approve.comment'),
    'aria-label': t('approve.comment') });
  const count = h('b', { 'data-test': 'desk-selected' }, '0');

  const decide = async (approve) => {
    const chosen = visits.filter((v) => selected.has(v.id));
    if (!chosen.length) return;
    if (!approve && !comment.value.trim()) {
      message.textContent = t('desk.reason'); comment.setAttribute('aria-invalid', 'true'); comment.focus(); return;
    }
    comment.removeAttribute('aria-invalid');
    for (const button of [approveButton, rejectButton]) button.disabled = true;
    const answered = await coaching.reviewVisits(chosen.map((v) => ({ id: v.id, base_version: v.version, approve,
      comment: approve ? null : comment.value.trim() })));
    for (const button of [approveButton, rejectButton]) button.disabled = false;
    if (!answered.ok) { message.textContent = problems(answered, { decisions: t('desk.err.decisions') }); return; }
    const results = answered.data.results || [];
    let done = 0;
    for (const receipt of results) {
      const slot = receipts.get(receipt.id);
      if (receipt.status === 'applied') done += 1;
      if (slot) {
        slot.textContent = receiptText(receipt, approve);
        slot.dataset.status = receipt.status;
        slot.className = `chip ${receipt.status === 'applied' ? (approve ? 'chip-approved' : 'chip-rejected') : 'chip-pending'}`;
      }
      if (receipt.status === 'applied') {
        selected.delete(receipt.id);
        const box = boxes.get(receipt.id);
        if (box) { box.checked = false; box.disabled = true; }
      }
    }
    count.textContent = String(selected.size);
    selectAll.checked = false;
    message.textContent = t('desk.done', done, results.length);
    toast(message.textContent);
    flush({ manual: true }).catch(() => {}); // the phone's own queue and replica catch up
  };
  const approveButton = h('button', { class: 'btn btn-primary', 'data-test': 'desk-approve', onclick: () => decide(true) }, t('approve.approve'));
  const rejectButton = h('button', { class: 'btn btn-bad', 'data-test': 'desk-reject', onclick: () => decide(false) }, t('approve.reject'));
  const toggle = (id, on) => { if (on) selected.add(id); else selected.delete(id); count.textContent = String(selected.size); };

  const row = (v) => {
    const box = h('input', { type: 'checkbox', 'data-test': 'desk-select', 'data-id': v.id, 'aria-label': t('desk.select'),
      disabled: !decidable, onchange: () => toggle(v.id, box.checked) });
    boxes.set(v.id, box);
    const receipt = h('span', { class: 'chip', 'data-test': 'desk-receipt', 'data-status': '' }, t(`status.${v.status}`));
    receipts.set(v.id, receipt);
    return h('label', { class: 'desk-row', 'data-test': 'desk-item', 'data-id': v.id, 'data-distance': v.distance_m ?? '',
      'data-accuracy': v.accuracy_m ?? '' },
    box,
    h('span', { class: 'row-main' },
      h('strong', {}, `${userName.get(v.rep_id) || '—'} · ${customerName.get(v.customer_id) || '—'}`),
      h('small', {}, [dateTime(v.check_in_at), v.outcome ? t(`outcome.${v.outcome}`) : null,
        v.satisfaction ? '★'.repeat(v.satisfaction) : null].filter(Boolean).join(' · ')),
      h('div', { 'data-test': 'desk-evidence' }, evidence(v, [v.distance_m == null ? t('desk.nodistance') : null,
        v.accuracy_m != null ? t('desk.accuracy', number(v.accuracy_m, 0)) : t('desk.nogps')])),
      v.notes ? h('small', {}, v.notes) : null,
      gallery(v),
      v.review_comment ? h('small', { class: 'reason' }, v.review_comment) : null),
    h('span', { class: 'row-side' }, receipt));
  };

  const selectAll = h('input', { type: 'checkbox', 'data-test': 'desk-select-all', disabled: !decidable, onchange: () => {
    for (const [id, box] of boxes) if (!box.disabled) { box.checked = selectAll.checked; toggle(id, box.checked); }
  } });
  return h('section', { class: 'screen wide', 'data-test': 'desk', 'data-count': String(visits.length) },
    heading(t('desk.title'), '#/approvals'),
    keptNotice(answer),
    filterBar(query, reps, ctx),
    decidable && visits.length ? h('div', { class: 'card desk-bar' },
      h('label', { class: 'check' }, selectAll, h('span', {}, t('approve.all'))),
      h('span', { class: 'hint' }, t('desk.selected'), ' ', count),
      comment, h('div', { class: 'actions' }, approveButton, rejectButton), message) : null,
    visits.length ? h('div', { class: 'desk-list' }, visits.map(row)) : empty(t('desk.none')));
}
