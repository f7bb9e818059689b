// sync.js: the client side of SYNC.md. One flush at a time across tabs (Web Locks); each round pushes the
// head of the outbox (at most `batchSize` mutations) and pulls one page of changes; settling the results,
// applying the changes and storing the cursor happen in ONE IndexedDB transaction, so a crash never leaves
// a mutation removed from the queue without its effect in the replica, or a cursor past unapplied changes.
import * as db from './db.js';
import * as outbox from './outbox.js';
import { call, NetworkError } from './api.js';
import { tokenRejected } from './session.js';
import { isoWithOffset } from './time.js';
import { emit, on } from './events.js';
import { upload as uploadPhotos } from './photos.js';

const PROTOCOL = 1;
const MAX_BATCH = 500;         // SYNC.md's default mutation limit; a 413 teaches us a smaller one
const PAGE_LIMIT = 500;        // changes wanted per page
const MAX_ROUNDS = 200;        // a guard against a server that never stops saying has_more
const BACKOFF_BASE_MS = 2000;
const BACKOFF_CAP_MS = 5 * 60 * 1000;
const PERIODIC_MS = 60 * 1000;
const REDRAW_MS = 2000;        // during a long pull, screens are told of new data at most this often
export const LOCK_NAME = 'fieldgoal-sync';
export const TAG = 'fieldgoal-sync';

/** What the UI shows. phase: idle | syncing | offline (last try failed by network) | auth (401: sign in
 * again) | upgrade (426: this app is too old) | error (the server refused for another reason). */
export const state = { phase: 'idle', lastSyncedAt: null, error: null, retryAt: null };

let batchSize = MAX_BATCH;
let failures = 0;
let retryTimer = null;
let waiting = null;            // the flush already waiting for the lock in this tab: triggers coalesce onto it
let fallbackChain = Promise.resolve();
let unshown = false;           // the replica or the queue changed since the screens were last told
let shownAt = 0;

function showChanges() {
  if (unshown) { unshown = false; shownAt = Date.now(); emit('data'); }
}

function setState(patch) {
  Object.assign(state, patch);
  emit('status', state);
}

class StopSync extends Error {}       // a definite answer that retrying cannot change (401, 426)
class ServerTrouble extends Error {   // 5xx, 429, 400, 403 twice: retry later, with backoff
  constructor(status, retryAfterMs) { super(`HTTP ${status}`); this.status = status; this.retryAfterMs = retryAfterMs; }
}

/** Sync now. Resolves when this flush (or the one it joined) has finished; never rejects. */
export function flush({ manual = false } = {}) {
  if (manual) { failures = 0; clearTimeout(retryTimer); }
  if (state.phase === 'upgrade' && !manual) return Promise.resolve();
  if (waiting) return waiting;
  const run = async () => { waiting = null; await runExclusive(); };
  // Without Web Locks (old browsers) flushes of this tab still run one after another.
  waiting = navigator.locks ? navigator.locks.request(LOCK_NAME, run) : (fallbackChain = fallbackChain.then(run));
  return waiting;
}

async function runExclusive() {
  const { token, client_id: clientId, last_synced_at: lastSyncedAt } = await db.getMeta('token', 'client_id', 'last_synced_at');
  if (lastSyncedAt && !state.lastSyncedAt) state.lastSyncedAt = lastSyncedAt;
  if (!clientId) return;
  if (!token) { setState({ phase: 'auth' }); return; }
  // The browser knows it has no network: do not try (the `online` event and Background Sync retry).
  if (!navigator.onLine) { setState({ phase: 'offline' }); registerBackgroundSync(); return; }
  setState({ phase: 'syncing', error: null });
  try {
    await rounds(token, clientId);
    failures = 0;
    const now = new Date().toISOString();
    await db.setMeta({ last_synced_at: now });
    setState({ phase: 'idle', lastSyncedAt: now, retryAt: null });
    uploadPhotos();               // photos whose visit now has its receipt; its own lock, not this one
  } catch (error) {
    if (error instanceof StopSync) return;
    failures++;
    // Exponential backoff with jitter (half to all of the step), capped at ~5 minutes; Retry-After wins.
    const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
    const delay = error.retryAfterMs ?? Math.round(step * (0.5 + Math.random() * 0.5));
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => flush(), delay);
    const network = error instanceof NetworkError;
    setState({ phase: network ? 'offline' : 'error', error: network ? null : String(error.message || error),
      retryAt: Date.now() + delay });
    if (network) registerBackgroundSync();
    if (!(error instanceof NetworkError) && !(error instanceof ServerTrouble)) console.error('sync failed', error);
  } finally {
    showChanges();                // a flush that stopped half way still shows what it applied
  }
}

