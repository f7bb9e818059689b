// views/common.js: pieces several screens show: a visit row, a status chip, a refused-record card.
import { h } from '../ui.js';
import { t, dateTime, distance, duration, getLocale } from '../i18n.js';
import * as model from '../model.js';
import { metresBetween } from '../geo.js';

export function chip(status, pending) {
  return [
    status ? h('span', { class: `chip chip-${status}` }, t(`status.${status}`)) : null,
    pending ? h('span', { class: 'chip chip-pending' }, t('status.pending')) : null,
  ];
}

/** Does a customer match what the rep typed: part of its name or of its pinyin initials (server-set), any case. */
export function customerMatches(c, query) {
  const q = (query || '').trim().toLowerCase();
  return !q || (c.name || '').toLowerCase().includes(q) || (c.initials || '').toLowerCase().includes(q);
}

/** Customers nearest first from `here` (WGS-84), as {c, away} with `away` in metres; those without a position
 * last, by name as they came. */
export function byDistance(list, here) {
  return list.map((c) => ({ c, away: c.lat != null && c.lon != null ? metresBetween(here, c) : null }))
    .sort((a, b) => (a.away ?? Infinity) - (b.away ?? Infinity));
}

/** Minutes between a visit's check-in and check-out; null until it has checked out. */
export function minutesOnSite(v) {
  if (!v.check_in_at || !v.check_out_at) return null;
  return (Date.parse(v.check_out_at) - Date.parse(v.check_in_at)) / 60000;
}

/** A server flag (SYNC.md: far, poor_accuracy, impossible_travel, repeated_position) in words, never its code. */
export function flagText(flag) {
  const key = `flag.${flag}`;
  return t(key) === key ? t('flag.other') : t(key);
}

/** What a lead judges a visit by: distance to the customer, time on site, and each flag as a warning chip. */
export function evidence(v, extra = []) {
  const onSite = minutesOnSite(v);
  const facts = [v.distance_m != null ? t('approve.distance', distance(v.distance_m)) : null,
    ...extra, onSite != null ? t('visit.onsite', duration(onSite)) : null].filter(Boolean).join(' · ');
  return h('div', { class: 'evidence', 'data-test': 'visit-evidence' },
    facts ? h('small', { class: 'hint', 'data-test': 'evidence-facts' }, facts) : null,
    (v.flags || []).map((flag) => h('span', { class: 'chip chip-warn', 'data-test': 'flag-chip', 'data-flag': flag }, `⚠ ${flagText(flag)}`)));
}

export function visitItem(v, customerName) {
  return h('a', { class: 'row', href: `#/visit/${v.id}`, 'data-test': 'visit-item', 'data-id': v.id, 'data-status': v.status },
    h('div', { class: 'row-main' },
      h('strong', {}, customerName || '—'),
      h('small', {}, `${dateTime(v.check_in_at)} · ${v.outcome ? t(`outcome.${v.outcome}`) : ''}`,
        v.satisfaction ? ` · ${'★'.repeat(v.satisfaction)}` : '')),
    h('div', { class: 'row-side' }, chip(v.status, v.pending)));
}

/** A record's field as the screens label it (`args.comment` is the reason of a reject), never its code. */
export function fieldLabel(field) {
  const key = `field.${String(field || '').replace(/^(args|fields)\./, '')}`;
  return t(key) === key ? t('field.other') : t(key);
}

const known = (key) => t(key) !== key;
const capital = (text) => (getLocale() === 'en' ? text.charAt(0).toUpperCase() + text.slice(1) : text);

/** A settled conflict's rule as a sentence naming the field. */
/** The field as a card's title: capitalised in English. */
export const fieldTitle = (field) => capital(fieldLabel(field));

export const conflictRule = (c) => capital(t(known(`rule.${c.rule}`) ? `rule.${c.rule}` : 'rule.other', fieldLabel(c.field)));

/** A value of a conflict as the rep typed it; times in the user's zone. */
export function conflictValue(field, value) {
  if (value === null || value === undefined || value === '') return '—';
  if (/_at$/.test(field) && !Number.isNaN(Date.parse(value))) return dateTime(value);
  return Array.isArray(value) ? String(value.length) : String(value);
}

/** One reason of a refusal: the field as labelled, then what the server said of it, in the reader's words. */
function reasonText(e) {
  if (e.code === 'too_large') return t('rej.too_large');
  if (e.field && known(`rej.code.${e.code}`)) return capital(t(`rej.code.${e.code}`, fieldLabel(e.field)));
  if (!e.message) return t('rej.other');
  return e.field ? capital(t('rej.reason', fieldLabel(e.field), e.message)) : e.message;
}

