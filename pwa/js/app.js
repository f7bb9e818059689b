// app.js: starts the app: locale, session, the chrome (header with the pending count and "sync now",
// banners, bottom tabs), the hash router, the service worker and its update offer, and the sync triggers.
import { getMeta, setMeta } from './db.js';
import { h, toast } from './ui.js';
import { t, setLocale, setTimeZone, getTimeZone, dateTime } from './i18n.js';
import { on, emit } from './events.js';
import * as sync from './sync.js';
import * as model from './model.js';
import * as session from './session.js';
import * as push from './push.js';
import * as home from './views/home.js';
import * as visit from './views/visit.js';
import * as customers from './views/customers.js';
import * as customer from './views/customer.js';
import * as goals from './views/goals.js';
import * as inbox from './views/inbox.js';
import * as me from './views/me.js';
import * as statement from './views/statement.js';
import * as login from './views/login.js';
import * as password from './views/password.js';
import * as leaderboard from './views/leaderboard.js'; // everyone's: a rep's too, so in the rep's shell

// The screens of people who manage others are a second bundle (js/team/): each module is fetched the first
// time one of them opens it, so a rep's phone never downloads them. The service worker keeps them offline for
// leads and managers only (CACHE_TEAM below).
// Their words come first (js/team/strings.js), so a screen never shows a key.
const teamScreen = (name) => ({ name, load: () => import('./team/strings.js').then(() => import(`./team/${name}.js`)) });
const [approvals, reviews, plans, desk, audit, dimensions, payplans, reports, calendar, channels] = [
  'approvals', 'reviews', 'plans', 'desk', 'audit', 'dimensions', 'payplans', 'reports', 'calendar', 'channels',
].map(teamScreen);
// The goal tree: leads and managers cascade, allocate and split goals (#/goals/tree).
const goalTree = teamScreen('goaltree');
// A lead's or manager's #/ is their team's or units' home.
const teamHome = teamScreen('home');

const VERSION = document.documentElement.dataset.version;
const LEADS = new Set(['lead', 'manager', 'admin']);
const MANAGERS = new Set(['manager', 'admin']);
const ROUTES = [
  [/^\/?$/, home], [/^\/visit\/([^/]+)$/, visit], [/^\/customers(?:\/(new))?$/, customers], [/^\/goals$/, goals],
  [/^\/customer\/([^/]+)$/, customer],
  [/^\/inbox$/, inbox], [/^\/approvals$/, approvals], [/^\/me$/, me], [/^\/login$/, login],
  [/^\/reviews?(?:\/([^/]+))?$/, reviews], [/^\/statement$/, statement], [/^\/plans(?:\/([^/]+))?$/, plans],
  [/^\/desk$/, desk], [/^\/audit$/, audit], [/^\/dimensions$/, dimensions], [/^\/payplans$/, payplans],
  [/^\/reports$/, reports], [/^\/calendar$/, calendar], [/^\/password$/, password],
  [/^\/goals\/tree$/, goalTree],
  [/^\/channels$/, channels], [/^\/leaderboard$/, leaderboard],
];
// Screens for people who manage others (the server decides what each may do; these only keep a rep's app
// free of screens that would answer "not allowed").
const FOR_LEADS = new Set([approvals, plans, desk, reports, goalTree]); // reviews: a rep's own is on Me (below)
const FOR_MANAGERS = new Set([audit, dimensions, payplans, channels]);
const FOR_ADMINS = new Set([calendar]);
const UNDER_ME = new Set([reviews, statement, plans, desk, audit, dimensions, payplans, reports, calendar, password, channels]);

