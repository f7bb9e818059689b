// db.js: the only file that knows Fieldgoal's IndexedDB schema (after idb-keyval and workbox's QueueDb).
//
//   <entity> stores   the replica: one store per replicated entity, keyed by `id`, each value the server's
//                     `data` plus `id`, `version`, `updated_at`. Built only from sync `changes` (SYNC.md).
//                     A field whose value is null may be missing (the wire leaves nulls out), and is
//                     kept missing: read a record's field with `== null` or `?? null`, never `=== null`.
//   outbox            the queue of mutations not yet settled: auto-increment key, each value a full mutation
//                     with its `mid` (unique index `mid`), plus `queued_at` which never goes on the wire.
//   rejected          receipts of rejected mutations, kept until the rep dismisses or resends them.
//   photos            a visit's photos on this phone, keyed by `id` (the attachment id the visit lists):
//                     {id, visit_id (null while its form is open), at, thumb, blob (dropped once uploaded),
//                     state: new | waiting | sent | failed}. Never part of a sync transaction (photos.js).
//   meta              key → value: cursor, next_mid, client_id, token, user, last_synced_at, locale,
//                     push_endpoint, commission_estimate ({data | error, fetched_at}: the last answer of
//                     GET /commissions/estimate, shown offline with its time; coaching.js), sent_through
//                     (the highest mid a sync request has carried; outbox.js), storage_persisted (the
//                     browser's answer to navigator.storage.persist(), asked once after sign-in).
//
// Other modules work through the small helpers below; only this file names stores or opens the database.

const DB_NAME = 'fieldgoal';
// 2: each replica store indexes `ages_at` (rule 9: what ages out of a lead's or manager's window).
// 3: the `photos` store.
const DB_VERSION = 3;

export const ENTITIES = [
  'customer', 'visit', 'opportunity', 'goal', 'progress', 'notification', 'amendment', 'conflict',
  'user', 'unit', 'badge', 'review', 'plan',
];
export const OUTBOX = 'outbox';
export const REJECTED = 'rejected';
export const META = 'meta';
export const PHOTOS = 'photos';
/** Every store a sync round may touch, so that settling, applying and the cursor commit together. */
export const SYNC_STORES = [...ENTITIES, OUTBOX, REJECTED, META];

let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          for (const name of ENTITIES) db.createObjectStore(name, { keyPath: 'id' });
          db.createObjectStore(OUTBOX, { autoIncrement: true }).createIndex('mid', 'mid', { unique: true });
          db.createObjectStore(REJECTED, { autoIncrement: true });
          db.createObjectStore(META);
        }
        if (event.oldVersion < 2) {
          for (const name of ENTITIES) request.transaction.objectStore(name).createIndex('ages_at', 'ages_at');
        }
        if (event.oldVersion < 3) db.createObjectStore(PHOTOS, { keyPath: 'id' });
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer version of the app in another tab wants to upgrade: let it.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

/** The result of one IDBRequest as a promise. Only await these inside `transaction` callbacks: awaiting
 * anything else lets the transaction commit early. */
export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Runs `work(tx)` in one transaction; resolves with its result once the transaction has committed. */
export async function transaction(stores, mode, work) {
  const db = await open();
  const tx = db.transaction(stores, mode);
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = tx.onerror = () => reject(tx.error || new DOMException('transaction aborted', 'AbortError'));
  });
  let result;
  try {
    result = await work(tx);
  } catch (error) {
    try { tx.abort(); } catch { /* already finished */ }
    await done.catch(() => {});
    throw error;
  }
  await done;
  return result;
}

// ---- meta -------------------------------------------------------------------------------------------

export const getMetaIn = (tx, key) => req(tx.objectStore(META).get(key));
export const setMetaIn = (tx, key, value) =>
  value === undefined ? req(tx.objectStore(META).delete(key)) : req(tx.objectStore(META).put(value, key));

/** Several meta values at once: `{key: value}` for each key asked for (undefined when absent). */
export function getMeta(...keys) {
  return transaction([META], 'readonly', async (tx) => {
    const out = {};
    for (const key of keys) out[key] = await getMetaIn(tx, key);
    return out;
  });
}

/** Writes `{key: value}` pairs in one transaction; `undefined` deletes the key. */
export function setMeta(values) {
  return transaction([META], 'readwrite', async (tx) => {
    for (const [key, value] of Object.entries(values)) await setMetaIn(tx, key, value);
  });
}

// ---- replica ----------------------------------------------------------------------------------------

/** Every record of `entity`, in key order. Read 500 at a time in one transaction: each page is deserialized
 * in its own task, so a manager's thousands of customers do not hold the main thread in one long one. */
export function all(entity, size = 500) {
  return transaction([entity], 'readonly', async (tx) => {
    const store = tx.objectStore(entity);
    let page = await req(store.getAll(null, size));
    const out = page;
    while (page.length === size) {
      page = await req(store.getAll(IDBKeyRange.lowerBound(page[size - 1].id, true), size));
      out.push(...page);
    }
    return out;
  });
}

