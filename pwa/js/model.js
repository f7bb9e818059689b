// model.js: what the screens read and do, in business words. Reads combine the replica (the server's truth)
// with the user's own queued mutations, shown as provisional (`pending: true`) until the server sends them
// back in `changes`; the replica itself is never written here. Writes queue mutations (outbox.add) and
// nothing else, so logging a visit offline is one IndexedDB transaction.
import * as db from './db.js';
import * as outbox from './outbox.js';
import { queued } from './sync.js';
import { isoWithOffset } from './time.js';
import { unsent as unsentPhotos } from './photos.js';

export const OUTCOMES = ['follow_up', 'interested', 'not_interested', 'ordered'];
export const VISIT_FIELDS = ['customer_id', 'outcome', 'satisfaction', 'notes', 'next_follow_up_on'];
const ACTION_STATUS = { submit: 'submitted', approve: 'approved', reject: 'rejected', accept: 'accepted', refuse: 'refused' };

/** Records of `entity` from the replica with the queued mutations laid over them, in queue order. */
async function overlaid(entity, queue) {
  const byId = new Map((await db.all(entity)).map((r) => [r.id, r]));
  for (const m of queue || await outbox.peek()) {
    if (m.entity !== entity) continue;
    const current = byId.get(m.id);
    if (m.op === 'create') byId.set(m.id, { ...m.fields, id: m.id, version: 0, status: entity === 'visit' ? 'draft' : entity === 'customer' ? 'prospect' : undefined, stage: entity === 'opportunity' ? 'lead' : undefined, pending: true, local: true });
    else if (m.op === 'delete') byId.delete(m.id);
    else if (current && m.op === 'update') byId.set(m.id, { ...current, ...m.fields, pending: true });
    else if (current && m.op === 'action') {
      const patch = { pending: true };
      if (ACTION_STATUS[m.name]) patch.status = ACTION_STATUS[m.name];
      if (m.name === 'read') patch.read_at = m.args?.at || new Date().toISOString();
      if (m.name === 'advance') Object.assign(patch, { stage: m.args?.stage, close_reason: m.args?.reason ?? null });
      byId.set(m.id, { ...current, ...patch });
    }
  }
  return [...byId.values()];
}

export const visits = (queue) => overlaid('visit', queue);
export const customers = (queue) => overlaid('customer', queue);
export const notifications = (queue) => overlaid('notification', queue);
export const amendments = (queue) => overlaid('amendment', queue);
export const opportunities = (queue) => overlaid('opportunity', queue);
export const replica = (entity) => db.all(entity);
export const record = (entity, id) => db.get(entity, id);
/** How many records have unsent changes (a visit logged with its submit is one record). */
export const pendingCount = () => unsent().then((u) => u.records);
/** {records, oldest}: what is unsent and since when (outbox.unsent); a photo not yet uploaded is one record. */
export const unsent = () => Promise.all([outbox.unsent(), unsentPhotos()])
  .then(([u, photos]) => ({ ...u, records: u.records + photos }));
export const queue = () => outbox.peek();

/** Once after sign-in: asks the browser to keep this app's data when storage runs low (an unsent visit
 * lives only here), and remembers the answer. */
export async function askPersistence() {
  if (!navigator.storage?.persist) return;
  const { storage_persisted: asked } = await db.getMeta('storage_persisted');
  if (asked !== undefined) return;
  const granted = await navigator.storage.persist().catch(() => false);
  await db.setMeta({ storage_persisted: granted });
}

/** The browser was asked and refused, and still does not keep the data for good. */
export async function persistenceRefused() {
  const { storage_persisted: answer } = await db.getMeta('storage_persisted');
  if (answer !== false) return false;
  return !(await navigator.storage?.persisted?.().catch(() => false));
}
export const rejected = () => outbox.rejected();
export const dismissRejected = (key) => outbox.dismiss(key);

async function enqueue(...mutations) {
  const mids = await outbox.add(...mutations);
  queued();
  return mids;
}

/** Logs a visit: optionally a won deal first (an opportunity `create` and an `advance` to won, so the visit
 * can point at it), then the visit `create`, then its `submit`. A record this phone just created is at
 * version 1 when the server applies it, so the actions that follow carry base_version 1. */
export async function logVisit({ customerId, checkInAt, position, outcome, satisfaction, notes, nextFollowUpOn,
  wonAmount, dealTitle, submit, photos }) {
  const mutations = [];
  const visitId = crypto.randomUUID();
  const fields = { customer_id: customerId, check_in_at: checkInAt || isoWithOffset(), outcome, satisfaction, notes };
  if (nextFollowUpOn) fields.next_follow_up_on = nextFollowUpOn;
  if (position) Object.assign(fields, { lat: position.lat, lon: position.lon, accuracy_m: position.accuracy_m });
  // The photos, already stored when chosen, are now the visit's: listed in its create, uploaded after it.
  if (photos?.length) { fields.photos = photos; await db.attachPhotos(photos, visitId); }
  if (wonAmount) {
    const opportunityId = crypto.randomUUID();
    mutations.push({ entity: 'opportunity', op: 'create', id: opportunityId,
      fields: { customer_id: customerId, title: dealTitle, amount: wonAmount } });
    mutations.push({ entity: 'opportunity', op: 'action', id: opportunityId, name: 'advance', base_version: 1,
      args: { stage: 'won', at: isoWithOffset() } });
    fields.opportunity_id = opportunityId;
  }
  mutations.push({ entity: 'visit', op: 'create', id: visitId, fields });
  if (submit) mutations.push({ entity: 'visit', op: 'action', id: visitId, name: 'submit', base_version: 1, args: {} });
  await enqueue(...mutations);
  return visitId;
}

