// views/me.js: the user, language, notifications, conflicts about their records, signing out.
import { h } from '../ui.js';
import { t, getLocale, dateTime } from '../i18n.js';
import * as model from '../model.js';
import * as push from '../push.js';

const PUSH_TEXT = { on: 'me.push.on', denied: 'me.push.denied', unsupported: 'me.push.unsupported', failed: 'me.push.failed' };

export async function render(_params, ctx) {
  const user = ctx.user;
  const [pushState, conflicts] = await Promise.all([push.state(), model.replica('conflict')]);
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
  return h('section', { class: 'screen' },
    h('div', { class: 'card' }, h('strong', {}, user.name || user.email), h('p', { class: 'hint' },
      `${user.email} · ${t(`role.${user.role}`)}`)),
    h('button', { class: 'btn btn-wide', 'data-test': 'lang-switch', onclick: () => ctx.setLocale(getLocale() === 'zh-CN' ? 'en' : 'zh-CN') },
      t('me.language')),
    pushButton, status,
    conflicts.length ? [h('h2', {}, t('me.conflicts')), conflicts.slice(0, 20).map((c) => h('div', { class: 'card', 'data-test': 'conflict-item' },
      h('strong', {}, `${t(`entity.${c.entity}`)} · ${c.field}`),
      h('p', { class: 'hint' }, `${String(c.yours ?? '—')} / ${String(c.theirs ?? '—')} · ${t(`conflict.kept.${c.kept}`)} · ${c.rule} · ${dateTime(c.at)}`)))] : null,
    signOut,
    h('p', { class: 'hint center' }, t('me.version', ctx.version)));
}
