// outbox.js: the queue of the user's mutations, in `mid` order (SYNC.md rule 1), after workbox's Queue.
// A mutation is given its `mid` in the same IndexedDB transaction that stores it, so mids never repeat or
// skip, whatever crashes or how many tabs are open. Settled mutations leave the queue; rejected ones leave a
// receipt in `rejected` so the rep sees why and can send a corrected NEW mutation.
import { OUTBOX, REJECTED, META, transaction, req, getMetaIn, setMetaIn } from './db.js';
import { emit } from './events.js';

/** Statuses after which the server has settled a mutation for good (SYNC.md rule 3). `gap` is not one. */
const SETTLED = new Set(['applied', 'merged', 'conflict', 'rejected', 'duplicate']);

/** Queues mutations (without `mid`), in order, all or none; resolves with their mids. */
export async function add(...mutations) {
  const mids = await transaction([OUTBOX, META], 'readwrite', async (tx) => {
    let next = (await getMetaIn(tx, 'next_mid')) || 1;
    const store = tx.objectStore(OUTBOX);
    const queuedAt = new Date().toISOString();
    const given = [];
    for (const mutation of mutations) {
      await req(store.add({ ...mutation, mid: next, queued_at: queuedAt }));
      given.push(next++);
    }
    await setMetaIn(tx, 'next_mid', next);
    return given;
  });
  emit('queue');
  return mids;
}

/** The first `limit` queued mutations in mid order (all when no limit). */
export function peek(limit = Infinity) {
  return transaction([OUTBOX], 'readonly', (tx) => new Promise((resolve, reject) => {
    const out = [];
    const cursor = tx.objectStore(OUTBOX).index('mid').openCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c || out.length >= limit) return resolve(out);
      out.push(c.value);
      c.continue();
    };
    cursor.onerror = () => reject(cursor.error);
  }));
}

export function count() {
  return transaction([OUTBOX], 'readonly', (tx) => req(tx.objectStore(OUTBOX).count()));
}

/** What the rep has not sent yet, in records: {records: how many records have unsent changes (a visit with
 * its create and submit is one), oldest: when the oldest unsent mutation was queued, or null}. */
export async function unsent() {
  const entries = await peek();
  const records = new Set(entries.map((m) => `${m.entity}:${m.id}`));
  const oldest = entries.reduce((first, m) => (!first || (m.queued_at && m.queued_at < first) ? m.queued_at : first), null);
  return { records: records.size, oldest };
}

/** For a sync round: the first `limit` mutations, and `sent_through` (meta) raised to the last mid among them,
 * in one transaction, before they leave the phone. A mutation above `sent_through` has never been sent, so
 * `fold` may still change it; one at or below may have been applied already (its answer lost), and a resend
 * of it settles as a `duplicate` whatever it carries now. */
export function take(limit = Infinity) {
  return transaction([OUTBOX, META], 'readwrite', async (tx) => {
    const out = await new Promise((resolve, reject) => {
      const list = [];
      const cursor = tx.objectStore(OUTBOX).index('mid').openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c || list.length >= limit) return resolve(list);
        list.push(c.value);
        c.continue();
      };
      cursor.onerror = () => reject(cursor.error);
    });
    const last = out.length ? out[out.length - 1].mid : 0;
    if (last > ((await getMetaIn(tx, 'sent_through')) || 0)) await setMetaIn(tx, 'sent_through', last);
    return out;
  });
}

/** An edit of a record whose latest create or update is still on the phone and was never sent: its `fields`
 * (and for an update their `base`, where the update had none yet) go into that mutation, so the record
 * reaches the server as the rep sees it, in one write. Resolves false when there is no such mutation (the
 * caller queues an update instead). Serialised with `take` by IndexedDB, so a round never sends half of it. */
export async function fold(entity, id, fields, base = {}) {
  const folded = await transaction([OUTBOX, META], 'readwrite', async (tx) => {
    const sentThrough = (await getMetaIn(tx, 'sent_through')) || 0;
    const store = tx.objectStore(OUTBOX);
    const latest = await new Promise((resolve, reject) => {
      let found = null;
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return resolve(found);
        const m = c.value;
        if (m.entity === entity && m.id === id && (m.op === 'create' || m.op === 'update')) found = { key: c.key, value: m };
        c.continue();
      };
      cursor.onerror = () => reject(cursor.error);
    });
    if (!latest || latest.value.mid <= sentThrough) return false;
    const entry = { ...latest.value, fields: { ...latest.value.fields, ...fields } };
    if (entry.op === 'update') entry.base = { ...base, ...entry.base };
    await req(store.put(entry, latest.key));
    return true;
  });
  if (folded) emit('queue');
  return folded;
}

/** The mutation as it goes on the wire: local bookkeeping stripped. */
export function wire(entry) {
  const { queued_at: _queuedAt, ...mutation } = entry;
  return mutation;
}