/** Whether a field's value is unchanged: missing is null, and a list (`photos`) is compared by its items. */
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** An edit of a visit: only the changed fields. A synced visit's edit is an update on the version in the
 * replica (SYNC.md rule 5), folded into an unsent update of it when there is one. A visit still on the phone
 * takes the edit into its queued create while that was never sent; once it may have been, into an update on
 * version 1, the version its create makes. */
export async function editVisit(id, changes, { submit = false, added = [], removed = [] } = {}) {
  // Photos taken in the edit are the visit's now (uploaded after the edit's receipt); the copies of those it
  // no longer lists go once the edit is queued.
  if (added.length) await db.attachPhotos(added, id);
  const changed = await editFields(id, changes, { submit });
  if (removed.length) await db.savePhotos([], removed);
  return changed;
}

async function editFields(id, changes, { submit }) {
  const synced = await db.get('visit', id);
  if (!synced) return editLocalVisit(id, changes, { submit });
  // Changed from what the rep sees (the replica with queued edits laid over it), on the replica's base: a
  // field set back to its synced value undoes a queued edit of it.
  const current = (await visits()).find((v) => v.id === id) || synced;
  const fields = {};
  const base = {};
  for (const [name, value] of Object.entries(changes)) {
    if (!same(current[name], value)) { fields[name] = value; base[name] = synced[name] ?? null; }
  }
  const mutations = [];
  const changed = Object.keys(fields).length;
  if (changed && !(await foldEdit('visit', id, fields, base, synced.version))) {
    mutations.push({ entity: 'visit', op: 'update', id, base_version: synced.version, fields, base });
  }
  if (submit) mutations.push({ entity: 'visit', op: 'action', id, name: 'submit', base_version: synced.version, args: {} });
  if (mutations.length) await enqueue(...mutations);
  else if (changed) queued();
  return changed + mutations.length;
}

/** Folds into the latest unsent update only when it was made on the same version (else its base is stale). */
async function foldEdit(entity, id, fields, base, version) {
  const latest = (await outbox.peek()).filter((m) => m.entity === entity && m.id === id && m.op !== 'action').pop();
  if (!latest || latest.op !== 'update' || latest.base_version !== version) return false;
  return outbox.fold(entity, id, fields, base);
}

async function editLocalVisit(id, changes, { submit }) {
  const queue = await outbox.peek();
  const current = (await visits(queue)).find((v) => v.id === id);
  if (!current?.local) throw new Error('visit not on this phone');
  const fields = {};
  const base = {};
  for (const [name, value] of Object.entries(changes)) {
    if (!same(current[name], value)) { fields[name] = value; base[name] = current[name] ?? null; }
  }
  const mutations = [];
  const changed = Object.keys(fields).length;
  if (changed && !(await outbox.fold('visit', id, fields, base))) {
    mutations.push({ entity: 'visit', op: 'update', id, base_version: 1, fields, base });
  }
  const submitted = queue.some((m) => m.entity === 'visit' && m.id === id && m.op === 'action' && m.name === 'submit');
  if (submit && !submitted) mutations.push({ entity: 'visit', op: 'action', id, name: 'submit', base_version: 1, args: {} });
  if (mutations.length) await enqueue(...mutations);
  else if (changed) queued();
  return changed + mutations.length;
}

/** Check-out: the time now and, when the phone found one, the position; an edit like any other. */
export function checkOut(id, position, at = isoWithOffset()) {
  const fields = { check_out_at: at };
  if (position) Object.assign(fields, { check_out_lat: position.lat, check_out_lon: position.lon, check_out_accuracy_m: position.accuracy_m });
  return editVisit(id, fields);
}

export const STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'];

/** Moves a deal to `stage` (a loss needs its `reason`), on the version the rep is looking at. */
export async function advanceOpportunity(opportunity, stage, reason) {
  const args = { stage, at: isoWithOffset() };
  if (reason) args.reason = reason;
  await enqueue({ entity: 'opportunity', op: 'action', id: opportunity.id, name: 'advance',
    base_version: opportunity.local ? 1 : opportunity.version, args });
}

export async function deleteVisit(id) {
  const synced = await db.get('visit', id);
  await enqueue({ entity: 'visit', op: 'delete', id, base_version: synced.version });
}

export async function addCustomer(fields) {
  const id = crypto.randomUUID();
  await enqueue({ entity: 'customer', op: 'create', id, fields });
  return id;
}

/** A lead's review of visits: one `approve` per visit, each on the version the lead looked at. */
export async function approveVisits(records) {
  await enqueue(...records.map((v) => ({ entity: 'visit', op: 'action', id: v.id, name: 'approve',
    base_version: v.version, args: {} })));
}

export async function rejectVisit(v, comment) {
  await enqueue({ entity: 'visit', op: 'action', id: v.id, name: 'reject', base_version: v.version, args: { comment } });
}

export async function decideAmendment(a, accept) {
  await enqueue({ entity: 'amendment', op: 'action', id: a.id, name: accept ? 'accept' : 'refuse',
    base_version: a.version, args: {} });
}

export async function markRead(notificationIds) {
  await enqueue(...notificationIds.map((id) => ({ entity: 'notification', op: 'action', id, name: 'read', args: {} })));
}

/** Sends a refused update or action again as a NEW mutation, on the version the replica has now. */
export async function resend(receipt) {
  const { mid: _mid, ...mutation } = receipt.mutation;
  const synced = mutation.id ? await db.get(mutation.entity, mutation.id) : null;
  if ('base_version' in mutation && synced) mutation.base_version = synced.version;
  await enqueue(mutation);
  await outbox.dismiss(receipt.key);
}
