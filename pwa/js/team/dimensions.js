// team/dimensions.js: the review scorecard of a unit, for managers (#/dimensions?unit_id=): its dimensions
// (a KPI's attainment or a lead's 1–5 rating), their names and weights. A unit without its own scorecard
// uses the nearest one above it (or the default), so saving writes every row shown as the unit's own
// (POST /review-dimensions, one per row); a row switched off leaves the scorecard. New reviews use it;
// reviews already opened keep the scorecard they were opened with. Online; offline, the last copy.
import { h, field, toast } from '../ui.js';
import { t } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { heading, keptNotice, problems, shown } from '../views/common.js';

const METRICS = ['revenue', 'visits', 'conversion', 'satisfaction', 'new_customers'];
const KEY = /^[a-z][a-z0-9_]{0,31}$/;
/** A row's fields as the form labels them, for the server's refusals (views/common.js `problems`). */
const DIMENSION_LABELS = () => ({ unit_id: t('dimensions.unit'), key: t('dimensions.key'), source: t('dimensions.source'),
  metric: t('dimensions.metric'), name_zh: t('audit.field.name_zh'), name_en: t('audit.field.name_en'), weight: t('dimensions.weight'),
  active: t('dimensions.active') });

/** The units the user manages: their own and every one below it (admins: all). */
export function managedUnits(units, user) {
  if (user.role === 'admin') return units;
  const children = new Map();
  for (const u of units) children.set(u.parent_id, [...(children.get(u.parent_id) || []), u]);
  const out = [];
  const walk = (unit) => { out.push(unit); for (const child of children.get(unit.id) || []) walk(child); };
  const own = units.find((u) => u.id === user.unit_id);
  if (own) walk(own);
  return out;
}

function rowEditor(d, removable) {
  const input = (test, value, attrs = {}) => h('input', { type: 'text', 'data-test': test, value: value ?? '', ...attrs });
  const controls = {
    key: input('dimension-key', d.key, { maxlength: 32, disabled: !removable }),
    name_zh: input('dimension-name-zh', d.name_zh, { maxlength: 100 }),
    name_en: input('dimension-name-en', d.name_en, { maxlength: 100 }),
    source: h('select', { 'data-test': 'dimension-source' }, ['kpi', 'rating'].map((s) => h('option', { value: s, selected: s === d.source }, t(`dimensions.source.${s}`)))),
    metric: h('select', { 'data-test': 'dimension-metric' }, h('option', { value: '' }, '—'),
      METRICS.map((m) => h('option', { value: m, selected: m === d.metric }, t(`metric.${m}`)))),
    weight: input('dimension-weight', d.weight, { inputmode: 'decimal', maxlength: 12 }),
    active: h('input', { type: 'checkbox', 'data-test': 'dimension-active', checked: d.active !== false }),
  };
  const error = h('p', { class: 'error', 'data-test': 'dimension-error' });
  const node = h('div', { class: 'card form dimension', 'data-test': 'dimension-row', 'data-key': d.key || '' },
    h('div', { class: 'pair' }, field(t('dimensions.key'), controls.key), field(t('dimensions.weight'), controls.weight)),
    h('div', { class: 'pair' }, field('中文', controls.name_zh), field('English', controls.name_en)),
    h('div', { class: 'pair' }, field(t('dimensions.source'), controls.source), field(t('dimensions.metric'), controls.metric)),
    h('label', { class: 'check' }, controls.active, h('span', {}, t('dimensions.active'))),
    error);
  const values = (unitId) => ({
    unit_id: unitId, key: controls.key.value.trim(), source: controls.source.value,
    metric: controls.source.value === 'kpi' ? controls.metric.value || null : null,
    name_zh: controls.name_zh.value.trim(), name_en: controls.name_en.value.trim(),
    weight: Number(controls.weight.value), active: controls.active.checked,
  });
  return { node, error, values, controls };
}

export async function render(params, ctx) {
  const units = managedUnits(await model.replica('unit'), ctx.user);
  const unitId = params.query.get('unit_id') || ctx.user.unit_id;
  const answer = await coaching.dimensions(unitId);
  const rows = shown(answer, []).map((d) => rowEditor(d, false));
  const list = h('div', { 'data-test': 'dimension-rows' }, rows.map((r) => r.node));
  const total = h('b', { 'data-test': 'dimension-total' });
  const sum = () => {
    const weights = rows.filter((r) => r.controls.active.checked).reduce((acc, r) => acc + (Number(r.controls.weight.value) || 0), 0);
    total.textContent = String(Number(weights.toFixed(4)));
  };
  list.addEventListener('input', sum);
  sum();
  const message = h('p', { class: 'hint', 'data-test': 'dimensions-message', role: 'status' });
  const unit = h('select', { 'data-test': 'dimensions-unit', onchange: () => ctx.navigate(`#/dimensions?unit_id=${encodeURIComponent(unit.value)}`) },
    units.map((u) => h('option', { value: u.id, selected: u.id === unitId }, u.name)));
  const add = h('button', { class: 'btn btn-wide', 'data-test': 'dimension-add', onclick: () => {
    const row = rowEditor({ source: 'rating', weight: '0.1' }, true);
    rows.push(row);
    list.append(row.node);
    sum();
  } }, t('dimensions.add'));
  const save = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'dimensions-save', onclick: async () => {
    let failed = 0;
    for (const r of rows) {
      r.error.textContent = '';
      const values = r.values(unitId);
      if (!KEY.test(values.key)) { r.error.textContent = t('dimensions.err.key'); failed += 1; }
    }
    if (failed) { message.textContent = t('dimensions.failed', failed); return; }
    save.disabled = true;
    for (const r of rows) {
      const saved = await coaching.setDimension(r.values(unitId));
      if (!saved.ok) { r.error.textContent = problems(saved, DIMENSION_LABELS()); failed += 1; }
    }
    save.disabled = false;
    if (failed) { message.textContent = t('dimensions.failed', failed); return; }
    toast(t('reviews.saved'));
    ctx.refresh();
  } }, t('dimensions.save'));
  return h('section', { class: 'screen', 'data-test': 'dimensions' },
    heading(t('dimensions.title')),
    keptNotice(answer),
    h('div', { class: 'card form' }, field(t('dimensions.unit'), unit), h('p', { class: 'hint' }, t('dimensions.hint'))),
    list,
    h('p', { class: 'row' }, h('span', { class: 'row-main' }, t('dimensions.total')), total),
    answer.ok ? [add, save, message] : null);
}
