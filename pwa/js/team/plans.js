// team/plans.js: a lead's improvement plans (online; offline, the last copy, read-only). #/plans lists the
// plans the KPI engine suggests (a rep under 70 % two months running: "accept" opens a plan with its exit
// criterion filled in) and the plans of the lead's people; #/plans/{id} shows one plan: its exit criteria as
// the KPI engine measures them now, its actions (1:1 coaching, training, role change) with their dates and
// coaching notes, a form to add one, and the outcome that closes it.
import { h, field, toast, empty } from '../ui.js';
import { t, day, percent, periodName } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { heading, keptNotice, problems, shown, isoDay } from '../views/common.js';

const KINDS = ['coaching', 'training', 'role_change'];
const OUTCOMES = ['met', 'not_met', 'role_change', 'left'];
const METRICS = ['revenue', 'visits', 'conversion', 'satisfaction', 'new_customers'];
const PERCENT = /^\d{1,4}(\.\d{1,2})?$/;

const select = (test, values, label, chosen) => h('select', { 'data-test': test },
  values.map((v) => h('option', { value: v, selected: v === chosen }, label(v))));

function nextMonth(timeZone) {
  const [y, m] = isoDay(new Date(), timeZone).split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

function addDays(ymd, days) {
  const date = new Date(`${ymd}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The fields of each form as the screens label them, for the server's refusals (views/common.js `problems`). */
const OPEN_LABELS = () => ({ rep_id: t('reviews.rep'), goal: t('plans.goal'), starts_on: t('plans.starts'), ends_on: t('plans.ends'),
  exit_criteria: t('plan.exit'), 'exit_criteria.0.metric': t('plans.metric'), 'exit_criteria.0.period': t('plans.period'),
  'exit_criteria.0.min_attainment': t('plans.min') });
const ACTION_LABELS = () => ({ kind: t('plans.kind'), title: t('plans.action.title'), due_on: t('plans.due'), done_on: t('plans.done'),
  notes: t('plans.notes') });
const CLOSE_LABELS = () => ({ outcome: t('plans.outcome'), note: t('plans.outcome.note') });

/** A percent typed by a person ("70" or "72.5") as the fraction the API takes (0.7, 0.725). */
const fraction = (text) => (PERCENT.test(text.trim()) ? Number(text.trim()) / 100 : NaN);

/** The form that opens a plan: for a suggested rep (prefilled) or any rep the lead picks. */
function openForm(reps, ctx, suggestion) {
  const today = isoDay(new Date(), ctx.timeZone);
  const message = h('p', { class: 'hint', 'data-test': 'plan-open-message', role: 'status' });
  const rep = h('select', { 'data-test': 'plan-open-rep', disabled: Boolean(suggestion) },
    reps.map((u) => h('option', { value: u.id, selected: u.id === suggestion?.rep_id }, u.name || u.email)));
  const goal = h('textarea', { 'data-test': 'plan-open-goal', rows: 2, maxlength: 4000,
    value: suggestion ? t('plans.goal.suggested', t(`metric.${suggestion.metric}`), percent(suggestion.threshold)) : '' });
  const starts = h('input', { type: 'date', 'data-test': 'plan-open-starts', value: today });
  const ends = h('input', { type: 'date', 'data-test': 'plan-open-ends', value: addDays(today, 60) });
  const metric = select('plan-open-metric', METRICS, (m) => t(`metric.${m}`), suggestion?.metric || 'revenue');
  const period = h('input', { type: 'text', 'data-test': 'plan-open-period', value: nextMonth(ctx.timeZone), maxlength: 7 });
  const min = h('input', { type: 'text', inputmode: 'decimal', 'data-test': 'plan-open-min',
    value: String(Math.round((suggestion?.threshold ?? 0.7) * 100)) });
  const button = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'plan-open', onclick: async () => {
    const minimum = fraction(min.value);
    if (Number.isNaN(minimum)) { message.textContent = t('plans.err.percent'); return; }
    button.disabled = true;
    const answer = await coaching.openPlan({
      rep_id: rep.value, goal: goal.value.trim() || null, starts_on: starts.value, ends_on: ends.value,
      exit_criteria: [{ metric: metric.value, period: period.value.trim(), min_attainment: minimum }],
    });
    button.disabled = false;
    if (answer.ok) { toast(t('plans.opened')); ctx.navigate(`#/plans/${answer.data.id}`); return; }
    message.textContent = problems(answer, OPEN_LABELS());
  } }, suggestion ? t('plans.accept') : t('plans.open'));
  return h('div', { class: 'card form', 'data-test': 'plan-open-form', 'data-rep': suggestion?.rep_id || '' },
    h('strong', {}, suggestion ? t('plans.accept.title') : t('plans.new')),
    field(t('reviews.rep'), rep), field(t('plans.goal'), goal),
    h('div', { class: 'pair' }, field(t('plans.starts'), starts), field(t('plans.ends'), ends)),
    h('p', { class: 'hint' }, t('plan.exit')),
    h('div', { class: 'pair' }, field(t('plans.metric'), metric), field(t('plans.period'), period), field(t('plans.min'), min)),
    button, message);
}

