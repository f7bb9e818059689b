// team/audit.js: the audit trail for managers (#/audit?actor_id=&entity=&action=&from=&to=): each decision as a
// sentence in the reader's language ("李娜 批准了 王强 12月3日 拜访 华联超市", names from GET /audit), then each
// changed field as the screens label it, before and after. Filters are pickers. Online; offline, the last copy.
import { h, field, empty } from '../ui.js';
import { t, dateTime, getLocale, getTimeZone, figure, periodName } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { heading, keptNotice, shown } from '../views/common.js';

const FILTERS = ['actor_id', 'entity', 'action', 'from', 'to'];
const ENTITIES = ['visit', 'goal', 'user', 'review', 'review_dimension', 'plan', 'commission_plan', 'customer',
  'team_channel', 'official_schedule'];
const ACTIONS = ['visit.approve', 'visit.reject', 'amendment.accept', 'amendment.refuse', 'goal.target', 'goal.parent',
  'user.create', 'user.update', 'user.password', 'review.close', 'review_dimension.set', 'plan.open', 'plan.close',
  'commission_plan.update', 'customer.position', 'channel.create', 'channel.delete', 'push_subscription.move',
  'calendar.official_schedule'];
// Fields the sentence already says, or that only machines read.
const UNSAID = new Set(['status', 'rep_id', 'visit_id', 'via', 'period', 'password', 'id', 'version', 'user_id', 'parent_id',
  'unit_id_before', 'exit_criteria', 'key', 'source', 'holidays_source']);
// Fields whose values are lists or records: said as changed, not spelled out.
const COMPOUND = new Set(['tiers', 'days_off', 'make_up_workdays', 'dimensions', 'scores']);

const known = (key) => t(key) !== key;
const say = (key, fallback) => (known(key) ? t(key) : fallback);

/** A visit's day in the reader's zone, short: 12月3日 · Dec 3. */
const shortDay = (iso) => (iso ? new Intl.DateTimeFormat(getLocale(), { month: 'short', day: 'numeric', timeZone: getTimeZone() })
  .format(new Date(iso)) : '');

/** What the record is called where the server has no name for it: a robot, a dimension, a year. */
function recordName(e) {
  if (e.record_name) return e.entity === 'goal' || e.entity === 'review' ? periodName(e.record_name) : e.record_name;
  const row = { ...(e.before || {}), ...(e.after || {}) };
  if (e.entity === 'review_dimension') return (getLocale() === 'zh-CN' ? row.name_zh : row.name_en) || row.name_zh || '';
  if (e.entity === 'team_channel') return say(`channels.kind.${row.kind}`, '');
  if (e.entity === 'official_schedule') return e.record_id;
  return '';
}

/** The entry as one sentence: who did what to whom, when, to which record. */
function sentence(e, actorName) {
  const label = e.metric ? say(`metric.${e.metric}`, '') : '';
  const metric = getLocale() === 'zh-CN' ? label : label.toLowerCase();
  const text = t(known(`audit.say.${e.action}`) ? `audit.say.${e.action}` : 'audit.say.other',
    actorName, e.subject_name || '', shortDay(e.record_at), recordName(e), metric);
  return text.replace(/\s+/g, ' ').replace(/ ([，。,.])/g, '$1').trim();
}

function valueText(name, v, e, units) {
  if (v === undefined || v === null || v === '') return t('audit.blank');
  if (typeof v === 'boolean') return t(v ? 'audit.yes' : 'audit.no');
  if (name === 'role') return say(`role.${v}`, String(v));
  if (name === 'unit_id') return units.get(v) || t('audit.blank');
  if (name === 'mode') return say(`payplans.mode.${v}`, String(v));
  if (name === 'target' && e.metric) return figure(e.metric, v);
  if (name === 'outcome') return say(`outcome.${v}`, say(`plans.outcome.${v}`, String(v)));
  if (name === 'locale') return v === 'zh-CN' ? '中文' : v === 'en' ? 'English' : String(v);
  if (name === 'kind') return say(`channels.kind.${v}`, String(v));
  if (typeof v === 'object') return '';
  if (/^\d{4}-\d{2}-\d{2}T/.test(String(v))) return dateTime(v);
  return String(v);
}

/** One line per field that differs between before and after, named as the screens label it. */
function changes(e, units) {
  const before = e.before || {};
  const after = e.after || {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((name) => !UNSAID.has(name) && JSON.stringify(before[name] ?? null) !== JSON.stringify(after[name] ?? null));
  return names.map((name) => {
    // A field the entry had no value for before (a creation, a reject's reason) is said as set, not changed.
    const creation = !(name in before);
    const label = say(`audit.field.${name}`, say(`field.${name}`, t('field.other')));
    const line = COMPOUND.has(name) || (typeof after[name] === 'object' && after[name] !== null)
      ? t('audit.changed', label)
      : creation ? t('audit.set', label, valueText(name, after[name], e, units))
        : t('audit.change', label, valueText(name, before[name], e, units), valueText(name, after[name], e, units));
    return h('p', { class: 'change', 'data-test': 'audit-change', 'data-field': name }, line);
  });
}

export async function render(params, ctx) {
  const query = params.query;
  const wanted = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) || '']));
  const [answer, users, unitRows] = await Promise.all([coaching.auditTrail({ ...wanted, limit: 200 }), model.replica('user'),
    model.replica('unit')]);
  const entries = shown(answer, []);
  const name = new Map(users.map((u) => [u.id, u.name || u.email]));
  if (!name.has(ctx.user.id)) name.set(ctx.user.id, ctx.user.name);
  for (const e of entries) if (e.actor_name && !name.has(e.actor_id)) name.set(e.actor_id, e.actor_name);
  const units = new Map(unitRows.map((u) => [u.id, u.name]));
  const control = {
    actor_id: h('select', { 'data-test': 'audit-actor' }, h('option', { value: '' }, t('audit.anyone')),
      [...name].sort((a, b) => a[1].localeCompare(b[1])).map(([id, n]) => h('option', { value: id, selected: id === wanted.actor_id }, n))),
    entity: h('select', { 'data-test': 'audit-entity' }, h('option', { value: '' }, t('audit.everything')),
      ENTITIES.map((e) => h('option', { value: e, selected: e === wanted.entity }, say(`audit.entity.${e}`, t('field.other'))))),
    action: h('select', { 'data-test': 'audit-action' }, h('option', { value: '' }, t('audit.anyAction')),
      ACTIONS.map((a) => h('option', { value: a, selected: a === wanted.action }, say(`audit.action.${a}`, t('field.other'))))),
    from: h('input', { type: 'date', 'data-test': 'audit-from', value: wanted.from }),
    to: h('input', { type: 'date', 'data-test': 'audit-to', value: wanted.to }),
  };
  const apply = (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTERS) if (control[key].value.trim()) next.set(key, control[key].value.trim());
    ctx.navigate(`#/audit${String(next) ? `?${next}` : ''}`);
  };
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
    h('div', { class: 'goal-head' }, h('strong', { 'data-test': 'audit-sentence' }, sentence(e, e.actor_name || name.get(e.actor_id) || '')),
      h('small', { class: 'hint' }, dateTime(e.at))),
    changes(e, units))) : empty(t('audit.none')));
}
