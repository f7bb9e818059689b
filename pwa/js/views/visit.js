// views/visit.js: log a visit, or edit one (synced or still on the phone) and check out of it. Saving queues
// mutations and returns at once: the check-in position is whatever was located before the tap, never awaited
// at save time. The customer is picked from a <select> that a search box (name or pinyin initials) and
// "nearby" (distance from here) narrow and order. Anyone but the visit's own rep (a lead, a manager) reads it
// in words instead, with nothing to change.
import { h, field, toast } from '../ui.js';
import { t, money, distance, duration, time, dateTime, day } from '../i18n.js';
import * as model from '../model.js';
import { isoWithOffset } from '../time.js';
import { locate } from '../geo.js';
import * as photos from './photos.js';
import { customerMatches, byDistance, minutesOnSite, evidence, refusal, chip } from './common.js';

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
  // Only the visit's own rep may change it (the server refuses anyone else): a lead or manager reads it.
  if (visit?.rep_id && visit.rep_id !== ctx.user.id) return await readView(visit, synced, customers);
  let prefill = visit || {};
  if (params.query.get('fix')) {
    // Read, not taken: this screen may render twice (a redraw racing the navigation), and both renders must
    // show the refused visit. It is removed once the fixed visit is saved.
    const receipt = JSON.parse(sessionStorage.getItem('fieldgoal-fix') || 'null');
    if (receipt) prefill = { ...receipt.mutation.fields, fixKey: receipt.key, why: refusal(receipt) };
  }
  if (!prefill.customer_id && params.query.get('c')) prefill.customer_id = params.query.get('c');
  // A visit still on the phone is edited like a synced one: the edit folds into its queued create.
  const readOnly = editing && !visit;
  const status = (synced || visit)?.status;
  let position = prefill.lat != null ? { lat: prefill.lat, lon: prefill.lon, accuracy_m: prefill.accuracy_m } : null;
  let checkInAt = editing ? visit?.check_in_at : null;

  const customer = h('select', { 'data-test': 'visit-customer', required: true, disabled: editing },
    h('option', { value: '' }, t('visit.pick')),
    customers.map((c) => h('option', { value: c.id, selected: c.id === prefill.customer_id }, c.name)));
  const picker = editing ? field(t('visit.customer'), customer) : customerPicker(customers, customer);
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
  const submit = h('input', { type: 'checkbox', 'data-test': 'visit-submit', checked: !editing || status === 'draft' || status === 'rejected' });
  const location = h('p', { class: 'hint', 'data-test': 'visit-location' },
    position ? t('visit.accuracy', Math.round(position.accuracy_m ?? 0)) : '');
  const error = h('p', { class: 'error', 'data-test': 'form-error', role: 'alert' });
  // Stamped with what is known when each photo is taken: the check-in position and the chosen customer.
  // A saved visit the rep may still change takes photos and drops them like any field; an approved one shows
  // its photos only.
  const photosEditable = !editing || (visit && ['draft', 'submitted', 'rejected'].includes(status));
  const pictures = photosEditable ? photos.picker(() => photos.stamp(position, customer.value && customer.selectedOptions[0]?.textContent),
    editing ? [] : prefill.photos || [], editing ? visit : null) : null;

  const checkin = h('button', { type: 'button', class: 'btn btn-wide', 'data-test': 'visit-checkin', onclick: () => {
    if (!navigator.geolocation) { location.textContent = t('visit.geo.unsupported'); return; }
    location.textContent = t('visit.locating');
    checkInAt = isoWithOffset();
    // A fresh fix: a position the phone cached minutes ago, elsewhere, is no evidence of being here.
    locate({ timeout: 15000 }).then((found) => {
      position = found;
      location.textContent = t('visit.accuracy', position.accuracy_m);
    }, (e) => {
      location.textContent = t(e.code === 1 ? 'visit.geo.denied' : 'visit.geo.unavailable');
    });
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
        const changes = { outcome: outcome.value, satisfaction: score, notes: notes.value, next_follow_up_on: next.value || null };
        let added = [];
        if (pictures) {
          const listed = await pictures.ids();
          changes.photos = listed.length ? listed : null;
          added = await pictures.added();
        }
        const changed = await model.editVisit(params.id, changes, { submit: submit.checked && status !== 'submitted',
          added, removed: pictures?.removed() || [] });
        toast(t(changed ? 'notice.saved' : 'notice.nochange'));
      } else {
        const name = customer.selectedOptions[0]?.textContent || '';
        await model.logVisit({ customerId: customer.value, checkInAt, position, outcome: outcome.value,
          satisfaction: score, notes: notes.value, nextFollowUpOn: next.value || null,
          wonAmount: won.checked ? amount.value.trim() : null, dealTitle: t('visit.deal', name), submit: submit.checked,
          photos: await pictures.ids() });
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
    prefill.why ? h('p', { class: 'error', role: 'status', 'data-test': 'visit-fix-reason' }, prefill.why) : null,
    readOnly ? h('p', { class: 'card' }, t('visit.missing')) : null,
    editing && visit?.review_comment ? h('p', { class: 'card card-bad' }, visit.review_comment) : null,
    picker,
    editing && visit ? onSite(visit, params.id, ctx) : null,
    // What the server made of the check-in (distance to the customer, flags), as the lead sees it.
    editing && synced && (synced.distance_m != null || synced.flags?.length) ? h('div', { class: 'field' }, evidence({ distance_m: synced.distance_m, flags: synced.flags })) : null,
    editing ? null : h('div', { class: 'field' }, checkin, location),
    field(t('visit.outcome'), outcome),
    h('div', { class: 'field' }, h('span', {}, t('visit.satisfaction')), h('div', { class: 'stars-row' }, stars, satisfaction)),
    field(t('visit.notes'), notes),
    pictures?.node, editing && !pictures && visit?.photos?.length ? h('div', { class: 'field' }, h('span', {}, t('photo.title')), photos.gallery(visit)) : null,
    field(t('visit.next'), next),
    editing ? null : h('label', { class: 'check' }, won, h('span', {}, t('visit.won'))),
    editing ? null : amountRow,
    !editing || ['draft', 'rejected'].includes(status)
      ? h('label', { class: 'check' }, submit, h('span', {}, t('visit.submit'))) : null,
    error,
    saveButton,
    editing && synced?.status === 'draft' && !visit.pending
      ? h('button', { type: 'button', class: 'btn btn-quiet btn-wide', 'data-test': 'visit-delete', onclick: async () => {
        await model.deleteVisit(params.id); ctx.navigate('#/');
      } }, t('visit.delete')) : null);
}

/** Someone else's visit (a lead's or manager's look at a rep's work): the same facts as the rep's form, in
 * words, with nothing to change. */
async function readView(visit, synced, customers) {
  const users = await model.replica('user');
  const rep = users.find((u) => u.id === visit.rep_id);
  const fact = (key, label, ...value) => h('p', { class: 'row', 'data-test': 'visit-fact', 'data-key': key },
    h('span', { class: 'row-main hint' }, label), h('b', { class: 'row-side' }, ...value));
  const checkIn = [t('visit.checkin.at', dateTime(visit.check_in_at)),
    visit.lat != null ? t('visit.accuracy', Math.round(visit.accuracy_m ?? 0)) : t('visit.checkin.nogps')].join(' · ');
  const checkOut = visit.check_out_at ? [t('visit.checkout.at', dateTime(visit.check_out_at)),
    visit.check_out_lat == null ? t('visit.checkout.nogps') : null].filter(Boolean).join(' ') : null;
  const score = visit.satisfaction;
  return h('section', { class: 'screen', 'data-test': 'visit-view', 'data-id': visit.id, 'data-status': visit.status || '' },
    h('div', { class: 'bar' }, h('h1', {}, t('visit.view')), h('span', { 'data-test': 'visit-status' }, chip(visit.status, visit.pending))),
    visit.review_comment ? h('p', { class: 'card card-bad', 'data-test': 'visit-review-comment' }, visit.review_comment) : null,
    h('div', { class: 'card' },
      fact('customer', t('visit.customer'), customers.find((c) => c.id === visit.customer_id)?.name || '—'),
      rep ? fact('rep', t('visit.rep'), rep.name) : null,
      h('p', { 'data-test': 'visit-checkin-at' }, checkIn),
      checkOut ? h('p', { 'data-test': 'visit-checkout-at' }, checkOut) : null,
      evidence({ distance_m: (synced || visit).distance_m, flags: (synced || visit).flags,
        check_in_at: visit.check_in_at, check_out_at: visit.check_out_at }),
      fact('outcome', t('visit.outcome'), visit.outcome ? t(`outcome.${visit.outcome}`) : '—'),
      fact('satisfaction', t('visit.satisfaction'), score ? `${'★'.repeat(score)} ${score}/5` : '—'),
      visit.next_follow_up_on ? fact('next', t('visit.next'), day(visit.next_follow_up_on)) : null,
      visit.notes ? h('div', { class: 'field' }, h('span', { class: 'hint' }, t('visit.notes')),
        h('p', { 'data-test': 'visit-view-notes' }, visit.notes)) : null,
      visit.photos?.length ? h('div', { class: 'field' }, h('span', {}, t('photo.title')), photos.gallery(visit)) : null),
    h('p', { class: 'hint', 'data-test': 'visit-readonly' }, t('visit.readonly')));
}

/** The customer field of a new visit: the <select> (the control the form reads), with a search box that keeps
 * only the customers whose name or pinyin initials match, and "nearby" that orders them by distance from
 * here, each with how far it is. The chosen customer always stays in the list. */
function customerPicker(customers, select) {
  let order = customers.map((c) => ({ c, away: null }));
  const hint = h('small', { class: 'hint', 'data-test': 'visit-customer-hint' });
  const search = h('input', { type: 'search', 'data-test': 'visit-customer-search', placeholder: t('cust.search'),
    autocomplete: 'off', oninput: () => fill() });
  const fill = () => {
    const chosen = select.value;
    const shown = order.filter(({ c }) => c.id === chosen || customerMatches(c, search.value));
    select.replaceChildren(h('option', { value: '' }, t('visit.pick')), ...shown.map(({ c, away }) =>
      h('option', { value: c.id, selected: c.id === chosen }, away != null ? `${c.name} · ${distance(away)}` : c.name)));
    // One customer left by the search: that is the one meant.
    if (!chosen && search.value.trim() && shown.length === 1) select.value = shown[0].c.id;
  };
  const nearby = h('button', { type: 'button', class: 'btn', 'data-test': 'visit-customer-nearby', onclick: async () => {
    nearby.disabled = true;
    hint.textContent = t('visit.locating');
    try {
      order = byDistance(customers, await locate({ timeout: 10000, maximumAge: 60000 }));
      hint.textContent = t('cust.sorted');
    } catch {
      hint.textContent = t('cust.geo.failed');
    }
    nearby.disabled = false;
    fill();
  } }, t('cust.nearby'));
  return h('div', { class: 'field' }, h('span', {}, t('visit.customer')), h('div', { class: 'bar' }, search, nearby), select, hint);
}

/** Time on site: once checked out, how long; before, the check-in time and one tap to check out (the time of
 * the tap and a fresh position if the phone finds one soon, else the time alone), offline too. */
function onSite(visit, id, ctx) {
  const minutes = minutesOnSite(visit);
  if (minutes != null) {
    return h('p', { class: 'card', 'data-test': 'visit-onsite' }, t('visit.onsite', duration(minutes)), ' · ',
      t('visit.checkout.at', time(visit.check_out_at)),
      visit.check_out_lat == null ? ` ${t('visit.checkout.nogps')}` : '');
  }
  // An approved visit is settled: a check-out now would only become an amendment for the lead.
  if (!visit.check_in_at || visit.status === 'approved') return null;
  const note = h('small', { class: 'hint', 'data-test': 'visit-onsite' }, t('visit.onsite.open', time(visit.check_in_at)));
  const button = h('button', { type: 'button', class: 'btn btn-wide', 'data-test': 'visit-checkout', onclick: async () => {
    button.disabled = true;
    const at = isoWithOffset();
    note.textContent = t('visit.locating');
    const position = await locate({ timeout: 8000 }).catch(() => null);
    await model.checkOut(id, position, at);
    toast(t('visit.checkout.saved'));
    ctx.refresh();
  } }, t('visit.checkout'));
  return h('div', { class: 'field' }, button, note);
}