async function list(ctx) {
  const [plans, suggestions, users] = await Promise.all([coaching.listPlans(), coaching.planSuggestions(), model.replica('user')]);
  const name = new Map(users.map((u) => [u.id, u.name || u.email]));
  const reps = users.filter((u) => u.id !== ctx.user.id && u.role === 'rep' && u.active !== false)
    .sort((a, b) => (a.name || '').localeCompare(b.name || ''));
  const live = plans.ok && suggestions.ok;
  const forms = h('div', { 'data-test': 'plan-forms' });
  const suggestionItem = (s) => h('div', { class: 'card', 'data-test': 'plan-suggestion', 'data-rep': s.rep_id },
    h('div', { class: 'goal-head' }, h('strong', {}, s.name),
      h('span', { class: 'chip chip-pending' }, t('plans.under', percent(s.threshold)))),
    h('p', { class: 'hint' }, s.periods.map((p) => `${periodName(p.period)} ${t(`metric.${s.metric}`)} ${percent(p.attainment)}`).join(' · ')),
    live ? h('button', { class: 'btn btn-wide', 'data-test': 'plan-suggestion-accept', onclick: () => {
      forms.replaceChildren(openForm(reps, ctx, s));
      forms.scrollIntoView({ block: 'start' });
    } }, t('plans.accept')) : null);
  const planItem = (p) => h('a', { class: 'card row', href: `#/plans/${p.id}`, 'data-test': 'plan-item', 'data-id': p.id,
    'data-status': p.status },
  h('span', { class: 'row-main' }, h('strong', {}, name.get(p.rep_id) || '—'),
    h('small', {}, `${day(p.starts_on)} – ${day(p.ends_on)}${p.goal ? ` · ${p.goal}` : ''}`)),
  h('span', { class: 'row-side' },
    h('span', { class: `chip ${p.status === 'open' ? 'chip-submitted' : 'chip-approved'}` }, t(`plans.status.${p.status}`)),
    p.status === 'open' ? h('small', {}, p.exit_criteria_met ? t('plans.met') : t('plans.notyet'))
      : h('small', {}, t(`plans.outcome.${p.outcome}`))));
  const allPlans = shown(plans, []);
  const allSuggestions = shown(suggestions, []);
  return h('section', { class: 'screen cards', 'data-test': 'plans' },
    heading(t('plans.title')),
    keptNotice(plans) || keptNotice(suggestions),
    h('h2', {}, t('plans.suggested')),
    allSuggestions.length ? allSuggestions.map(suggestionItem) : empty(t('plans.suggested.none')),
    forms,
    h('h2', {}, t('plans.all')),
    allPlans.length ? allPlans.map(planItem) : empty(t('plans.none')),
    live && reps.length ? h('details', { class: 'card' }, h('summary', { 'data-test': 'plan-new' }, t('plans.new')), openForm(reps, ctx, null)) : null);
}

function criterionRow(c) {
  return h('p', { class: 'row', 'data-test': 'plan-criterion', 'data-metric': c.metric, 'data-period': c.period,
    'data-met': c.met ? 'yes' : 'no', 'data-attainment': c.attainment ?? '' },
  h('span', { class: 'row-main' }, h('strong', {}, `${t(`metric.${c.metric}`)} · ${periodName(c.period)}`),
    h('small', {}, t('plans.needs', percent(c.min_attainment)))),
  h('span', { class: 'row-side' }, h('b', {}, percent(c.attainment)),
    h('span', { class: `chip ${c.met ? 'chip-approved' : 'chip-pending'}` }, c.met ? t('plans.met') : t('plans.notyet'))));
}

function actionItem(plan, a, editable, ctx) {
  const message = h('small', { class: 'hint', role: 'status' });
  const done = h('input', { type: 'date', 'data-test': 'action-done', value: a.done_on || '', disabled: !editable });
  const notes = h('textarea', { 'data-test': 'action-notes', rows: 2, maxlength: 4000, value: a.notes || '', disabled: !editable,
    placeholder: t('plans.notes.hint') });
  const save = h('button', { class: 'btn', 'data-test': 'action-save', onclick: async () => {
    save.disabled = true;
    const answer = await coaching.updateAction(plan.id, a.id, { done_on: done.value || null, notes: notes.value.trim() || null });
    save.disabled = false;
    if (answer.ok) { toast(t('reviews.saved')); ctx.refresh(); } else message.textContent = problems(answer, ACTION_LABELS());
  } }, t('reviews.save'));
  return h('div', { class: 'card', 'data-test': 'plan-action', 'data-id': a.id, 'data-kind': a.kind, 'data-done': a.done_on || '' },
    h('div', { class: 'goal-head' }, h('strong', {}, `${t(`plan.kind.${a.kind}`)} · ${a.title}`),
      h('small', { class: 'hint' }, a.done_on ? `✓ ${day(a.done_on)}` : t('plan.due', day(a.due_on)))),
    editable ? h('div', { class: 'form' }, field(t('plans.done'), done), field(t('plans.notes'), notes), save, message)
      : a.notes ? h('p', {}, a.notes) : null);
}