/** Why a mutation was refused, as sentences. */
export const refusal = (receipt) => [...new Set((receipt.errors || []).map(reasonText))].join(getLocale() === 'en' ? '; ' : '；');

/** A refused mutation: what it was, the server's reasons, and what the rep can do about it. */
export function rejectedItem(receipt, navigate, refresh) {
  const m = receipt.mutation;
  const reasons = refusal(receipt);
  const fixable = m.op === 'create' && (m.entity === 'visit' || m.entity === 'customer');
  const fix = () => {
    // A create is resent through its form, as a new record: the refused id stays refused on the server.
    sessionStorage.setItem('fieldgoal-fix', JSON.stringify(receipt));
    navigate(m.entity === 'visit' ? '#/visit/new?fix=1' : '#/customers/new?fix=1');
  };
  const retry = async () => { await model.resend(receipt); refresh(); };
  const dismiss = async () => { await model.dismissRejected(receipt.key); refresh(); };
  return h('div', { class: 'card card-bad', 'data-test': 'rejected-item', 'data-mid': receipt.mid },
    h('strong', {}, `${t(`entity.${m.entity}`)} · ${m.op === 'action' ? t(`action.${m.name}`) : t(`op.${m.op}`)}`,
      m.fields?.name ? ` · ${m.fields.name}` : ''),
    h('p', { class: 'reason' }, reasons),
    h('div', { class: 'actions' },
      // A refused field of an action would be refused again as it is: resending it is no way out.
      (m.op === 'create' && !fixable) || (m.op === 'action' && receipt.errors.some((e) => e.field)) ? null
        : h('button', { class: 'btn', 'data-test': 'rejected-fix', onclick: fixable ? fix : retry }, t(fixable ? 'rej.fix' : 'rej.retry')),
      h('button', { class: 'btn btn-quiet', 'data-test': 'rejected-dismiss', onclick: dismiss }, t('rej.dismiss'))));
}

// ---- pieces of the online desks (reviews, plans, approval desk, audit, dimensions, commission plans) ------

/** What a failed call says: offline, the server's problem message, or a generic failure. */
export const problem = (answer) => (answer.offline ? t('coach.offline') : answer.message || t('coach.failed'));

const INDEX = /^\d+$/;
const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/** A refused field's path (`name`, `tiers.1.rate`, `exit_criteria[0].period`, `args.comment`) as the screen
 *  labels it, never the path itself. `labels` maps a path to the screen's label, a list's index written `*`
 *  (`'tiers.*.rate'`); a label is a string or a function of the path's row numbers (1-based). A string found
 *  through `*` gets its row: "放假日期第 2 行" / "Days off, row 2". Not in `labels`: the app's own name of
 *  the field (`field.*`), else the row alone ("第 2 行" / "row 2"), else null. */
export function pathLabel(path, labels = {}) {
  const parts = String(path || '').replace(/\[(\d+)\]/g, '.$1').replace(/^(args|fields)\./, '').split('.').filter(Boolean);
  const rows = parts.filter((p) => INDEX.test(p)).map((p) => Number(p) + 1);
  const exact = parts.join('.');
  const pattern = parts.map((p) => (INDEX.test(p) ? '*' : p)).join('.');
  const own = has(labels, exact);
  const found = own ? labels[exact] : has(labels, pattern) ? labels[pattern] : undefined;
  if (typeof found === 'function') return found(...rows);
  if (found) return own ? found : rows.reduce((label, n) => t('problem.row', label, n), found);
  if (exact && known(`field.${exact}`)) return t(`field.${exact}`);
  return rows.length ? t('problem.rowOnly', rows[0]) : null;
}

/** One reason of a refused write as a sentence: the field as the screen labels it (`pathLabel`), then what
 *  the server said (its message is in the reader's language already); never a path or a code. */
export function problemText(e, labels = {}, fallback = t('rej.other')) {
  const label = e.field ? pathLabel(e.field, labels) : null;
  if (e.message) return label ? capital(t('rej.reason', label, e.message)) : e.field ? t('problem.other', e.message) : e.message;
  if (label && known(`rej.code.${e.code}`)) return capital(t(`rej.code.${e.code}`, label));
  return label ? capital(t('rej.reason', label, t('problem.invalid'))) : fallback;
}

/** Every reason of a refused write, so a form names what to fix in its own words (`labels`: see pathLabel);
 *  without field errors, what the call says (`problem`). */
export function problems(answer, labels = {}) {
  const errors = answer.data?.errors || [];
  if (!errors.length) return problem(answer);
  return [...new Set(errors.map((e) => problemText(e, labels)))].join(getLocale() === 'en' ? '; ' : '；');
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