async function rounds(token, clientId) {
  let { cursor } = await db.getMeta('cursor');
  let clientIdRenewed = false;
  let gapRepairs = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const batch = await outbox.take(batchSize);
    const body = {
      protocol: PROTOCOL, client_id: clientId, client_time: isoWithOffset(), cursor: cursor ?? null,
      limit: PAGE_LIMIT, mutations: batch.map(outbox.wire),
    };
    const answer = await call('POST', '/api/v1/sync', { body, token, timeoutMs: 60000 });

    if (answer.status === 413) {                      // too many mutations or too many bytes: split
      const limit = answer.data?.limit;
      if (batch.length > 1) {
        batchSize = limit?.name === 'mutations' && limit.max > 0
          ? Math.min(limit.max, batch.length - 1) : Math.max(1, Math.floor(batch.length / 2));
        continue;
      }
      // One mutation alone is over the body limit: it can never be sent, so it must not block the rest.
      if (batch.length === 1 && limit?.name === 'body_bytes') { await outbox.quarantine(batch[0], 'too_large'); continue; }
      throw new ServerTrouble(413);
    }
    if (answer.status === 401) {                      // keep everything; ask for the password again
      await tokenRejected();
      setState({ phase: 'auth' });
      throw new StopSync();
    }
    if (answer.status === 426) {                      // this app speaks a protocol the server dropped
      setState({ phase: 'upgrade', error: answer.data?.supported ? JSON.stringify(answer.data.supported) : null });
      navigator.serviceWorker?.getRegistration().then((r) => r?.update()).catch(() => {});
      throw new StopSync();
    }
    if (answer.status === 403 && !clientIdRenewed) { // this client_id was first used by another user
      clientId = crypto.randomUUID();
      clientIdRenewed = true;
      await db.setMeta({ client_id: clientId });
      await outbox.renumber(1);
      continue;
    }
    if (!answer.ok) {
      const retryAfter = Number(answer.headers.get('Retry-After'));
      throw new ServerTrouble(answer.status, retryAfter > 0 ? retryAfter * 1000 : undefined);
    }

    const page = answer.data;
    const summary = await applyPage(page);
    cursor = page.cursor ?? null;
    if (!page.has_more && Number.isInteger(page.window_days)) {
      // Caught up: what has aged out of this lead's or manager's window goes (rule 9). The window is kept
      // for the next start, which ages out by the phone's clock, offline too.
      await db.ageOut(page.window_days, page.server_time);
      await db.setMeta({ window_days: page.window_days });
      unshown = true;
    }
    // Not after every page of a long pull: a redraw reads whole stores, and its reads wait for, and hold up,
    // the next page's transaction. Screens hear of it when the pull has caught up, and every REDRAW_MS before.
    if (summary.settled || page.changes?.length || page.reset) unshown = true;
    if (!page.has_more || Date.now() - shownAt >= REDRAW_MS) showChanges();
    if (summary.settled) emit('queue');
    if (summary.rejected) emit('notice', { key: 'notice.rejected', args: [summary.rejected] });
    for (const receipt of summary.conflicts) {
      emit('notice', { key: receipt.amendment_id ? 'notice.amendment' : 'notice.conflict', args: [receipt] });
    }
    if (summary.gap !== null) {                       // mids were lost on this phone: renumber after last_mid
      if (++gapRepairs > 2) throw new ServerTrouble('gap');
      await outbox.renumber((page.last_mid ?? 0) + 1);
      continue;
    }
    if (page.has_more) continue;
    if (batch.length && summary.settled && (await outbox.count()) > 0) continue;   // more queued: push on
    return;
  }
}

/** One answer into IndexedDB, in ONE transaction over the stores it writes: settles its results, applies its
 * changes, stores its cursor and keeps next_mid past its last_mid. Resolves with outbox.settleIn's summary. */
export function applyPage(page) {
  return db.transaction(db.syncStoresFor(page), 'readwrite', async (tx) => {
    const settled = await outbox.settleIn(tx, page.results);
    await db.applyChangesIn(tx, page.changes, page.reset === true);
    await db.setMetaIn(tx, 'cursor', page.cursor ?? null);
    // Never hand out a mid the server has already settled for this client (e.g. a restored phone).
    const next = (await db.getMetaIn(tx, 'next_mid')) || 1;
    if (Number.isInteger(page.last_mid) && page.last_mid >= next) await db.setMetaIn(tx, 'next_mid', page.last_mid + 1);
    return settled;
  });
}

/** Asks the browser to wake the service worker when the network is back (where Background Sync exists). */
export async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register(TAG);
  } catch { /* unsupported or refused: the other triggers remain */ }
}

/** A mutation was queued: sync soon, and let the service worker retry when the network returns. */
export function queued() {
  registerBackgroundSync();
  if (navigator.onLine) setTimeout(() => flush(), 300);
}

/** The triggers: app start, `online`, coming back to the foreground, a timer while open, and the service
 * worker's Background Sync message. ("Sync now" calls flush({manual: true}) itself.) */
export function start() {
  db.getMeta('window_days').then(({ window_days: days }) => {
    if (Number.isInteger(days)) return db.ageOut(days, new Date().toISOString()).then(() => emit('data'));
  }).catch(() => { /* nothing held yet */ });
  addEventListener('online', () => { failures = 0; flush(); });
  on('arrived', () => flush());   // photos arrived: their visits' `photos_arrived` changed on the server
  addEventListener('offline', () => setState({ phase: 'offline' }));
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') flush(); });
  setInterval(() => { if (document.visibilityState === 'visible' && navigator.onLine) flush(); }, PERIODIC_MS);
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'SYNC') flush();
  });
  if (!navigator.onLine) setState({ phase: 'offline' });
  return flush();
}