function actionForm(plan, ctx) {
  const message = h('p', { class: 'hint', 'data-test': 'action-message', role: 'status' });
  const kind = select('action-kind', KINDS, (k) => t(`plan.kind.${k}`), 'coaching');
  const title = h('input', { type: 'text', 'data-test': 'action-title', maxlength: 200 });
  const due = h('input', { type: 'date', 'data-test': 'action-due', value: addDays(isoDay(new Date(), ctx.timeZone), 7) });
  const notes = h('textarea', { 'data-test': 'action-new-notes', rows: 2, maxlength: 4000 });
  const add = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'action-add', onclick: async () => {
    add.disabled = true;
    const answer = await coaching.addAction(plan.id, { kind: kind.value, title: title.value.trim(), due_on: due.value,
      notes: notes.value.trim() || null });
    add.disabled = false;
    if (answer.ok) { toast(t('plans.action.added')); ctx.refresh(); } else message.textContent = problems(answer, ACTION_LABELS());
  } }, t('plans.action.add'));
  return h('div', { class: 'card form', 'data-test': 'action-form' }, h('strong', {}, t('plans.action.new')),
    h('div', { class: 'pair' }, field(t('plans.kind'), kind), field(t('plans.due'), due)),
    field(t('plans.action.title'), title), field(t('plans.notes'), notes), add, message);
}

function closeForm(plan, ctx) {
  const message = h('p', { class: 'hint', 'data-test': 'plan-close-message', role: 'status' });
  const outcome = select('plan-outcome', OUTCOMES, (o) => t(`plans.outcome.${o}`), plan.exit_criteria_met ? 'met' : 'not_met');
  const note = h('textarea', { 'data-test': 'plan-outcome-note', rows: 2, maxlength: 4000 });
  const close = h('button', { class: 'btn btn-wide', 'data-test': 'plan-close', onclick: async () => {
    close.disabled = true;
    const answer = await coaching.closePlan(plan.id, { outcome: outcome.value, note: note.value.trim() || null });
    close.disabled = false;
    if (answer.ok) { toast(t('plans.closed')); ctx.refresh(); } else message.textContent = problems(answer, CLOSE_LABELS());
  } }, t('plans.close'));
  return h('div', { class: 'card form', 'data-test': 'plan-close-form' }, h('strong', {}, t('plans.outcome')),
    field(t('plans.outcome'), outcome), field(t('plans.outcome.note'), note), close, message);
}

async function detail(id, ctx) {
  const [answer, users] = await Promise.all([coaching.readPlan(id), model.replica('user')]);
  const plan = shown(answer, null);
  if (!plan) return h('section', { class: 'screen', 'data-test': 'plan-detail' }, heading(t('plan.title'), '#/plans'), keptNotice(answer));
  const rep = users.find((u) => u.id === plan.rep_id);
  const open = plan.status === 'open';
  const editable = open && answer.ok && ctx.user.id !== plan.rep_id;
  return h('section', { class: 'screen', 'data-test': 'plan-detail', 'data-id': plan.id, 'data-status': plan.status },
    heading(`${rep?.name || ''} · ${t('plan.title')}`, '#/plans'),
    keptNotice(answer),
    h('div', { class: 'card' },
      h('div', { class: 'goal-head' }, h('strong', {}, `${day(plan.starts_on)} – ${day(plan.ends_on)}`),
        h('span', { class: 'chip', 'data-test': 'plan-status' }, t(`plans.status.${plan.status}`))),
      plan.goal ? h('p', {}, plan.goal) : null,
      plan.trigger?.periods?.length ? h('p', { class: 'hint' }, t('plans.trigger',
        plan.trigger.periods.map((p) => `${periodName(p.period)} ${percent(p.attainment)}`).join(' · '))) : null,
      open ? null : h('p', { 'data-test': 'plan-outcome-shown' }, `${t(`plans.outcome.${plan.outcome}`)}${plan.outcome_note ? ` · ${plan.outcome_note}` : ''}`)),
    h('h2', {}, t('plan.exit')),
    h('div', { class: 'card', 'data-test': 'plan-criteria', 'data-met': plan.exit_criteria_met ? 'yes' : 'no' },
      h('p', { class: 'hint' }, t('plans.measured')),
      (plan.exit_criteria || []).map(criterionRow)),
    h('h2', {}, t('plans.actions')),
    (plan.actions || []).length ? plan.actions.map((a) => actionItem(plan, a, editable, ctx)) : empty(t('plans.actions.none')),
    editable ? [actionForm(plan, ctx), closeForm(plan, ctx)] : null);
}

export async function render(params, ctx) {
  return params.id ? detail(params.id, ctx) : list(ctx);
}
