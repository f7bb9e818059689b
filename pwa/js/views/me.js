// views/me.js: the user, language, notifications, conflicts about their records, signing out; and for a rep
// their coaching: badges (replica `badge`), their latest shared review with "acknowledge" (online only), their
// open improvement plan (replica `plan`; its actions when online) and the commission estimate (online, else
// the cached answer marked with its time). Leads find their team's tools here too: reviews, plans and the
// approval desk; managers also the scorecard dimensions, commission plans and the audit trail.
import { h } from '../ui.js';
import { t, getLocale, dateTime, day, money, number, percent, percent1, periodName } from '../i18n.js';
import * as model from '../model.js';
import * as push from '../push.js';
import * as coaching from '../coaching.js';
import { fieldTitle, conflictRule, conflictValue } from './common.js';

export const live = true;

const PUSH_TEXT = { on: 'me.push.on', denied: 'me.push.denied', unsupported: 'me.push.unsupported', failed: 'me.push.failed' };
const LEADS = new Set(['lead', 'manager', 'admin']);
const MANAGERS = new Set(['manager', 'admin']);

/** A dimension's or badge's name in the current language. */
export const dimensionName = (d) => (getLocale() === 'zh-CN' ? d.name_zh : d.name_en) || d.name_en || d.key;

function badgeItem(b) {
  const known = t(`badge.${b.kind}`) !== `badge.${b.kind}`;
  const label = known ? t(`badge.${b.kind}`, b.kind === 'month_100' ? periodName(b.key) : b.key) : b.label || t('badge.other');
  return h('li', { class: 'card badge', 'data-test': 'badge-item', 'data-kind': b.kind, 'data-key': b.key },
    h('strong', {}, `🏅 ${label}`), h('small', { class: 'hint' }, ` ${dateTime(b.earned_at)}`));
}

/** A review's score (0–100, the API's decimal string) as the app writes numbers: "90", "87.5". */
export const scoreText = (score) => (score === null || score === undefined || score === '' ? '—' : number(score, 1));

/** Frozen KPI figures and the scorecard of a review (shared by the rep's card and the lead's screen). */
export function figures(review) {
  const byMetric = new Map((review.figures || []).map((f) => [f.metric, f]));
  return (review.scorecard?.lines || review.dimensions || []).map((line) => {
    const dimension = (review.dimensions || []).find((d) => d.key === line.key) || line;
    const value = line.source === 'kpi' ? percent1(byMetric.get(line.metric)?.attainment)
      : review.ratings?.[line.key] ? `${'★'.repeat(review.ratings[line.key])} ${review.ratings[line.key]}/5` : '—';
    return h('p', { class: 'row', 'data-test': 'review-line', 'data-key': line.key },
      h('span', { class: 'row-main' }, dimensionName(dimension)), h('b', { class: 'row-side' }, value));
  });
}

function reviewCard(review, ctx) {
  const message = h('p', { class: 'hint', 'data-test': 'review-ack-message', role: 'status' });
  const comment = h('textarea', { 'data-test': 'review-ack-comment', rows: 2, maxlength: 4000, placeholder: t('review.ack.comment') });
  const button = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'review-acknowledge', onclick: async () => {
    if (!navigator.onLine) { message.textContent = t('coach.offline'); return; }
    button.disabled = true;
    const answer = await coaching.acknowledgeReview(review.id, comment.value.trim());
    if (answer.ok) { message.textContent = t('review.ack.done'); ctx.refresh(); return; }
    button.disabled = false;
    message.textContent = answer.offline ? t('coach.offline') : (answer.message || t('coach.failed'));
  } }, t('review.ack'));
  const closed = review.status === 'closed';
  return h('div', { class: 'card', 'data-test': 'review-card', 'data-id': review.id, 'data-status': review.status,
    'data-acknowledged': review.acknowledged_at ? 'yes' : 'no' },
  h('div', { class: 'goal-head' }, h('strong', {}, t('review.title', periodName(review.period))),
    h('b', { class: 'big', 'data-test': 'review-score' }, scoreText(review.score ?? review.scorecard?.total))),
  h('p', { class: 'hint' }, t('review.shared', dateTime(review.shared_at)), ' ',
    h('span', { class: `chip ${closed ? 'chip-approved' : 'chip-submitted'}`, 'data-test': 'review-status', 'data-status': review.status },
      t(`reviews.status.${review.status}`))),
  closed ? h('p', { class: 'provisional', 'data-test': 'review-closed' }, t('review.closed', dateTime(review.closed_at), periodName(review.period))) : null,
  figures(review),
  review.comments ? h('p', { 'data-test': 'review-lead-comments' }, review.comments) : null,
  review.acknowledged_at
    ? h('p', { class: 'hint', 'data-test': 'review-acknowledged' }, t('review.ack.at', dateTime(review.acknowledged_at)),
      review.rep_comment ? ` · ${review.rep_comment}` : '')
    : [comment, button, message]);
}

