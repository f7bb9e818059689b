// sw.js: Fieldgoal's service worker. Precaches the app shell per VERSION, answers navigations network-first
// with the cached shell as the offline fallback, static files cache-first, and NEVER caches /api/ (the replica
// lives in IndexedDB). A new version waits until the page's "new version — reload" posts SKIP_WAITING. Also:
// Background Sync, and Web Push (show, click, resubscribe).
//
// Nothing here is kept by hand. The server puts three constants before this file when it serves /sw.js,
// derived from the files under pwa/ when it starts (backend/web/assets.py):
//   VERSION       a hash of every file this worker caches; the shell puts it on every asset URL as `?v=`
//   REP_MODULES   every module under js/ outside js/team/: precached at install, so every phone starts offline
//   TEAM_MODULES  the modules under js/team/, the screens for people who manage others: never precached, so a
//                 rep's install stays small. A lead's or manager's page posts CACHE_TEAM after it starts (and
//                 after signing in), and this worker then adds them to the version's cache; until then, and
//                 for a module missed offline, any of them is cached the first time the page fetches it.
const CACHE = `fieldgoal-${VERSION}`;
const ASSETS = [
  ...REP_MODULES,
  '/static/css/app.css',
  // Only the icon the page and notifications show. The 512 px icons are for installing, which needs the
  // network anyway, and the manifest names them without `?v=`: precached versioned copies would never be used.
  '/static/icons/icon-192.png',
].map((url) => `${url}?v=${VERSION}`);
const TEAM_ASSETS = TEAM_MODULES.map((url) => `${url}?v=${VERSION}`);
const SHELL = '/';
const PRECACHE = [SHELL, '/manifest.webmanifest', ...ASSETS];
const NAVIGATION_TIMEOUT_MS = 3000;
const SYNC_TAG = 'fieldgoal-sync';

self.addEventListener('install', (event) => {
  // No skipWaiting here: a page running the old version must not get new files under it.
  // 'no-cache' always asks the server, like 'reload', but conditionally: a server that answers 304 lets the
  // files the page has just downloaded be reused instead of transferred twice.
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'no-cache' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('fieldgoal-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data?.type === 'CACHE_TEAM') event.waitUntil(cacheTeam());
});

/** A lead's or manager's phone keeps the team screens offline too: what this version's cache lacks of them.
 * Offline, nothing is fetched; the page asks again on its next start. */
async function cacheTeam() {
  const cache = await caches.open(CACHE);
  const missing = [];
  for (const url of TEAM_ASSETS) if (!(await cache.match(url))) missing.push(url);
  if (missing.length === 0) return;
  await cache.addAll(missing.map((url) => new Request(url, { cache: 'no-cache' }))).catch(() => {});
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return; // never cached, never answered from a cache
  if (request.mode === 'navigate') {
    event.respondWith(navigation(request));
  } else if (url.pathname.startsWith('/static/') || url.pathname === '/manifest.webmanifest') {
    event.respondWith(cacheFirst(request, url));
  }
});

/** Network first, but after a short wait (or with no network) the cached shell: the app starts offline. */
async function navigation(request) {
  const cached = () => caches.open(CACHE).then((cache) => cache.match(SHELL));
  const network = fetch(request);
  network.catch(() => {}); // a late failure after the timeout is not an error worth reporting
  const timeout = new Promise((resolve) => setTimeout(resolve, NAVIGATION_TIMEOUT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    return (await cached()) || (await network);
  } catch {
    return (await cached()) || Response.error();
  }
}

/** Assets of this version come from this version's cache; anything else from the network. */
async function cacheFirst(request, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && (url.searchParams.get('v') === VERSION || url.pathname === '/manifest.webmanifest')) {
    cache.put(request, response.clone());
  }
  return response;
}

// ---- Background Sync: wake an open page, whose sync.js runs the protocol (one flush at a time). --------
self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
    for (const client of windows) client.postMessage({ type: 'SYNC' });
  }));
});

// ---- Web Push -----------------------------------------------------------------------------------------
self.addEventListener('push', (event) => {
  let payload = {};
  try { payload = event.data ? event.data.json() : {}; } catch { payload = { body: event.data?.text() }; }
  event.waitUntil(self.registration.showNotification(payload.title || '销售目标', {
    body: payload.body || '', tag: payload.tag, data: { url: payload.url || '/' },
    icon: `/static/icons/icon-192.png?v=${VERSION}`, badge: `/static/icons/icon-192.png?v=${VERSION}`,
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || '/', self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open) {
      await open.focus();
      open.postMessage({ type: 'NAVIGATE', url });
      return;
    }
    await self.clients.openWindow(url);
  })());
});

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil((async () => {
    let key = event.oldSubscription?.options?.applicationServerKey;
    if (!key) {
      const answer = await fetch('/api/v1/push/vapid-public-key');
      key = base64urlBytes((await answer.json()).key);
    }
    const subscription = event.newSubscription
      || await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    const token = await readToken();
    if (!token) return; // signed out: the page subscribes again after the next sign-in
    const json = subscription.toJSON();
    await fetch('/api/v1/push/subscriptions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ endpoint: json.endpoint, keys: json.keys }),
    });
  })());
});

function base64urlBytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** The one read of the page's database from here (db.js owns the schema: store `meta`, key `token`).
 * Opening must never create the database, or the page's schema upgrade would never run. */
function readToken() {
  return new Promise((resolve) => {
    const open = indexedDB.open('fieldgoal');
    open.onupgradeneeded = () => open.transaction.abort();
    open.onerror = () => resolve(null);
    open.onsuccess = () => {
      const db = open.result;
      try {
        const get = db.transaction('meta').objectStore('meta').get('token');
        get.onsuccess = () => { resolve(get.result || null); db.close(); };
        get.onerror = () => { resolve(null); db.close(); };
      } catch {
        resolve(null);
        db.close();
      }
    };
  });
}
