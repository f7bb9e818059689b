// views/inbox.js: notifications, newest first; opening one marks it read (a `read` action) and follows it.
import { h, empty } from '../ui.js';
import { t, dateTime } from '../i18n.js';
import * as model from '../model.js';

export const live = true;

export async function render(_params, ctx) {
  const list = (await model.notifications()).sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  const unread = list.filter((n) => !n.read_at);
  const open = async (n) => {
    if (!n.read_at) await model.markRead([n.id]);
    const url = n.data?.url;
    if (url && url.startsWith('/#')) ctx.navigate(url.slice(1));
    else ctx.refresh();
  };
  return h('section', { class: 'screen' },
    h('div', { class: 'bar' }, h('h1', {}, t('inbox.title')),
      unread.length ? h('button', { class: 'btn btn-quiet', 'data-test': 'inbox-read-all', onclick: async () => {
        await model.markRead(unread.map((n) => n.id)); ctx.refresh();
      } }, t('inbox.readall')) : null),
    list.length ? list.map((n) => h('button', { class: `row msg${n.read_at ? '' : ' unread'}`, 'data-test': 'inbox-item',
      'data-id': n.id, onclick: () => open(n) },
    h('div', { class: 'row-main' }, h('strong', {}, n.title || ''), h('span', {}, n.body || ''), h('small', {}, dateTime(n.created_at)))))
      : empty(t('inbox.none')));
}