const ctx = {
  user: null, version: VERSION,
  get timeZone() { return getTimeZone(); },
  navigate(hash) { if (location.hash === hash) show(); else location.hash = hash; },
  refresh: () => show(),
  signedIn: async (user) => {
    ctx.user = user;
    setTimeZone(user.timezone);
    // Same precedence as start(): the language chosen on this phone, else the user's own, else zh-CN.
    const { locale } = await getMeta('locale');
    setLocale(locale || user.locale || 'zh-CN');
    // The server writes the user's notices in the language the screen shows: a choice made on this phone (on
    // the sign-in screen, or kept from before) becomes theirs; one still unsent is sent now.
    if (locale && locale !== user.locale) session.saveLocale(locale); else session.sendLocale();
    chrome();
    ctx.navigate(user.must_change_password ? '#/password' : '#/');
    cacheTeamScreens();
    sync.flush({ manual: true }).then(() => push.refresh());
    model.askPersistence().catch(() => {});
  },
  passwordChanged: (user) => {
    ctx.user = { ...ctx.user, ...user };
    ctx.navigate('#/');
  },
  signOut: async () => {
    await session.signOut();
    ctx.user = null;
    chrome();
    ctx.navigate('#/login');
  },
  setLocale: async (locale) => {
    setLocale(locale);
    await setMeta({ locale });
    session.saveLocale(locale);
    chrome();
    show();
  },
};

const $ = (id) => document.getElementById(id);
let current = null;
let showing = 0;
let updateWorker = null;

async function show() {
  const ticket = ++showing;
  const [path, query] = location.hash.slice(1).split('?');
  let view = login;
  let params = { query: new URLSearchParams(query || '') };
  if (ctx.user) {
    for (const [pattern, candidate] of ROUTES) {
      const match = pattern.exec(path || '/');
      if (match) { view = candidate; params.id = match[1]; break; }
    }
  }
  if (FOR_LEADS.has(view) && !LEADS.has(ctx.user?.role)) view = home;
  if (FOR_MANAGERS.has(view) && !MANAGERS.has(ctx.user?.role)) view = home;
  if (FOR_ADMINS.has(view) && ctx.user?.role !== 'admin') view = home;
  if (view === home && LEADS.has(ctx.user?.role)) view = teamHome;
  // A password someone else set is theirs to replace before anything else.
  if (ctx.user?.must_change_password && view !== login) view = password;
  // A rep's review (the "review shared" notification links to #/review/{id}) is on their own screen.
  if (view === reviews && !LEADS.has(ctx.user?.role)) view = me;
  emit('screen');
  const screen = view.load ? await loadTeamScreen(view) : view;
  if (ticket !== showing) return;
  const node = await screen.render(params, ctx);
  if (ticket !== showing) return; // a later navigation won
  current = screen;
  $('view').replaceChildren(node);
  const tab = UNDER_ME.has(view) ? '/me' : view === customer ? '/customers' : path || '/';
  for (const a of $('nav').querySelectorAll('a')) {
    const href = a.getAttribute('href');
    // A laptop's side links name the screen itself (#/reports), the phone's tabs the one it is under (#/me).
    a.classList.toggle('on', href === `#${tab}` || (a.classList.contains('side') && `#${path}`.startsWith(href)));
  }
}

/** A team screen's module; offline and never cached on this phone, a screen that says so instead. */
async function loadTeamScreen(route) {
  try {
    return await route.load();
  } catch (error) {
    console.warn(`team screen ${route.name} not loaded`, error);
    return { render: () => h('section', { class: 'screen' }, h('p', { class: 'card', 'data-test': 'screen-unavailable' }, t('app.unavailable'))) };
  }
}

