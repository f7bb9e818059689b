// team/audit.js: the audit trail for managers (#/audit?actor_id=&entity=&action=&from=&to=): who did what,
// when, and each changed field before and after, newest first (GET /audit). Online; offline, the last copy.
import { h, field, empty } from '../ui.js';
import { t, dateTime } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { heading, keptNotice, shown } from '../views/common.js';

const FILTERS = ['actor_id', 'entity', 'action', 'from', 'to'];
const ENTITIES = ['visit', 'amendment', 'goal', 'user', 'review', 'review_dimension', 'plan', 'commission_plan'];

const label = (prefix, key) => (t(`${prefix}.${key}`) !== `${prefix}.${key}` ? t(`${prefix}.${key}`) : key);

function value(v) {
  if (v === undefined) return '—';
  if (v === null) return '∅';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** One row per field that differs between before and after (a creation has no before). */
function changes(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]));
  return names.map((name) => h('p', { class: 'change', 'data-test': 'audit-change', 'data-field': name },
    h('code', {}, name), ' ', h('del', {}, value(before[name])), ' → ', h('ins', {}, value(after[name]))));
}

export async function render(params, ctx) {
  const query = params.query;
  const wanted = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) || '']));
  const [answer, users] = await Promise.all([coaching.auditTrail({ ...wanted, limit: 200 }), model.replica('user')]);
  const name = new Map(users.map((u) => [u.id, u.name || u.email]));
  if (!name.has(ctx.user.id)) name.set(ctx.user.id, ctx.user.name);
  const control = {
    actor_id: h('select', { 'data-test': 'audit-actor' }, h('option', { value: '' }, t('audit.anyone')),
      [...name].sort((a, b) => a[1].localeCompare(b[1])).map(([id, n]) => h('option', { value: id, selected: id === wanted.actor_id }, n))),
    entity: h('select', { 'data-test': 'audit-entity' }, h('option', { value: '' }, t('audit.everything')),
      ENTITIES.map((e) => h('option', { value: e, selected: e === wanted.entity }, label('audit.entity', e)))),
    action: h('input', { type: 'text', 'data-test': 'audit-action', maxlength: 64, value: wanted.action, placeholder: 'visit.approve' }),
    from: h('input', { type: 'date', 'data-test': 'audit-from', value: wanted.from }),
    to: h('input', { type: 'date', 'data-test': 'audit-to', value: wanted.to }),
  };
  const apply = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTERS) if (control[key].value.trim()) next.set(key, control[key].value.trim());
    ctx.navigate(`#/audit${String(next) ? `?${next}` : ''}`);
  };
  const entries = shown(answer, []);
  return h('section', { class: 'screen wide', 'data-test': 'audit', 'data-count': String(entries.length) },
    heading(t('audit.title')),
    keptNotice(answer),
    h('form', { class: 'card filters', 'data-test': 'audit-filters', onsubmit: apply },
      field(t('audit.who'), control.actor_id), field(t('audit.what'), control.entity), field(t('audit.action'), control.action),
      field(t('desk.from'), control.from), field(t('desk.to'), control.to),
      h('div', { class: 'filters-go' }, h('button', { class: 'btn btn-primary', type: 'submit', 'data-test': 'audit-apply' }, t('desk.apply')),
        h('a', { class: 'btn btn-quiet', href: '#/audit' }, t('desk.clear')))),
    entries.length ? entries.map((e) => h('div', { class: 'card', 'data-test': 'audit-entry', 'data-id': e.id, 'data-action': e.action,
      'data-actor': e.actor_id, 'data-record': e.record_id },
    h('div', { class: 'goal-head' }, h('strong', {}, `${name.get(e.actor_id) || e.actor_id} · ${label('audit.action', e.action)}`),
      h('small', { class: 'hint' }, dateTime(e.at))),
    h('p', { class: 'hint' }, `${label('audit.entity', e.entity)} ${e.record_id}`),
    changes(e))) : empty(t('audit.none')));
}