/** The groups that hear about the user's team, and their email digest choice (online; offline, a note). */
function reachCard() {
  const groups = h('p', { class: 'hint', 'data-test': 'me-channels' }, navigator.onLine ? '…' : t('coach.offline'));
  const digest = h('input', { type: 'checkbox', 'data-test': 'digest-enabled', disabled: true });
  const note = h('p', { class: 'hint', 'data-test': 'digest-status', role: 'status' });
  digest.addEventListener('change', async () => {
    digest.disabled = true;
    const answer = await coaching.request('PUT', '/api/v1/me/email-digest', { enabled: digest.checked });
    digest.disabled = false;
    if (answer.ok) note.textContent = t(answer.data.enabled ? 'digest.on' : 'digest.off', answer.data.email);
    else { digest.checked = !digest.checked; note.textContent = answer.offline ? t('coach.offline') : answer.message || t('coach.failed'); }
  });
  if (navigator.onLine) {
    coaching.request('GET', '/api/v1/me/channels').then((answer) => {
      if (!answer.ok) { groups.textContent = ''; return; }
      groups.textContent = answer.data.length
        ? t('me.channels', answer.data.map((c) => `${t(`channels.kind.${c.kind}`)} (${c.unit_name})`).join(getLocale() === 'zh-CN' ? '、' : ', '))
        : t('me.channels.none');
    }).catch(() => {});
    coaching.request('GET', '/api/v1/me/email-digest').then((answer) => {
      if (!answer.ok) return;
      digest.checked = answer.data.enabled;
      digest.disabled = !answer.data.available && !answer.data.enabled;
      note.textContent = answer.data.available ? (answer.data.enabled ? t('digest.on', answer.data.email) : '') : t('digest.unavailable');
    }).catch(() => {});
  }
  return h('div', { class: 'card', 'data-test': 'reach-card' }, groups,
    h('label', { class: 'check' }, digest, h('span', {}, t('digest.choose'))), note);
}

function planCard(plan) {
  const actions = h('div', { 'data-test': 'plan-actions' });
  if (navigator.onLine) {
    coaching.getPlan(plan.id).then((answer) => {
      if (!answer.ok) return;
      actions.replaceChildren(...(answer.data.actions || []).map((a) => h('p', { class: 'row', 'data-test': 'plan-action' },
        h('span', { class: 'row-main' }, `${t(`plan.kind.${a.kind}`)} · ${a.title}`),
        h('small', { class: 'row-side' }, a.done_on ? `✓ ${day(a.done_on)}` : t('plan.due', day(a.due_on))))));
    }).catch(() => {});
  } else {
    actions.append(h('p', { class: 'hint' }, t('plan.actions.offline')));
  }
  return h('div', { class: 'card', 'data-test': 'plan-card', 'data-id': plan.id },
    h('strong', {}, t('plan.title')),
    plan.goal ? h('p', {}, plan.goal) : null,
    h('p', { class: 'hint' }, `${day(plan.starts_on)} – ${day(plan.ends_on)}`),
    h('p', { class: 'hint' }, t('plan.exit')),
    (plan.exit_criteria || []).map((c) => h('p', { class: 'row', 'data-test': 'plan-criterion' },
      h('span', { class: 'row-main' }, `${t(`metric.${c.metric}`)} · ${c.period}`),
      h('b', { class: 'row-side' }, `≥ ${percent(c.min_attainment)}`))),
    actions);
}

/** Why there is no estimate, as a sentence (the server's code never shows). */
function estimateProblem(code) {
  const key = `commission.error.${code}`;
  return t(key) === key ? t('commission.error.other') : t(key);
}