/** Live screens redraw when the replica or the queue change, unless the user is typing in them. */
let redraw;
function refreshLive() {
  clearTimeout(redraw);
  redraw = setTimeout(() => {
    if (!current?.live) return;
    if ($('view').contains(document.activeElement) && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return;
    show();
  }, 80);
}

let stale = null;   // {records, days} when unsent work is older than a day

async function updatePending() {
  const el = document.querySelector('[data-test="pending-count"]');
  if (!el) return;
  const { records, oldest } = await model.unsent();
  el.textContent = String(records);
  el.parentElement.classList.toggle('has', records > 0);
  const days = oldest ? Math.floor((Date.now() - Date.parse(oldest)) / 864e5) : 0;
  const next = records && days >= 1 ? { records, days } : null;
  if (JSON.stringify(next) !== JSON.stringify(stale)) { stale = next; banners(); }
}

async function updateUnread() {
  const el = $('unread');
  if (!el) return;
  const n = (await model.notifications()).filter((x) => !x.read_at).length;
  el.textContent = n ? String(n) : '';
}

function banners() {
  const el = $('banners');
  if (!el) return;
  const s = sync.state;
  const items = [];
  if (updateWorker) {
    items.push(h('div', { class: 'banner', 'data-test': 'update-banner' }, t('sync.update'),
      h('button', { class: 'btn', 'data-test': 'update-reload', onclick: () => {
        reloadOnChange = true;
        updateWorker.postMessage({ type: 'SKIP_WAITING' });
      } }, t('sync.reload'))));
  }
  if (ctx.user && s.phase === 'auth') {
    items.push(h('div', { class: 'banner bad', 'data-test': 'reauth-banner' }, t('sync.auth'),
      h('a', { class: 'btn', href: '#/login', 'data-test': 'reauth' }, t('sync.signin'))));
  }
  if (s.phase === 'upgrade') items.push(h('div', { class: 'banner bad', 'data-test': 'upgrade-banner' }, t('sync.upgrade')));
  if (!navigator.onLine || s.phase === 'offline') items.push(h('div', { class: 'banner', 'data-test': 'offline-banner' }, t('sync.offline')));
  if (s.phase === 'error') items.push(h('div', { class: 'banner', 'data-test': 'sync-error' }, t('sync.error')));
  if (ctx.user && stale) items.push(h('div', { class: 'banner', 'data-test': 'stale-queue' }, t('sync.stale', stale.records, stale.days)));
  el.replaceChildren(...items);
  const status = $('sync-status');
  if (status) {
    status.textContent = s.phase === 'syncing' ? t('sync.syncing')
      : s.lastSyncedAt ? t('sync.last', dateTime(s.lastSyncedAt)) : t('sync.never');
  }
  const button = document.querySelector('[data-test="sync-now"]');
  button?.classList.toggle('spin', s.phase === 'syncing');
}

/** The header, banners and tabs; rebuilt on sign-in, sign-out and language change. */
function chrome() {
  document.title = `${t('app.name')} Fieldgoal`;
  const signedIn = Boolean(ctx.user);
  $('top').replaceChildren(...(signedIn ? [
    h('div', { class: 'brand' }, h('b', {}, t('app.name')), h('small', { id: 'sync-status', 'data-test': 'last-synced' })),
    h('span', { class: 'pending', title: t('sync.pending') }, h('small', {}, t('sync.pending')), h('b', { 'data-test': 'pending-count' }, '0')),
    h('button', { class: 'btn sync', 'data-test': 'sync-now', 'aria-label': t('sync.now'), onclick: async () => {
      await sync.flush({ manual: true });
      if (sync.state.phase === 'idle') toast(t('sync.last', dateTime(sync.state.lastSyncedAt)));
    } }, `⟳ ${t('sync.now')}`),
  ] : []));
  $('top').hidden = !signedIn;
  const tab = (hash, key, extra) => h('a', { href: hash, 'data-test': `nav-${key}` }, h('span', {}, t(`nav.${key}`)), extra);
  $('nav').replaceChildren(...(signedIn ? [
    tab('#/', 'home'), tab('#/customers', 'customers'), tab('#/goals', 'goals'),
    tab('#/inbox', 'inbox', h('i', { id: 'unread', class: 'dot' })),
    LEADS.has(ctx.user.role) ? tab('#/approvals', 'approve') : null, tab('#/me', 'me'),
    ...sideLinks(ctx.user.role),
  ].filter(Boolean) : []));
  $('nav').hidden = !signedIn;
  // app.css lays a laptop out from these: a side navigation for everyone, the width used for the team's screens.
  document.body.classList.toggle('signed-in', signedIn);
  document.body.classList.toggle('team', signedIn && LEADS.has(ctx.user.role));
  banners();
  updatePending();
  updateUnread();
}

/** On a laptop (≥ 1024 px) the navigation is at the side, with room for the screens a lead or manager reaches
 * from Me on a phone; app.css hides these links below that width. */
function sideLinks(role) {
  const link = (hash, key, label = `${key}.title`) => h('a', { href: hash, class: 'side', 'data-test': `side-${key}` }, h('span', {}, t(label)));
  return [
    // The goal tree is reached from the goals tab on a phone; at a laptop it is a side link of its own.
    ...(LEADS.has(role) ? [link('#/goals/tree', 'goaltree', 'goals.tree'), link('#/reviews', 'reviews'), link('#/plans', 'plans'), link('#/desk', 'desk'), link('#/reports', 'reports')] : []),
    ...(MANAGERS.has(role) ? [link('#/dimensions', 'dimensions'), link('#/payplans', 'payplans'), link('#/audit', 'audit'), link('#/channels', 'channels')] : []),
    ...(role === 'admin' ? [link('#/calendar', 'calendar')] : []),
  ];
}

let reloadOnChange = false;
async function serviceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('controllerchange', () => { if (reloadOnChange) location.reload(); });
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'NAVIGATE' && event.data.url) {
      const url = new URL(event.data.url, location.href);
      if (url.origin === location.origin) ctx.navigate(url.hash || '#/');
    }
  });
  try {
    const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    // A new version installs in the background and waits; the user chooses when to switch (SKIP_WAITING).
    const offer = (worker) => { if (navigator.serviceWorker.controller) { updateWorker = worker; banners(); } };
    if (registration.waiting) offer(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => { if (worker.state === 'installed') offer(worker); });
    });
  } catch (error) {
    console.warn('service worker not registered', error);
  }
}

