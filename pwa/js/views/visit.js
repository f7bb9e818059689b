// views/visit.js: log a visit (or edit a synced one). Saving queues mutations and returns at once: the
// check-in position is whatever was located before the tap, never awaited at save time.
import { h, field, toast } from '../ui.js';
import { t, money } from '../i18n.js';
import * as model from '../model.js';
import { isoWithOffset } from '../time.js';

const AMOUNT = /^\d{1,13}(\.\d{1,2})?$/;

export async function render(params, ctx) {
  const editing = params.id && params.id !== 'new';
  const queue = await model.queue();
  const customers = (await model.customers(queue)).sort((a, b) => (a.name || '').localeCompare(b.name || '', 'zh-CN'));
  let visit = null;
  let synced = null;
  if (editing) {
    visit = (await model.visits(queue)).find((v) => v.id === params.id);
    synced = await model.record('visit', params.id);
  }
  let prefill = visit || {};
  if (params.query.get('fix')) {
    // Read, not taken: this screen may render twice (a redraw racing the navigation), and both renders must
    // show the refused visit. It is removed once the fixed visit is saved.
    const receipt = JSON.parse(sessionStorage.getItem('fieldgoal-fix') || 'null');
    if (receipt) prefill = { ...receipt.mutation.fields, fixKey: receipt.key };
  }
  if (!prefill.customer_id && params.query.get('c')) prefill.customer_id = params.query.get('c');
  const readOnly = editing && (!synced || !visit);
  let position = prefill.lat != null ? { lat: prefill.lat, lon: prefill.lon, accuracy_m: prefill.accuracy_m } : null;
  let checkInAt = editing ? visit?.check_in_at : null;

  const customer = h('select', { 'data-test': 'visit-customer', required: true, disabled: editing },
    h('option', { value: '' }, t('visit.pick')),
    customers.map((c) => h('option', { value: c.id, selected: c.id === prefill.customer_id }, c.name)));
  const outcome = h('select', { 'data-test': 'visit-outcome' },
    model.OUTCOMES.map((o) => h('option', { value: o, selected: o === (prefill.outcome || 'follow_up') }, t(`outcome.${o}`))));
  const satisfaction = h('input', { type: 'number', min: 1, max: 5, step: 1, inputmode: 'numeric',
    'data-test': 'visit-satisfaction', value: prefill.satisfaction ?? '' });
  const stars = h('div', { class: 'stars' }, [1, 2, 3, 4, 5].map((n) => h('button', { type: 'button', class: 'star',
    'aria-label': String(n), onclick: () => { satisfaction.value = n; paintStars(); } }, '★')));
  const paintStars = () => stars.querySelectorAll('.star')
    .forEach((s, i) => s.classList.toggle('on', i < Number(satisfaction.value || 0)));
  satisfaction.addEventListener('input', paintStars);
  paintStars();
  const notes = h('textarea', { 'data-test': 'visit-notes', rows: 3, maxlength: 4000 });
  notes.value = prefill.notes || '';
  const next = h('input', { type: 'date', 'data-test': 'visit-next', value: prefill.next_follow_up_on || '' });
  const amount = h('input', { type: 'text', inputmode: 'decimal', 'data-test': 'visit-amount', placeholder: '12000' });
  const amountRow = field(t('visit.amount'), amount, h('small', { class: 'hint' }));
  amountRow.hidden = true;
  amount.addEventListener('input', () => { amountRow.lastChild.textContent = AMOUNT.test(amount.value) ? money(amount.value) : ''; });
  const won = h('input', { type: 'checkbox', 'data-test': 'visit-won', onchange: () => {
    amountRow.hidden = !won.checked;
    if (won.checked) outcome.value = 'ordered';
  } });
  const submit = h('input', { type: 'checkbox', 'data-test': 'visit-submit', checked: !editing || synced?.status === 'draft' || synced?.status === 'rejected' });
  const location = h('p', { class: 'hint', 'data-test': 'visit-location' },
    position ? t('visit.accuracy', Math.round(position.accuracy_m ?? 0)) : '');
  const error = h('p', { class: 'error', 'data-test': 'form-error', role: 'alert' });

  const checkin = h('button', { type: 'button', class: 'btn btn-wide', 'data-test': 'visit-checkin', onclick: () => {
    if (!navigator.geolocation) { location.textContent = t('visit.geo.unsupported'); return; }
    location.textContent = t('visit.locating');
    checkInAt = isoWithOffset();
    navigator.geolocation.getCurrentPosition((p) => {
      position = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) };
      location.textContent = t('visit.accuracy', position.accuracy_m);
    }, (e) => {
      location.textContent = t(e.code === 1 ? 'visit.geo.denied' : 'visit.geo.unavailable');
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  } }, t('visit.checkin'));

  const save = async (event) => {
    event.preventDefault();
    error.textContent = '';
    const score = satisfaction.value === '' ? null : Number(satisfaction.value);
    if (!customer.value) { error.textContent = t('err.customer'); return customer.focus(); }
    if (score !== null && !(Number.isInteger(score) && score >= 1 && score <= 5)) { error.textContent = t('err.satisfaction'); return satisfaction.focus(); }
    if (won.checked && !AMOUNT.test(amount.value.trim())) { error.textContent = t('err.amount'); return amount.focus(); }
    saveButton.disabled = true;
    try {
      if (editing) {
        const changed = await model.editVisit(params.id, { outcome: outcome.value, satisfaction: score,
          notes: notes.value, next_follow_up_on: next.value || null }, { submit: submit.checked && synced.status !== 'submitted' });
        toast(t(changed ? 'notice.saved' : 'notice.nochange'));
      } else {
        const name = customer.selectedOptions[0]?.textContent || '';
        await model.logVisit({ customerId: customer.value, checkInAt, position, outcome: outcome.value,
          satisfaction: score, notes: notes.value, nextFollowUpOn: next.value || null,
          wonAmount: won.checked ? amount.value.trim() : null, dealTitle: t('visit.deal', name), submit: submit.checked });
        if (prefill.fixKey !== undefined) {
          await model.dismissRejected(prefill.fixKey);
          sessionStorage.removeItem('fieldgoal-fix');
        }
        toast(t('notice.saved'));
      }
      ctx.navigate('#/');
    } finally {
      saveButton.disabled = false;
    }
  };
  const saveButton = h('button', { type: 'submit', class: 'btn btn-primary btn-wide', 'data-test': 'visit-save', disabled: readOnly }, t('visit.save'));

  return h('form', { class: 'screen form', 'data-test': 'visit-form', onsubmit: save, novalidate: true },
    h('h1', {}, t(editing ? 'visit.edit' : 'visit.new')),
    readOnly ? h('p', { class: 'card' }, t('visit.pendingonly')) : null,
    editing && visit?.review_comment ? h('p', { class: 'card card-bad' }, visit.review_comment) : null,
    field(t('visit.customer'), customer),
    editing ? null : h('div', { class: 'field' }, checkin, location),
    field(t('visit.outcome'), outcome),
    h('div', { class: 'field' }, h('span', {}, t('visit.satisfaction')), h('div', { class: 'stars-row' }, stars, satisfaction)),
    field(t('visit.notes'), notes),
    field(t('visit.next'), next),
    editing ? null : h('label', { class: 'check' }, won, h('span', {}, t('visit.won'))),
    editing ? null : amountRow,
    !editing || ['draft', 'rejected'].includes(synced?.status)
      ? h('label', { class: 'check' }, submit, h('span', {}, t('visit.submit'))) : null,
    error,
    saveButton,
    editing && synced?.status === 'draft' && !visit.pending
      ? h('button', { type: 'button', class: 'btn btn-quiet btn-wide', 'data-test': 'visit-delete', onclick: async () => {
        await model.deleteVisit(params.id); ctx.navigate('#/');
      } }, t('visit.delete')) : null);
}