/** Inside a sync transaction: removes every mutation the results settle, up to the first `gap` (it and
 * everything after it stay queued, SYNC.md rule 1), and files rejected receipts. A `duplicate` is settled;
 * if its stored original was a rejection the rep never saw (the first answer was lost), that is filed too.
 * Returns {settled, rejected, conflicts, gap}. */
export async function settleIn(tx, results) {
  const summary = { settled: 0, rejected: 0, conflicts: [], gap: null };
  if (!results?.length) return summary;   // a pull: its transaction need not hold the queue (db.syncStoresFor)
  const store = tx.objectStore(OUTBOX);
  const byMid = store.index('mid');
  const gaps = (results || []).filter((r) => r.status === 'gap').map((r) => r.mid);
  summary.gap = gaps.length ? Math.min(...gaps) : null;
  for (const result of results || []) {
    if (!SETTLED.has(result.status)) continue;
    if (summary.gap !== null && result.mid >= summary.gap) continue;
    const key = await req(byMid.getKey(result.mid));
    if (key === undefined) continue; // settled earlier (an overlapping request); nothing to do
    const entry = await req(store.get(key));
    const receipt = result.status === 'duplicate' && result.original ? result.original : result;
    if (receipt.status === 'rejected' && !(await followsRefusedCreate(tx, entry, receipt))) {
      await req(tx.objectStore(REJECTED).add({
        mid: result.mid, mutation: wire(entry), errors: receipt.errors || [], at: new Date().toISOString(),
      }));
      summary.rejected++;
    }
    if (receipt.conflicts?.length) summary.conflicts.push(receipt);
    await req(store.delete(key));
    summary.settled++;
  }
  return summary;
}

/** A mutation refused only because the create it follows was refused (`depends_on_rejected`, SYNC.md rule 3)
 * needs no card of its own while that create's card is shown: fixing the create resends the whole record,
 * and "send again" on the follower could never succeed. */
async function followsRefusedCreate(tx, entry, receipt) {
  const errors = receipt.errors || [];
  if (!errors.length || !errors.every((e) => e.code === 'depends_on_rejected')) return false;
  // An edit made after the create was sent is carried into the create's card, so "fix" shows the record as
  // the rep last saw it.
  return new Promise((resolve, reject) => {
    const cursor = tx.objectStore(REJECTED).openCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c) return resolve(false);
      const m = c.value.mutation;
      if (m.op === 'create' && m.entity === entry.entity && m.id === entry.id) {
        if (entry.op === 'update') c.update({ ...c.value, mutation: { ...m, fields: { ...m.fields, ...entry.fields } } });
        return resolve(true);
      }
      c.continue();
    };
    cursor.onerror = () => reject(cursor.error);
  });
}

/** After a `gap` the server's `last_mid` is behind our queue (mids were lost on this phone): give every
 * queued mutation a fresh consecutive mid from `first`, in the same order. Safe because a gap means none of
 * them was applied. */
export async function renumber(first) {
  await transaction([OUTBOX, META], 'readwrite', async (tx) => {
    const store = tx.objectStore(OUTBOX);
    const entries = await new Promise((resolve, reject) => {
      const out = [];
      const cursor = store.index('mid').openCursor();
      cursor.onsuccess = () => { const c = cursor.result; if (!c) return resolve(out); out.push(c.value); c.continue(); };
      cursor.onerror = () => reject(cursor.error);
    });
    await req(store.clear());
    let mid = first;
    for (const entry of entries) await req(store.add({ ...entry, mid: mid++ }));
    await setMetaIn(tx, 'next_mid', mid);
    // None of them was applied under its old number: under the new ones they are unsent (see `take`).
    await setMetaIn(tx, 'sent_through', first - 1);
  });
  emit('queue');
}

/** Takes one mutation out of the queue without sending it (the server can never accept it, e.g. a single
 * mutation larger than the body limit), filing a rejected receipt with a local code. */
export async function quarantine(entry, code) {
  await transaction([OUTBOX, REJECTED], 'readwrite', async (tx) => {
    const key = await req(tx.objectStore(OUTBOX).index('mid').getKey(entry.mid));
    if (key !== undefined) await req(tx.objectStore(OUTBOX).delete(key));
    await req(tx.objectStore(REJECTED).add({
      mid: entry.mid, mutation: wire(entry), errors: [{ field: null, code, message: '' }], at: new Date().toISOString(),
    }));
  });
  emit('queue');
}

/** Rejected receipts, newest first, each with its `key` for `dismiss`. */
export function rejected() {
  return transaction([REJECTED], 'readonly', (tx) => new Promise((resolve, reject) => {
    const out = [];
    const cursor = tx.objectStore(REJECTED).openCursor(null, 'prev');
    cursor.onsuccess = () => { const c = cursor.result; if (!c) return resolve(out); out.push({ ...c.value, key: c.key }); c.continue(); };
    cursor.onerror = () => reject(cursor.error);
  }));
}

export async function dismiss(key) {
  await transaction([REJECTED], 'readwrite', (tx) => req(tx.objectStore(REJECTED).delete(key)));
  emit('queue');
}