/** Leads and managers keep the team screens' modules (js/team/) offline too; a rep's phone never fetches
 * them. The active worker caches what its version lacks (sw.js, CACHE_TEAM). */
async function cacheTeamScreens() {
  if (!('serviceWorker' in navigator) || !LEADS.has(ctx.user?.role)) return;
  const registration = await navigator.serviceWorker.ready;
  registration.active?.postMessage({ type: 'CACHE_TEAM' });
}

async function start() {
  const meta = await getMeta('locale', 'user', 'token');
  setLocale(meta.locale || meta.user?.locale || 'zh-CN');
  ctx.user = meta.user || null;
  if (ctx.user) setTimeZone(ctx.user.timezone);
  on('status', () => {
    banners();
    updatePending();
    if (sync.state.phase === 'idle') session.sendLocale(); // the server answers again: a language unsent goes
  });
  on('queue', () => { updatePending(); refreshLive(); });
  on('data', () => { updateUnread(); refreshLive(); });
  on('notice', ({ key, args }) => toast(t(key, ...(args || []).filter((a) => typeof a !== 'object'))));
  addEventListener('online', banners);
  addEventListener('online', () => session.sendLocale());
  // Unsent work ages while the app stays open offline: the 'not synced for N days' banner keeps up.
  setInterval(updatePending, 15 * 60 * 1000);
  addEventListener('offline', banners);
  addEventListener('hashchange', show);
  chrome();
  if (!ctx.user && location.hash !== '#/login') location.hash = '#/login';
  await show();
  serviceWorker();
  cacheTeamScreens();
  if (ctx.user) {
    sync.start().then(() => push.refresh());
  } else {
    sync.start();
  }
}

start().catch((error) => {
  console.error(error);
  $('view').replaceChildren(h('p', { class: 'error' }, String(error?.message || error)));
});
