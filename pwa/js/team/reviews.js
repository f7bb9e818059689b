// team/reviews.js: a lead's reviews of their team (online only: drafts never reach a phone's replica).
// #/reviews lists them (GET /reviews) and opens a new one for a rep and a period; #/reviews/{id} shows the
// frozen figures, a 1–5 rating per rating dimension and the comments (PATCH), and shares the review with the
// rep (POST …/share), after which it is read-only; once shared, the lead closes it (POST …/close): the score is
// kept and the rep's period is locked, which the screen says.
import { h, field, toast, empty } from '../ui.js';
import { t, dateTime, periodName } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { figures, dimensionName, scoreText } from '../views/me.js';
import { problem, problems } from '../views/common.js';

const offlineNotice = () => h('p', { class: 'banner', 'data-test': 'reviews-offline' }, t('coach.offline'));

export function thisMonth(timeZone) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  return `${parts.find((p) => p.type === 'year').value}-${parts.find((p) => p.type === 'month').value}`;
}

async function list(ctx) {
  const [answer, users] = await Promise.all([coaching.listReviews(), model.replica('user')]);
  const name = new Map(users.map((u) => [u.id, u.name || u.email]));
  const message = h('p', { class: 'hint', 'data-test': 'reviews-message', role: 'status' });
  const reps = users.filter((u) => u.id !== ctx.user.id && u.role === 'rep' && u.active !== false)
    .sort((a, b) => (a.name || '').localeCompare(b.name || ''));
  const rep = h('select', { 'data-test': 'review-new-rep' }, reps.map((u) => h('option', { value: u.id }, u.name || u.email)));
  const period = h('input', { type: 'text', 'data-test': 'review-new-period', value: thisMonth(ctx.timeZone), maxlength: 7 });
  const open = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'review-new', onclick: async () => {
    open.disabled = true;
    const created = await coaching.openReview(rep.value, period.value.trim());
    open.disabled = false;
    if (created.ok) ctx.navigate(`#/reviews/${created.data.id}`);
    else message.textContent = problem(created);
  } }, t('reviews.open'));
  const reviews = answer.ok ? [...answer.data].sort((a, b) => (b.updated_at || '').localeCompare(a.updated_at || '')) : [];
  return h('section', { class: 'screen cards', 'data-test': 'reviews' },
    h('h1', {}, t('reviews.title')),
    answer.ok ? null : answer.offline ? offlineNotice() : h('p', { class: 'error' }, problem(answer)),
    reviews.length ? reviews.map((r) => h('a', { class: 'card row', href: `#/reviews/${r.id}`, 'data-test': 'review-item',
      'data-id': r.id, 'data-status': r.status, 'data-rep': r.rep_id },
    h('span', { class: 'row-main' }, h('strong', {}, name.get(r.rep_id) || '—'), h('small', { class: 'hint' }, ` · ${periodName(r.period)}`)),
    h('span', { class: `chip chip-${r.status === 'draft' ? 'pending' : 'approved'} row-side` },
      t(`reviews.status.${r.status}`), r.score ? ` · ${scoreText(r.score)}` : ''))) : answer.ok ? empty(t('reviews.none')) : null,
    answer.ok && reps.length ? h('div', { class: 'card form' }, h('strong', {}, t('reviews.new')),
      field(t('reviews.rep'), rep), field(t('reviews.period'), period), open, message) : null);
}

