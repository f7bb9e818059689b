// views/statement.js: the signed-in rep's commission statement (#/statement, optional ?period=YYYY-MM): the
// period, target, revenue and attainment, every line the server explains the figures with (tier: base × rate
// = amount; clawback or back-pay: the earlier period, what it paid and owes now, the deals no longer counted or
// won late), and the total; "draft" or
// "issued". Online only: offline it says so and shows the last statement shown (if any), marked with its time.
import { h } from '../ui.js';
import { t, dateTime, money, percent } from '../i18n.js';
import * as coaching from '../coaching.js';

const PERIOD = /^\d{4}-\d{2}$/;

function tierLine(line) {
  const upTo = line.up_to_attainment == null ? '∞' : percent(line.up_to_attainment);
  return h('p', { class: 'row', 'data-test': 'statement-line', 'data-kind': 'tier', 'data-tier': line.tier,
    'data-base': line.base, 'data-rate': line.rate, 'data-amount': line.amount },
  h('span', { class: 'row-main' }, t('statement.tier', line.tier, percent(line.from_attainment), upTo),
    h('small', { class: 'hint' }, ` ${t('statement.line', money(line.base), percent(line.rate))}`)),
  h('b', { class: 'row-side' }, money(line.amount)));
}

/** A clawback or back-pay line: the earlier period, what it paid and owes now, and the deals that moved. */
function adjustmentLine(line) {
  const kind = line.kind === 'back_pay' ? 'backpay' : 'clawback';
  const deals = (line.deals || []).map((d) => {
    const stage = d.stage && t(`statement.stage.${d.stage}`) !== `statement.stage.${d.stage}` ? t(`statement.stage.${d.stage}`) : d.stage;
    return `${d.title || d.id} ${money(d.amount)}${stage ? ` (${stage})` : ''}`;
  });
  return h('div', { class: 'row', 'data-test': 'statement-line', 'data-kind': line.kind, 'data-period': line.period,
    'data-amount': line.amount },
  h('span', { class: 'row-main' }, t(`statement.${kind}`, line.period),
    h('small', { class: 'hint', 'data-test': 'statement-adjustment-why' }, t('statement.adjust.why', money(line.paid), money(line.owed_now), money(line.revenue_now))),
    deals.length ? h('small', { class: 'hint', 'data-test': `statement-${kind}-deals` }, ` ${t(`statement.${kind}.deals`, deals.join(', '))}`) : null),
  h('b', { class: 'row-side' }, money(line.amount)));
}

function body(data, cachedAt) {
  const issued = data.status === 'issued';
  const lines = data.lines || [];
  return h('section', { class: 'screen', 'data-test': 'statement', 'data-period': data.period, 'data-status': data.status,
    'data-cached': cachedAt ? 'yes' : 'no' },
  h('div', { class: 'card' },
    h('div', { class: 'goal-head' }, h('strong', {}, t('statement.title', data.period)),
      h('span', { class: `chip ${issued ? 'chip-approved' : 'chip-pending'}`, 'data-test': 'statement-status', 'data-status': data.status },
        issued ? t('statement.issued', dateTime(data.issued_at)) : t('statement.draft'))),
    cachedAt ? h('p', { class: 'hint', 'data-test': 'statement-cached' }, t('statement.cached', dateTime(cachedAt))) : null,
    h('p', { class: 'row' }, h('span', { class: 'row-main' }, t('statement.target')), h('b', { class: 'row-side' }, data.target == null ? '—' : money(data.target))),
    h('p', { class: 'row' }, h('span', { class: 'row-main' }, t('statement.revenue')), h('b', { class: 'row-side' }, money(data.revenue))),
    h('p', { class: 'row' }, h('span', { class: 'row-main' }, t('statement.attainment')), h('b', { class: 'row-side' }, data.attainment == null ? '—' : percent(data.attainment)))),
  h('div', { class: 'card', 'data-test': 'statement-lines' },
    lines.length ? lines.map((line) => (line.kind === 'tier' ? tierLine(line) : adjustmentLine(line)))
      : h('p', { class: 'empty' }, t('statement.none')),
    h('p', { class: 'row' }, h('strong', { class: 'row-main' }, t('statement.total')),
      h('b', { class: 'row-side big', 'data-test': 'statement-total', 'data-total': data.total }, money(data.total)))),
  h('a', { class: 'btn btn-wide', href: '#/me' }, '←'));
}

function notice(text, test) {
  return h('section', { class: 'screen', 'data-test': 'statement', 'data-status': 'none' },
    h('p', { class: 'empty', 'data-test': test, role: 'status' }, text),
    h('a', { class: 'btn btn-wide', href: '#/me' }, '←'));
}

export async function render(params) {
  const asked = params.query?.get('period') || '';
  const period = PERIOD.test(asked) ? asked : '';
  const answer = await coaching.fetchStatement(period);
  if (answer.ok) return body(answer.data, null);
  if (answer.offline) {
    const cached = await coaching.cachedStatement();
    const offline = h('p', { class: 'hint', 'data-test': 'statement-offline', role: 'status' }, t('statement.offline'));
    if (cached?.data && (!period || cached.data.period === period)) {
      const node = body(cached.data, cached.fetched_at);
      node.prepend(offline);
      return node;
    }
    return notice(t('statement.offline'), 'statement-offline');
  }
  return notice(t('statement.failed', answer.message || answer.status), 'statement-error');
}