function estimateCard(cached, offline) {
  const data = cached?.data;
  const attrs = { class: 'card', 'data-test': 'commission-estimate' };
  if (!cached) {
    return h('div', attrs, h('strong', {}, t('commission.title', '').trim()), h('p', { class: 'hint' }, offline ? t('commission.none.offline') : t('app.loading')));
  }
  const when = h('p', { class: 'hint', 'data-test': 'commission-as-of' },
    (offline ? t('commission.cached', dateTime(cached.fetched_at)) : t('commission.asof', dateTime(cached.fetched_at))));
  // No estimate: the server answers what is missing (`missing`, no figures): no plan applies (`plan: null`) or
  // the period has no revenue target. A phone may still hold an older answer: `plan: null` without `missing`,
  // or a 409 cached as `error: 'no_commission_plan'` or `'no_revenue_goal'`.
  const missing = data ? (data.missing ?? (data.plan === null ? 'commission_plan' : null))
    : ({ no_commission_plan: 'commission_plan', no_revenue_goal: 'revenue_goal' })[cached.error] ?? null;
  if (!data || missing) {
    const why = missing === 'commission_plan' ? t('commission.noplan')
      : estimateProblem(missing === 'revenue_goal' ? 'no_revenue_goal' : cached.error);
    return h('div', { ...attrs, 'data-plan': missing === 'commission_plan' ? 'none' : '', 'data-missing': missing ?? '' },
      h('strong', {}, t('commission.title', '').trim()), h('p', { class: 'hint', 'data-test': 'commission-why' }, why), when);
  }
  const next = data.next;
  return h('div', { ...attrs, 'data-total': data.total, 'data-more-revenue': next?.more_revenue ?? '',
    'data-pays-extra': next?.pays_extra ?? '', 'data-pays-total': next?.pays_total ?? '', 'data-cached': offline ? 'yes' : 'no' },
  h('div', { class: 'goal-head' }, h('strong', {}, t('commission.title', periodName(data.period))),
    h('b', { class: 'big', 'data-test': 'commission-total' }, money(data.total))),
  h('p', { class: 'hint' }, t('commission.sofar', money(data.revenue), percent1(data.attainment))),
  next ? h('p', { 'data-test': 'commission-next' }, t('commission.next', money(next.more_revenue), money(next.pays_extra), money(next.pays_total)))
    : h('p', { 'data-test': 'commission-next' }, t('commission.top')),
  when,
  h('a', { class: 'btn btn-wide', href: `#/statement?period=${encodeURIComponent(data.period)}`, 'data-test': 'statement-open' },
    t('statement.open')));
}