async function detail(id, ctx) {
  const [answer, users] = await Promise.all([coaching.getReview(id), model.replica('user')]);
  const back = h('a', { class: 'btn btn-quiet', href: '#/reviews', 'data-test': 'reviews-back' }, `← ${t('reviews.back')}`);
  if (!answer.ok) {
    return h('section', { class: 'screen', 'data-test': 'review-detail' }, back,
      answer.offline ? offlineNotice() : h('p', { class: 'error' }, problem(answer)));
  }
  const review = answer.data;
  const draft = review.status === 'draft';
  const rep = users.find((u) => u.id === review.rep_id);
  const message = h('p', { class: 'hint', 'data-test': 'review-message', role: 'status' });
  const ratings = (review.dimensions || []).filter((d) => d.source === 'rating').map((d) => {
    const select = h('select', { 'data-test': 'review-rating', 'data-key': d.key, disabled: !draft },
      h('option', { value: '' }, '—'),
      [1, 2, 3, 4, 5].map((n) => h('option', { value: String(n), selected: review.ratings?.[d.key] === n }, `${'★'.repeat(n)} ${n}`)));
    return { key: d.key, select, row: field(`${dimensionName(d)} (1–5)`, select) };
  });
  const comments = h('textarea', { 'data-test': 'review-comments', rows: 4, maxlength: 4000, disabled: !draft, value: review.comments || '' });
  const save = async () => {
    const values = {};
    for (const r of ratings) if (r.select.value) values[r.key] = Number(r.select.value);
    return coaching.saveReview(review.id, values, comments.value.trim());
  };
  const saveButton = h('button', { class: 'btn btn-wide', 'data-test': 'review-save', disabled: !draft, onclick: async () => {
    saveButton.disabled = true;
    const saved = await save();
    saveButton.disabled = false;
    message.textContent = saved.ok ? t('reviews.saved') : problem(saved);
    if (saved.ok) toast(t('reviews.saved'));
  } }, t('reviews.save'));
  const shareButton = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'review-share', disabled: !draft, onclick: async () => {
    shareButton.disabled = true;
    const saved = await save();
    const shared = saved.ok ? await coaching.shareReview(review.id) : saved;
    if (shared.ok) { toast(t('reviews.shared')); ctx.refresh(); return; }
    shareButton.disabled = false;
    message.textContent = problem(shared);
  } }, t('reviews.share'));
  const closeButton = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'review-close', onclick: async () => {
    closeButton.disabled = true;
    const closed = await coaching.closeReview(review.id);
    if (closed.ok) { toast(t('reviews.closed')); ctx.refresh(); return; }
    closeButton.disabled = false;
    // `ratings.{key}` names a dimension left unrated; `status` the review's state.
    message.textContent = problems(closed, { status: t('reviews.err.review'),
      ...Object.fromEntries((review.dimensions || []).map((d) => [`ratings.${d.key}`, dimensionName(d)])) });
  } }, t('reviews.close'));
  const after = review.status === 'closed'
    ? h('p', { class: 'hint', 'data-test': 'review-closed' }, t('reviews.closed.at', dateTime(review.closed_at), scoreText(review.score), periodName(review.period)))
    : h('p', { class: 'hint' }, t('reviews.readonly'));
  return h('section', { class: 'screen', 'data-test': 'review-detail', 'data-id': review.id, 'data-status': review.status }, back,
    h('div', { class: 'card' },
      h('div', { class: 'goal-head' }, h('strong', {}, `${rep?.name || ''} · ${t('review.title', periodName(review.period))}`),
        h('span', { class: 'chip', 'data-test': 'review-status' }, t(`reviews.status.${review.status}`))),
      h('p', { class: 'hint' }, t('reviews.figures', dateTime(review.figures_as_of))),
      figures(review),
      review.scorecard?.total ? h('p', { class: 'row' }, h('span', { class: 'row-main' }, '∑'), h('b', { class: 'row-side', 'data-test': 'review-total' }, scoreText(review.score ?? review.scorecard.total))) : null),
    h('div', { class: 'form' },
      ratings.map((r) => r.row),
      field(t('reviews.comments'), comments),
      draft ? [saveButton, shareButton] : after,
      review.acknowledged_at ? h('p', { class: 'hint', 'data-test': 'review-acknowledged' }, t('review.ack.at', dateTime(review.acknowledged_at)),
        review.rep_comment ? ` · ${review.rep_comment}` : '') : null,
      review.status === 'shared' ? [h('p', { class: 'hint' }, t('reviews.close.hint')), closeButton] : null,
      message));
}

export async function render(params, ctx) {
  return params.id ? detail(params.id, ctx) : list(ctx);
}
