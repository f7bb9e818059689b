// team/payplans.js: commission plans for managers (#/payplans): each plan's name, mode (marginal: each
// tier's rate on its band, like income tax; whole: the reached tier's rate on all the revenue) and tiers
// ("3 % up to 80 %, 5 % up to 100 %, 8 % above"), edited as percents and sent as the fractions the API keeps
// (PATCH /commissions/plans/{id}); the server names any field it refuses. A new plan is made the same way.
// Online; offline, the last copy, read-only.
import { h, field, toast, empty } from '../ui.js';
import { t } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { heading, keptNotice, problems, shown } from '../views/common.js';

const PERCENT = /^\d{1,4}(\.\d{1,2})?$/;

/** "3.5" (percent) → "0.035" (fraction), in decimal text: no binary floating point on the way. */
export function percentToFraction(text) {
  const clean = String(text).trim();
  if (!PERCENT.test(clean)) return null;
  const [whole, part = ''] = clean.split('.');
  const digits = `${whole.padStart(3, '0')}${part}`;
  const point = digits.length - part.length - 2;
  const fraction = `${digits.slice(0, point).replace(/^0+(?=\d)/, '')}.${digits.slice(point)}`.replace(/\.?0+$/, '');
  return fraction === '' ? '0' : fraction;
}

/** "0.0350" (fraction) → "3.5" (percent). */
export function fractionToPercent(text) {
  if (text === null || text === undefined) return '';
  const [whole, part = ''] = String(text).split('.');
  const padded = part.padEnd(2, '0');
  const percent = `${Number(whole) * 100 + Number(padded.slice(0, 2))}${padded.length > 2 ? `.${padded.slice(2)}` : ''}`;
  return percent.includes('.') ? percent.replace(/\.?0+$/, '') : percent;
}

function tierRow(tier, onRemove) {
  const upTo = h('input', { type: 'text', inputmode: 'decimal', 'data-test': 'tier-up-to', maxlength: 8,
    value: fractionToPercent(tier.up_to_attainment), placeholder: '∞' });
  const rate = h('input', { type: 'text', inputmode: 'decimal', 'data-test': 'tier-rate', maxlength: 8, value: fractionToPercent(tier.rate) });
  const node = h('div', { class: 'pair tier', 'data-test': 'tier-row' },
    field(t('payplans.upto'), upTo), field(t('payplans.rate'), rate),
    h('button', { class: 'btn btn-quiet', type: 'button', 'data-test': 'tier-remove', 'aria-label': t('payplans.remove'), onclick: () => onRemove(node) }, '✕'));
  return { node, upTo, rate };
}

/** The editor of one plan (or of a new one, `plan` null); `save(body)` answers like coaching.request. */
function planEditor(plan, units, live, save, ctx) {
  const name = h('input', { type: 'text', 'data-test': 'payplan-name', maxlength: 200, value: plan?.name || '' });
  const mode = h('select', { 'data-test': 'payplan-mode' },
    ['marginal', 'whole'].map((m) => h('option', { value: m, selected: m === (plan?.mode || 'marginal') }, t(`payplans.mode.${m}`))));
  const unit = plan ? null : h('select', { 'data-test': 'payplan-unit' }, units.map((u) => h('option', { value: u.id }, u.name)));
  const rows = [];
  const list = h('div', { 'data-test': 'tier-rows' });
  const remove = (node) => { const i = rows.findIndex((r) => r.node === node); if (i >= 0) rows.splice(i, 1); node.remove(); };
  const add = (tier) => { const row = tierRow(tier, remove); rows.push(row); list.append(row.node); };
  for (const tier of plan?.tiers || [{ up_to_attainment: '0.8', rate: '0.03' }, { up_to_attainment: null, rate: '0.05' }]) add(tier);
  const message = h('p', { class: 'hint', 'data-test': 'payplan-message', role: 'status' });
  const submit = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'payplan-save', disabled: !live, onclick: async () => {
    const tiers = [];
    for (const [index, row] of rows.entries()) {
      const upTo = row.upTo.value.trim() === '' ? null : percentToFraction(row.upTo.value);
      const rate = percentToFraction(row.rate.value);
      if ((row.upTo.value.trim() !== '' && upTo === null) || rate === null) {
        message.textContent = t('payplans.err.percent', index + 1); return;
      }
      tiers.push({ up_to_attainment: upTo, rate });
    }
    const body = { name: name.value.trim(), mode: mode.value, tiers };
    if (unit) body.unit_id = unit.value;
    submit.disabled = true;
    const answer = await save(body);
    submit.disabled = false;
    if (answer.ok) { toast(t('reviews.saved')); ctx.refresh(); return; }
    message.textContent = planProblems(answer);
  } }, plan ? t('payplans.save') : t('payplans.create'));
  return h('div', { class: 'card form', 'data-test': plan ? 'payplan' : 'payplan-new', 'data-id': plan?.id || '' },
    field(t('payplans.name'), name), unit ? field(t('dimensions.unit'), unit) : null, field(t('payplans.mode'), mode),
    h('p', { class: 'hint' }, t(`payplans.mode.${plan?.mode || 'marginal'}.hint`)),
    h('p', { class: 'hint' }, t('payplans.tiers')), list,
    live ? h('button', { class: 'btn', type: 'button', 'data-test': 'tier-add', onclick: () => add({ up_to_attainment: null, rate: '0' }) }, t('payplans.add')) : null,
    submit, message);
}

/** The server's refusal naming the tier and the field as the form labels them (`tiers.1.rate` → Tier 2 · Rate). */
const planProblems = (answer) => problems(answer, {
  name: t('payplans.name'), mode: t('payplans.mode'), tiers: t('audit.field.tiers'), unit_id: t('dimensions.unit'),
  'tiers.*': (n) => t('payplans.err.tier', n, t('audit.field.tiers')),
  'tiers.*.up_to_attainment': (n) => t('payplans.err.tier', n, t('payplans.upto')),
  'tiers.*.rate': (n) => t('payplans.err.tier', n, t('payplans.rate')),
});

export async function render(_params, ctx) {
  const [answer, units] = await Promise.all([coaching.commissionPlans(), model.replica('unit')]);
  const plans = shown(answer, []);
  const name = new Map(units.map((u) => [u.id, u.name]));
  return h('section', { class: 'screen', 'data-test': 'payplans' },
    heading(t('payplans.title')),
    keptNotice(answer),
    plans.length ? plans.map((p) => h('details', { class: 'card', 'data-test': 'payplan-item', 'data-id': p.id },
      h('summary', {}, h('strong', {}, p.name), h('small', { class: 'hint' }, ` · ${name.get(p.unit_id) || ''} · ${t(`payplans.mode.${p.mode}`)}`)),
      planEditor(p, units, answer.ok, (body) => coaching.updateCommissionPlan(p.id, body), ctx))) : empty(t('payplans.none')),
    answer.ok ? h('details', { class: 'card' }, h('summary', { 'data-test': 'payplan-create' }, t('payplans.new')),
      planEditor(null, units, true, coaching.createCommissionPlan, ctx)) : null);
}