export function get(entity, id) {
  return transaction([entity], 'readonly', (tx) => req(tx.objectStore(entity).get(id)));
}

const KEPT = new Set(ENTITIES);

/** The stores one sync round writes (of SYNC_STORES): the queue and receipts when it settles results, the
 * replica stores its changes name (all of them when it resets), and meta for the cursor. A transaction over
 * only these leaves the rest free meanwhile (a visit saved during a long pull does not wait for its pages). */
export function syncStoresFor(page) {
  const stores = new Set(page.results?.length ? [OUTBOX, REJECTED] : []);
  for (const name of page.reset === true ? ENTITIES : []) stores.add(name);
  for (const change of page.changes || []) if (KEPT.has(change.entity)) stores.add(change.entity);
  stores.add(META);
  return [...stores];
}

/** Applies one page of sync `changes` (SYNC.md): `deleted: true` removes the record, anything else
 * replaces it. `reset: true` first drops every replica store (never the outbox): that page is the first of a
 * full pull. Changes for entities this client does not keep are skipped.
 *
 * Every request of the page is issued at once and only the last one is awaited: a transaction runs its
 * requests in the order they were made, so the changes still apply in order, and waiting for each one
 * (a task hop per record) was most of the time of a first sync. A failed request aborts the transaction,
 * which rejects the last request and so this promise. A record keeps what the server sent: a field the
 * lean wire leaves out (its value null) stays missing, and readers take a missing field as null. */
export function applyChangesIn(tx, changes, reset) {
  let last = null;
  if (reset) for (const name of ENTITIES) last = tx.objectStore(name).clear();
  const stores = new Map();
  for (const change of changes || []) {
    if (!KEPT.has(change.entity)) continue;
    let store = stores.get(change.entity);
    if (!store) stores.set(change.entity, (store = tx.objectStore(change.entity)));
    if (change.deleted) {
      last = store.delete(change.id);
    } else {
      const record = { ...change.data, id: change.id, version: change.version,
        updated_at: change.updated_at ?? change.data?.updated_at };
      if (change.ages_at) record.ages_at = change.ages_at;   // only what can age is in that index (rule 9)
      last = store.put(record);
    }
  }
  return last ? req(last).then(() => undefined) : Promise.resolve();
}

/** Rule 9: a lead's or manager's phone holds `windowDays` days of others' work. Drops every record whose
 * `ages_at` lies before `now` (an ISO time) minus the window, as the server pulls by, without a reset. Times
 * compare as the server writes them: ISO 8601 in UTC, `+00:00`. */
export function ageOut(windowDays, now) {
  const start = new Date(Date.parse(now) - windowDays * 86400000).toISOString().slice(0, 19) + '+00:00';
  const range = IDBKeyRange.upperBound(start, true);
  return transaction(ENTITIES, 'readwrite', (tx) => Promise.all(ENTITIES.map((name) => new Promise((resolve, reject) => {
    const request = tx.objectStore(name).index('ages_at').openCursor(range);
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor) return resolve();
      cursor.delete();
      cursor.continue();
    };
    request.onerror = () => reject(request.error);
  }))));
}

// ---- photos -----------------------------------------------------------------------------------------

export const photos = () => all(PHOTOS);
export const photo = (id) => get(PHOTOS, id);
/** Stores each record whole (`put`) and deletes each id in `drop`, in one transaction. */
export function savePhotos(records, drop = []) {
  return transaction([PHOTOS], 'readwrite', async (tx) => {
    for (const record of records) await req(tx.objectStore(PHOTOS).put(record));
    for (const id of drop) await req(tx.objectStore(PHOTOS).delete(id));
  });
}

/** The form's photos belong to the saved visit `visitId` now: each waits to be uploaded (photos.js). */
export function attachPhotos(ids, visitId) {
  return transaction([PHOTOS], 'readwrite', async (tx) => {
    for (const id of ids) {
      const record = await req(tx.objectStore(PHOTOS).get(id));
      if (record) await req(tx.objectStore(PHOTOS).put({ ...record, visit_id: visitId, state: record.state === 'new' ? 'waiting' : record.state }));
    }
  });
}

// ---- whole-database operations ---------------------------------------------------------------------

/** A different person signs in on this phone, or the user signs out: nothing of the last user stays.
 * The locale is the phone's, so it is kept. */
export function forgetUser() {
  return transaction([...SYNC_STORES, PHOTOS], 'readwrite', async (tx) => {
    const locale = await getMetaIn(tx, 'locale');
    for (const name of [...SYNC_STORES, PHOTOS]) await req(tx.objectStore(name).clear());
    if (locale) await setMetaIn(tx, 'locale', locale);
  });
}