export async function render(_params, ctx) {
  const user = ctx.user;
  const [pushState, conflicts, badges, reviews, plans, cached, storageRefused] = await Promise.all([push.state(), model.replica('conflict'),
    model.replica('badge'), model.replica('review'), model.replica('plan'), coaching.cachedEstimate(), model.persistenceRefused()]);
  const status = h('p', { class: 'hint', 'data-test': 'push-status' }, PUSH_TEXT[pushState] ? t(PUSH_TEXT[pushState]) : '');
  const pushButton = h('button', { class: 'btn btn-wide', 'data-test': 'push-enable', disabled: pushState === 'on' || pushState === 'unsupported',
    onclick: async () => {
      pushButton.disabled = true;
      const result = await push.enable();
      status.textContent = t(PUSH_TEXT[result]);
      pushButton.disabled = result === 'on';
    } }, t('me.push'));
  let armed = false;
  const signOut = h('button', { class: 'btn btn-bad btn-wide', 'data-test': 'sign-out', onclick: async () => {
    const pending = await model.pendingCount();
    if (pending && !armed) { armed = true; signOut.textContent = t('me.signout.confirm', pending); return; }
    await ctx.signOut();
  } }, t('me.signout'));
  conflicts.sort((a, b) => (b.at || '').localeCompare(a.at || ''));

  const mine = badges.filter((b) => b.rep_id === user.id).sort((a, b) => (b.earned_at || '').localeCompare(a.earned_at || ''));
  const review = reviews.filter((r) => r.rep_id === user.id && r.status !== 'draft' && r.shared_at)
    .sort((a, b) => (b.shared_at || '').localeCompare(a.shared_at || ''))[0];
  const plan = plans.filter((p) => p.rep_id === user.id && p.status === 'open')
    .sort((a, b) => (b.starts_on || '').localeCompare(a.starts_on || ''))[0];

  // The estimate: the cached answer now, the server's as soon as it comes (online only). With nothing cached
  // yet the screen waits for the server's answer (at most 2 s), so the card is drawn once instead of growing
  // from a loading line and pushing the badges below it down.
  const refresh = navigator.onLine ? coaching.refreshEstimate().catch(() => null) : null;
  const first = refresh && !cached ? await Promise.race([refresh, new Promise((done) => setTimeout(done, 2000, null))]) : null;
  let estimate = first ? estimateCard(first.cached, first.offline) : estimateCard(cached, !navigator.onLine);
  if (refresh && !first) {
    refresh.then((answer) => {
      if (!answer) return;
      const next = estimateCard(answer.cached, answer.offline);
      estimate.replaceWith(next);
      estimate = next;
    });
  }

  return h('section', { class: 'screen', 'data-test': 'me' },
    h('div', { class: 'card' }, h('strong', {}, user.name || user.email), h('p', { class: 'hint' },
      `${user.email} · ${t(`role.${user.role}`)}`)),
    storageRefused ? h('p', { class: 'card hint', 'data-test': 'storage-refused' }, t('me.storage.refused')) : null,
    LEADS.has(user.role) ? h('div', { class: 'tools', 'data-test': 'team-tools' },
      h('a', { class: 'btn btn-primary', href: '#/reviews', 'data-test': 'nav-reviews' }, t('reviews.title')),
      h('a', { class: 'btn', href: '#/plans', 'data-test': 'nav-plans' }, t('plans.title')),
      h('a', { class: 'btn', href: '#/desk', 'data-test': 'nav-desk' }, t('desk.title')),
      h('a', { class: 'btn', href: '#/reports', 'data-test': 'nav-reports' }, t('reports.title')),
      MANAGERS.has(user.role) ? [
        h('a', { class: 'btn', href: '#/dimensions', 'data-test': 'nav-dimensions' }, t('dimensions.title')),
        h('a', { class: 'btn', href: '#/payplans', 'data-test': 'nav-payplans' }, t('payplans.title')),
        h('a', { class: 'btn', href: '#/audit', 'data-test': 'nav-audit' }, t('audit.title')),
        h('a', { class: 'btn', href: '#/channels', 'data-test': 'nav-channels' }, t('channels.title')),
        user.role === 'admin' ? h('a', { class: 'btn', href: '#/calendar', 'data-test': 'nav-calendar' }, t('calendar.title')) : null] : null) : null,
    h('h2', {}, t('coach.title')),
    estimate,
    review ? reviewCard(review, ctx) : h('p', { class: 'empty', 'data-test': 'review-none' }, t('review.none')),
    plan ? planCard(plan) : null,
    h('h2', {}, t('badge.title')),
    mine.length ? h('ul', { class: 'badges' }, mine.map(badgeItem)) : h('p', { class: 'empty', 'data-test': 'badge-none' }, t('badge.none')),
    h('h2', {}, t('me.settings')),
    h('button', { class: 'btn btn-wide', 'data-test': 'lang-switch', onclick: () => ctx.setLocale(getLocale() === 'zh-CN' ? 'en' : 'zh-CN') },
      t('me.language')),
    h('a', { class: 'btn btn-wide', href: '#/password', 'data-test': 'password-link' }, t('password.title')),
    pushButton, status,
    reachCard(),
    conflicts.length ? [h('h2', {}, t('me.conflicts')), conflicts.slice(0, 20).map((c) => h('div', { class: 'card', 'data-test': 'conflict-item' },
      h('strong', {}, `${t(`entity.${c.entity}`)} · ${fieldTitle(c.field)}`),
      h('p', { 'data-test': 'conflict-rule' }, conflictRule(c)),
      h('p', { class: 'hint' }, `${t('conflict.values', conflictValue(c.field, c.yours), conflictValue(c.field, c.theirs))} · ${dateTime(c.at)}`)))] : null,
    signOut,
    h('p', { class: 'hint center' }, t('me.version', ctx.version)));
}
